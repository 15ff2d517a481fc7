/**
 * `POST /v1/rerank` for reranker GGUFs, in the shape llama.cpp's server and
 * Jina / Cohere use: `{ query, documents, top_n? }` → `{ results: [{ index,
 * relevance_score }] }`, most relevant first. @internal
 */
import { clientSignal } from './clientSignal';
import { HttpError, badRequest, toHttpError } from './errors';
import { readJson, sendJson } from './http';
import { splitRequest } from './requestConfig';
import type { RequestContext } from './state';

const RERANK_FIELDS = ['query', 'documents', 'top_n', 'model', 'return_documents'];

/** Handles `POST /v1/rerank`. */
export async function rerank(rc: RequestContext): Promise<void> {
  const { state, req, res } = rc;
  const body = await readJson(req, state.maxBodyBytes);
  const { own, config } = splitRequest(body, RERANK_FIELDS);
  const unknown = Object.keys(config)[0];
  if (unknown !== undefined) throw badRequest(`unknown field '${unknown}' for rerank`, unknown);
  if (typeof own.query !== 'string') throw badRequest('query must be a string', 'query');
  const documents = own.documents;
  if (!Array.isArray(documents) || documents.length === 0 || !documents.every((d) => typeof d === 'string')) {
    throw badRequest('documents must be a non-empty array of strings', 'documents');
  }
  const topN = own.top_n ?? documents.length;
  if (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1) throw badRequest('top_n must be a positive integer', 'top_n');
  const pending = state.embeddingContext();
  if (pending === null) throw new HttpError(404, 'this server does not serve reranking', 'invalid_request_error', null, 'not_found');
  const context = await pending;
  const leave = state.admission.enter();
  try {
    const signal = clientSignal(res, state.shutdown);
    let result;
    try {
      result = await context.rank(own.query, documents as string[], { signal });
    } catch (err) {
      throw toHttpError(err);
    }
    if (signal.aborted) return;
    const results = [...result.scores]
      .sort((a, b) => b.score - a.score)
      .slice(0, topN)
      .map((s) => ({ index: s.index, relevance_score: s.score, ...(own.return_documents === true ? { document: { text: documents[s.index] } } : {}) }));
    sendJson(res, 200, { object: 'list', model: state.modelId, results, usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens } });
  } finally {
    leave();
  }
}
