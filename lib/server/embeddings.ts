/**
 * `POST /v1/embeddings`: `input` (a string, strings, token ids or token id
 * lists) embedded on the server's embedding context with the GGUF's pooling
 * (mean for a model that declares none), L2-normalised as OpenAI's are;
 * `encoding_format: 'base64'` (what the openai client asks for by default)
 * sends little-endian float32 bytes. @internal
 */
import type { EmbedInput } from '../embed/types';
import { clientSignal } from './clientSignal';
import { HttpError, badRequest, toHttpError } from './errors';
import { readJson, sendJson } from './http';
import { splitRequest } from './requestConfig';
import type { RequestContext } from './state';

const EMBEDDING_FIELDS = ['input', 'model', 'encoding_format', 'dimensions'];

function isTokenList(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'number');
}

function inputs(value: unknown): EmbedInput {
  if (typeof value === 'string') return [value];
  if (isTokenList(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || isTokenList(v))) return value as EmbedInput;
  throw badRequest('input must be a string, an array of strings, an array of token ids or an array of token id arrays (not empty)', 'input');
}

function encode(vector: Float32Array, format: string): number[] | string {
  if (format === 'base64') return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
  return Array.from(vector);
}

/** Handles `POST /v1/embeddings`. */
export async function embeddings(rc: RequestContext): Promise<void> {
  const { state, req, res } = rc;
  const body = await readJson(req, state.maxBodyBytes);
  const { own, config } = splitRequest(body, EMBEDDING_FIELDS);
  const unknown = Object.keys(config)[0];
  if (unknown !== undefined) throw badRequest(`unknown field '${unknown}' for embeddings`, unknown);
  if (own.model !== undefined && typeof own.model !== 'string') throw badRequest('model must be a string', 'model');
  const format = own.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest("encoding_format must be 'float' or 'base64'", 'encoding_format');
  const input = inputs(own.input);
  const pending = state.embeddingContext();
  if (pending === null) throw new HttpError(404, 'this server does not serve embeddings', 'invalid_request_error', null, 'not_found');
  const context = await pending;
  const dimensions = own.dimensions;
  if (dimensions !== undefined && dimensions !== null && dimensions !== context.model.embeddingSize) {
    throw badRequest(`dimensions: this model's embeddings have ${context.model.embeddingSize} dimensions (no truncation)`, 'dimensions', 'unsupported');
  }
  const leave = state.admission.enter();
  try {
    const signal = clientSignal(res, state.shutdown);
    let result;
    try {
      result = await context.embed(input, { signal });
    } catch (err) {
      throw toHttpError(err);
    }
    if (signal.aborted) return;
    sendJson(res, 200, {
      object: 'list',
      data: result.embeddings.map((v, index) => ({ object: 'embedding', index, embedding: encode(v, format as string) })),
      model: state.modelId,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    });
  } finally {
    leave();
  }
}
