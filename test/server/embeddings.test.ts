/**
 * `POST /v1/embeddings` and `GET /v1/models` through the `openai` client:
 * the vectors are context.embed()'s (float and base64, the client's
 * default), usage counts the tokens; embeddings run while chat streams.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context } from '../../lib/index';
import { rewriteModel } from '../support/gguf-rewrite';
import { STORIES_MODEL, maxAbsDiff } from '../support/models';
import { startServer, type TestServer } from './support';

let t: TestServer;
let context: Context;

beforeAll(async () => {
  t = await startServer({ parallel: 2, modelId: 'tiny-stories' });
  context = await t.model.createContext({ contextSize: 512, sequences: 2 });
});
afterAll(async () => {
  context?.dispose();
  await t?.close();
});

describe('POST /v1/embeddings', () => {
  const input = ['Once upon a time', 'The cat sat on the mat.'];

  it("returns context.embed()'s unit vectors, as base64 (the client's default) and as floats", async () => {
    const expected = await context.embed(input);
    const r = await t.client.embeddings.create({ model: 'tiny-stories', input });
    expect(r.object).toBe('list');
    expect(r.model).toBe('tiny-stories');
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    expect(r.usage).toEqual({ prompt_tokens: expected.promptTokens, total_tokens: expected.promptTokens });
    for (let i = 0; i < input.length; i++) {
      expect(maxAbsDiff(Float32Array.from(r.data[i].embedding), expected.embeddings[i])).toBeLessThan(1e-5);
    }
    const floats = await t.client.embeddings.create({ model: 'x', input: input[0], encoding_format: 'float' });
    expect(floats.data[0].embedding).toHaveLength(t.model.embeddingSize);
    expect(maxAbsDiff(Float32Array.from(floats.data[0].embedding), expected.embeddings[0])).toBeLessThan(1e-5);
  });

  it('takes token ids, runs beside a chat stream, and refuses other dimensions', async () => {
    const ids = Array.from(t.model.tokenize(input[1]));
    const stream = await t.client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 64, stream: true });
    const byIds = await t.client.embeddings.create({ model: 'x', input: [ids], encoding_format: 'float' });
    const byText = await t.client.embeddings.create({ model: 'x', input: input[1], encoding_format: 'float' });
    for await (const chunk of stream) void chunk;
    expect(maxAbsDiff(Float32Array.from(byIds.data[0].embedding), Float32Array.from(byText.data[0].embedding))).toBeLessThan(1e-6);
    await expect(t.client.embeddings.create({ model: 'x', input: 'x', dimensions: 8 })).rejects.toMatchObject({ status: 400 });
    await expect(t.client.embeddings.create({ model: 'x', input: [] })).rejects.toMatchObject({ status: 400 });
  });

  it('lists the one model', async () => {
    const models = await t.client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny-stories']);
    expect(models.data[0]).toMatchObject({ object: 'model', owned_by: 'llama-generate' });
    const one = await t.client.models.retrieve('tiny-stories');
    expect(one.id).toBe('tiny-stories');
    await expect(t.client.models.retrieve('gpt-4')).rejects.toMatchObject({ status: 404 });
  });
});

describe('POST /v1/rerank', () => {
  it('ranks documents on a reranker GGUF (most relevant first) and refuses embeddings there', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'llama-generate-rerank-')), 'rank.gguf');
    await rewriteModel(STORIES_MODEL, file, { metadata: { 'llama.pooling_type': { type: 'u32', value: 4 } } });
    const reranker = await loadModel(file);
    const r = await startServer({ parallel: 2 }, reranker);
    try {
      const documents = ['The cat sat on the mat.', 'Lily went to the park.', 'A dog.'];
      const expected = await reranker.rank('Where is the cat?', documents);
      const body = await r.client.post<{ results: Array<{ index: number; relevance_score: number }> }>('/rerank', {
        body: { model: 'x', query: 'Where is the cat?', documents, top_n: 2 },
      });
      const best = [...expected.scores].sort((a, b) => b.score - a.score).slice(0, 2);
      expect(body.results.map((x) => x.index)).toEqual(best.map((x) => x.index));
      for (const [i, x] of body.results.entries()) expect(x.relevance_score).toBeCloseTo(best[i].score, 5);
      await expect(r.client.embeddings.create({ model: 'x', input: 'x' })).rejects.toMatchObject({ status: 400, error: { code: 'unsupported' } });
      await expect(t.client.post('/rerank', { body: { query: 'q', documents: ['d'] } })).rejects.toMatchObject({ status: 400 }); // not a reranker
    } finally {
      await r.close();
      reranker.dispose();
    }
  });
});
