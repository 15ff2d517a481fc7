/**
 * context.embed() / model.embed() / rank() on stories260K: pooling done here
 * for a model that declares none agrees with llama.cpp's own pooling (the
 * same weights with `llama.pooling_type` written into the GGUF), batching
 * does not change a vector, normalisation, errors, and the context generates
 * as before afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type Model } from '../../lib/index';
import { rewriteModel } from '../support/gguf-rewrite';
import { STORIES_MODEL, maxAbsDiff } from '../support/models';

const TEXTS = ['Once upon a time', 'The cat sat on the mat.', 'Lily liked to play in the park with her friends every day.'];

let model: Model;
let context: Context;
let tmp: string;

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** stories260K with `llama.pooling_type` set, so llama.cpp pools. */
async function withPooling(type: number): Promise<string> {
  const file = join(tmp, `pooling-${type}.gguf`);
  await rewriteModel(STORIES_MODEL, file, { metadata: { 'llama.pooling_type': { type: 'u32', value: type } } });
  return file;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'llama-generate-embed-'));
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 1024, sequences: 4 });
});
afterAll(() => model?.dispose());

describe('context.embed', () => {
  it('pools the model output into one unit vector per input (mean by default)', async () => {
    expect(context.pooling).toBe('none');
    const r = await context.embed(TEXTS);
    expect(r.pooling).toBe('mean');
    expect(r.normalized).toBe(true);
    expect(r.dimension).toBe(model.embeddingSize);
    expect(r.embeddings).toHaveLength(3);
    expect(r.tokenCounts).toEqual(TEXTS.map((t) => model.tokenize(t).length));
    expect(r.promptTokens).toBe(r.tokenCounts.reduce((a, b) => a + b, 0));
    for (const v of r.embeddings) expect(norm(v)).toBeCloseTo(1, 5);
    // different texts, different vectors; the same text, the same vector
    expect(maxAbsDiff(r.embeddings[0], r.embeddings[1])).toBeGreaterThan(1e-3);
    const again = await context.embed(TEXTS[0]);
    expect(maxAbsDiff(again.embeddings[0], r.embeddings[0])).toBeLessThan(1e-6);
  });

  it('gives the same vector alone, batched with others, from token ids, and chunked over several decodes', async () => {
    const batched = await context.embed(TEXTS, { normalize: false });
    const ids = model.tokenize(TEXTS[2]);
    const alone = await context.embed([ids], { normalize: false });
    expect(maxAbsDiff(alone.embeddings[0], batched.embeddings[2])).toBeLessThan(1e-4);
    const small = await model.createContext({ contextSize: 256, batchSize: 4, sequences: 1 });
    try {
      const chunked = await small.embed([ids], { normalize: false });
      expect(maxAbsDiff(chunked.embeddings[0], batched.embeddings[2])).toBeLessThan(1e-4);
      const last = await small.embed([ids], { normalize: false, pooling: 'last' });
      const cls = await small.embed([ids], { normalize: false, pooling: 'cls' });
      const lastAlone = await context.embed([ids], { normalize: false, pooling: 'last' });
      const clsAlone = await context.embed([ids], { normalize: false, pooling: 'cls' });
      expect(maxAbsDiff(last.embeddings[0], lastAlone.embeddings[0])).toBeLessThan(1e-4);
      expect(maxAbsDiff(cls.embeddings[0], clsAlone.embeddings[0])).toBeLessThan(1e-4);
    } finally {
      small.dispose();
    }
  });

  it("agrees with llama.cpp's own mean, CLS and last pooling of the same weights", async () => {
    for (const [type, pooling] of [[1, 'mean'], [2, 'cls'], [3, 'last']] as const) {
      const pooled = await loadModel(await withPooling(type));
      try {
        const ctx = await pooled.createContext({ contextSize: 1024, sequences: 4 });
        expect(ctx.pooling).toBe(pooling);
        const theirs = await ctx.embed(TEXTS, { normalize: false });
        expect(theirs.pooling).toBe(pooling);
        const ours = await context.embed(TEXTS, { normalize: false, pooling });
        for (let i = 0; i < TEXTS.length; i++) expect(maxAbsDiff(theirs.embeddings[i], ours.embeddings[i])).toBeLessThan(1e-4);
        await expect(ctx.embed('x', { pooling: pooling === 'mean' ? 'last' : 'mean' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      } finally {
        pooled.dispose();
      }
    }
  });

  it('leaves the context generating as before, and waits for running generations', async () => {
    const before = await context.generate('Once upon a time', { max_new_tokens: 12 }).result;
    const running = context.generate('Once upon a time', { max_new_tokens: 12 });
    const embedded = context.embed(TEXTS);
    const after = await running.result;
    await embedded;
    expect(after.text).toBe(before.text);
    const again = await context.generate('Once upon a time', { max_new_tokens: 12 }).result;
    expect(again.text).toBe(before.text);
    expect(again.usage.cachedPromptTokens).toBe(0); // the cache was emptied
  });

  it('model.embed creates and disposes its own context', async () => {
    const r = await model.embed(TEXTS);
    const mine = await context.embed(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) expect(maxAbsDiff(r.embeddings[i], mine.embeddings[i])).toBeLessThan(1e-4);
    expect(model.contexts).toEqual([context]);
  });

  it('rejects bad input with typed errors', async () => {
    await expect(context.embed([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(context.embed(['ok', 42 as never])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(context.embed('x', { pooling: 'max' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(context.embed('x', { other: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(context.embed([[model.vocabSize]])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(context.embed([new Int32Array(2000).fill(1)])).rejects.toMatchObject({ code: 'CONTEXT_OVERFLOW' });
    const controller = new AbortController();
    controller.abort();
    await expect(context.embed('x', { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(context.rank('query', ['doc'])).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('rank', () => {
  it('scores query + document pairs on a GGUF that declares rank pooling, and refuses embed() there', async () => {
    // stories260K has no classifier head: llama.cpp's rank output is then float `i` of the pooled
    // (first-token) states for pair i, and the first token (BOS) of a causal model has the same state
    // in every pair. So pair i scores as component i of BOS's state: what llama.cpp computes, read per sequence.
    const reranker = await loadModel(await withPooling(4));
    try {
      const docs = ['The cat sat on the mat.', 'Lily went to the park.', 'x'];
      const r = await reranker.rank('Where is the cat?', docs);
      expect(r.scores.map((s) => s.index)).toEqual([0, 1, 2]);
      const bosState = (await context.embed([[model.specialTokens.bos!]], { pooling: 'cls', normalize: false })).embeddings[0];
      for (let i = 0; i < docs.length; i++) expect(r.scores[i].score).toBeCloseTo(bosState[i], 4);
      const { bos, eos } = model.specialTokens;
      const end = model.addsEos ? [eos!] : [];
      const pair = (d: string): number[] => [bos!, ...model.tokenize('Where is the cat?', { addSpecial: false }), ...end, ...model.tokenize(d, { addSpecial: false }), ...end];
      expect(r.promptTokens).toBe(docs.map(pair).reduce((n, p) => n + p.length, 0));
      const ctx = await reranker.createContext({ contextSize: 512, sequences: 2 });
      expect(ctx.pooling).toBe('rank');
      await expect(ctx.embed('x')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      await expect(ctx.rank('q', [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      reranker.dispose();
    }
  });
});
