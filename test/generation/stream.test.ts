/**
 * generate(): what the iterator yields is what the result reports; greedy
 * output equals the evaluate()-driven loop and llama.cpp's llama-simple.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadModel, type Context, type Model } from '../../lib/index';
import { STORIES_MODEL, greedy, renderLikeLlamaSimple } from '../support/models';

let model: Model;
let context: Context;

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 512, sequences: 2 });
});
afterAll(() => model?.dispose());

describe('streaming', () => {
  it('yields exactly what the result reports', async () => {
    const generation = context.generate('Once upon a time', { max_new_tokens: 60 });
    const chunks = [];
    for await (const chunk of generation) chunks.push(chunk);
    const result = await generation.result;
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.text).join('')).toBe(result.text);
    expect(chunks.flatMap((c) => c.tokens)).toEqual(result.tokens);
    expect(chunks.every((c) => c.index === 0)).toBe(true);
    expect(result.tokens).toHaveLength(60);
    expect(result.finishReason).toBe('length');
    expect(result.usage).toEqual({ promptTokens: result.prompt.length, cachedPromptTokens: expect.any(Number), completionTokens: 60 });
    expect(result.sequences).toHaveLength(1);
    expect(result.timings.promptMs).toBeGreaterThan(0);
    expect(result.timings.generationMs).toBeGreaterThan(0);
    expect(result.timings.tokensPerSecond).toBeGreaterThan(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.promptMs);
    expect(result.config.values.max_new_tokens).toBe(60);
    // The text is the concatenation of the token pieces.
    const pieces = Buffer.concat(result.tokens.map((t) => Buffer.from(model.tokenToPiece(t)))).toString('utf8');
    expect(result.text).toBe(pieces);
  });

  it('several pending next() calls settle in order, each with its own chunk, then done', async () => {
    // The async-iterator protocol allows calling next() again before the last one settled.
    const expected = await context.generate('Once upon a time', { max_new_tokens: 12 }).result;
    const it = context.generate('Once upon a time', { max_new_tokens: 12 })[Symbol.asyncIterator]();
    const pending = Array.from({ length: 40 }, () => it.next());
    const settled = await Promise.race([
      Promise.all(pending),
      new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), 10_000)),
    ]);
    expect(settled).not.toBe('hang');
    const results = settled as IteratorResult<{ tokens: number[] }>[];
    const firstDone = results.findIndex((r) => r.done);
    expect(firstDone).toBeGreaterThan(0);
    expect(results.slice(firstDone).every((r) => r.done)).toBe(true);
    expect(results.slice(0, firstDone).flatMap((r) => r.value.tokens)).toEqual(expected.tokens);
  });

  it('result alone (no iteration) gives the same output', async () => {
    const a = await context.generate('The little dog', { max_new_tokens: 30 }).result;
    const chunks = [];
    for await (const c of context.generate('The little dog', { max_new_tokens: 30 })) chunks.push(c);
    expect(chunks.flatMap((c) => c.tokens)).toEqual(a.tokens);
  });

  it('greedy equals the evaluate()-driven greedy loop', async () => {
    for (const prompt of ['Lily and Ben went to the', 'One day, a bird']) {
      const tokens = model.tokenize(prompt);
      const other = await model.createContext({ contextSize: 256 });
      const expected = await greedy(model, other, tokens, 50);
      other.dispose();
      const result = await context.generate(tokens, { max_new_tokens: 50 }).result;
      expect(result.tokens).toEqual(expected);
    }
  });

  it('model.generateText is the one-shot form', async () => {
    const a = await model.generateText('Tom had a big red ball', { max_new_tokens: 20 });
    const b = await context.generate('Tom had a big red ball', { max_new_tokens: 20 }).result;
    expect(a.tokens).toEqual(b.tokens);
    expect(model.contexts).toHaveLength(1);
  });

  it('follows transformers: max_length counts the prompt, at least one token', async () => {
    const prompt = model.tokenize('Once upon a time'); // 5 tokens
    const r = await context.generate(prompt, { max_length: 12 }).result;
    expect(r.tokens).toHaveLength(12 - prompt.length);
    const short = await context.generate(prompt, { max_length: 3 }).result;
    expect(short.tokens).toHaveLength(1);
    const byDefault = await context.generate(prompt).result; // max_length 20
    expect(byDefault.tokens).toHaveLength(20 - prompt.length);
  });

  it('reports log-probabilities under the raw distribution', async () => {
    const prompt = model.tokenize('Once upon a time');
    const other = await model.createContext({ contextSize: 256 });
    const logits = await other.evaluate(prompt);
    other.dispose();
    const r = await context.generate(prompt, { max_new_tokens: 3, top_logprobs: 3 }).result;
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
    const first = r.logprobs![0];
    expect(first.token).toBe(r.tokens[0]);
    expect(first.logprob).toBeCloseTo(logits[r.tokens[0]] - lse, 4);
    expect(first.topLogprobs).toHaveLength(3);
    expect(first.topLogprobs![0].token).toBe(r.tokens[0]); // greedy takes the most likely
    const lps = first.topLogprobs!.map((t) => t.logprob);
    expect([...lps].sort((a, b) => b - a)).toEqual(lps);
    expect(r.logprobs).toHaveLength(3);
    const plain = await context.generate(prompt, { max_new_tokens: 3, logprobs: true }).result;
    expect(plain.logprobs![0].topLogprobs).toBeUndefined();
    const none = await context.generate(prompt, { max_new_tokens: 3 }).result;
    expect(none.logprobs).toBeUndefined();
  });

  it('returns per-step scores and logits with return_dict_in_generate', async () => {
    const r = await context.generate('Once upon a time', {
      max_new_tokens: 2, output_scores: true, output_logits: true, return_dict_in_generate: true, top_k: 5, do_sample: true, seed: 1,
    }).result;
    expect(r.scores).toHaveLength(2);
    expect(r.logits).toHaveLength(2);
    expect(r.scores![0]).toHaveLength(model.vocabSize);
    expect(r.scores![0].filter((x) => x > -Infinity).length).toBeLessThanOrEqual(5);
    expect(r.logits![0].every(Number.isFinite)).toBe(true);
  });

  it('same seed, same tokens; another seed, other tokens', async () => {
    const config = { max_new_tokens: 40, do_sample: true, temperature: 1.5, top_k: 0 } as const;
    const a = await context.generate('Once upon a time', { ...config, seed: 7 }).result;
    const b = await context.generate('Once upon a time', { ...config, seed: 7 }).result;
    const c = await context.generate('Once upon a time', { ...config, seed: 8 }).result;
    expect(a.tokens).toEqual(b.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
  });
});

const references = inject('references');

describe.skipIf(references.runs.length === 0)('generate() greedy matches llama-simple', () => {
  it.each(references.runs.map((run) => [run.prompt, run] as const))('%s', async (_prompt, run) => {
    const m = await loadModel(run.model);
    try {
      const prompt = m.tokenize(run.prompt);
      const r = await m.generateText(prompt, { max_new_tokens: run.tokens }, { context: { contextSize: 256 } });
      expect(renderLikeLlamaSimple(m, [...prompt, ...r.tokens])).toBe(run.stdout);
    } finally {
      m.dispose();
    }
  });
});

describe('waking the JS thread', () => {
  // Sampled every millisecond while the generation runs: what the JS side has received.
  async function received(stream: boolean): Promise<{ seen: number[]; total: number }> {
    const long = await model.createContext({ contextSize: 2048, threads: 1 });
    try {
      const g = long.generate('Once upon a time', { max_new_tokens: 1500, ignore_eos: true }, { bufferSize: 4000 });
      const seen: number[] = [];
      const timer = setInterval(() => seen.push(g.receivedTokens), 1);
      if (stream) for await (const _ of g) void _;
      const r = await g.result;
      clearInterval(timer);
      return { seen, total: r.tokens.length };
    } finally {
      long.dispose();
    }
  }

  it('a reader of the result only is told at the end, not for every chunk', async () => {
    const { seen, total } = await received(false);
    expect(seen.length).toBeGreaterThan(5); // the sampling ran while it generated
    // At most one read before the end: the prompt's progress notification, which may carry the first token.
    expect(new Set(seen.filter((n) => n > 0 && n < total)).size).toBeLessThanOrEqual(1);
  });

  it('an iterator gets the chunks as they come', async () => {
    const { seen, total } = await received(true);
    expect(new Set(seen.filter((n) => n > 0 && n < total)).size).toBeGreaterThan(3);
  });

  // Chunks with tokens that a for-await reader gets for 400 tokens of stories260K (~0.1 s).
  async function chunksWith(chunkInterval: number): Promise<{ chunks: number[]; total: number }> {
    const g = context.generate('Once upon a time', { max_new_tokens: 400, ignore_eos: true }, { bufferSize: 4000, chunkInterval });
    const chunks: number[] = [];
    for await (const chunk of g) if (chunk.tokens.length > 0) chunks.push(chunk.tokens.length);
    return { chunks, total: (await g.result).tokens.length };
  }

  it('chunkInterval: the first chunk at once, then at most one per interval', async () => {
    const { chunks, total } = await chunksWith(60_000);
    expect(total).toBe(400);
    // The first token's chunk, then everything else at the end (a minute is never reached).
    expect(chunks.length).toBeLessThanOrEqual(3);
    expect(chunks[0]).toBeLessThan(400);
  });

  it('chunkInterval: 0 hands over a chunk for every step the reader keeps up with', async () => {
    const { chunks, total } = await chunksWith(0);
    expect(total).toBe(400);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(400);
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('chunkInterval must be a number of milliseconds from 0 to an hour', () => {
    for (const bad of [-1, Number.NaN, Infinity, 3_600_001, '16', null]) {
      expect(() => context.generate('x', {}, { chunkInterval: bad as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
