/** context.evaluate(): logits modes, batching, validation, abort, queueing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import { codeOf } from '../support/errors';
import { argmax, maxAbsDiff, STORIES_MODEL } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';

const TOLERANCE = 1e-4;
/** Batched and single-token matmuls take different kernels: allow float rounding differences. */
const KERNEL_TOLERANCE = 2e-3;


describe.each([
  { name: 'stories260K', path: async () => STORIES_MODEL },
  { name: 'random tiny llama', path: () => getTinyModelPath() },
])('evaluate on $name', ({ path }) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(await path());
  });
  afterAll(() => model.dispose());

  it("returns one row per token with logits: 'all', whose last row equals logits: 'last'", async () => {
    const tokens = model.tokenize('Once upon a time there was');
    const a = await model.createContext({ contextSize: 128 });
    const b = await model.createContext({ contextSize: 128 });
    try {
      const all = await a.evaluate(tokens, { logits: 'all' });
      const last = await b.evaluate(tokens);
      expect(all.length).toBe(tokens.length * model.vocabSize);
      expect(last.length).toBe(model.vocabSize);
      expect(maxAbsDiff(all.subarray((tokens.length - 1) * model.vocabSize), last)).toBeLessThan(TOLERANCE);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('row i of logits "all" equals evaluating the first i+1 tokens one at a time', async () => {
    const tokens = model.tokenize('The cat sat on the mat');
    const batched = await model.createContext({ contextSize: 128 });
    const stepwise = await model.createContext({ contextSize: 128 });
    try {
      const all = await batched.evaluate(tokens, { logits: 'all' });
      for (let i = 0; i < tokens.length; i++) {
        const row = await stepwise.evaluate([tokens[i]]);
        const batchedRow = all.subarray(i * model.vocabSize, (i + 1) * model.vocabSize);
        expect(maxAbsDiff(batchedRow, row)).toBeLessThan(KERNEL_TOLERANCE);
        expect(argmax(batchedRow)).toBe(argmax(row));
      }
    } finally {
      batched.dispose();
      stepwise.dispose();
    }
  });

  it('splits prompts longer than batchSize into several decodes with the same result', async () => {
    const tokens = model.tokenize('Lily and Ben went to the park to play with the big red ball and the little dog.');
    const big = await model.createContext({ contextSize: 128, batchSize: 128 });
    const small = await model.createContext({ contextSize: 128, batchSize: 4 });
    try {
      expect(small.batchSize).toBe(4);
      const a = await big.evaluate(tokens, { logits: 'all' });
      const b = await small.evaluate(tokens, { logits: 'all' });
      expect(maxAbsDiff(a, b)).toBeLessThan(TOLERANCE);
    } finally {
      big.dispose();
      small.dispose();
    }
  });

  it("returns no logits with logits: 'none' but still fills the cache", async () => {
    const context = await model.createContext({ contextSize: 64 });
    try {
      const tokens = model.tokenize('Hello there');
      expect((await context.evaluate(tokens, { logits: 'none' })).length).toBe(0);
      expect(await context.sequencePositions(0)).toEqual({ min: 0, max: tokens.length - 1 });
    } finally {
      context.dispose();
    }
  });
});

describe('evaluate validation and control', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(STORIES_MODEL);
  });
  afterAll(() => model.dispose());

  it('rejects bad input with typed errors and leaves the sequence untouched', async () => {
    const context = await model.createContext({ contextSize: 64, sequences: 2 });
    try {
      await context.evaluate(model.tokenize('Hi'));
      const before = await context.sequencePositions(0);
      expect(await codeOf(context.evaluate([]))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate([-1]))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate([model.vocabSize]))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate([1.5]))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate('hello' as never))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate([1], { sequence: 2 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate([1], { sequence: -1 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate([1], { logits: 'some' as never }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(context.evaluate(new Array(context.sequenceContextSize + 1).fill(1)))).toBe('CONTEXT_OVERFLOW');
      expect(await context.sequencePositions(0)).toEqual(before);
      expect(await context.sequencePositions(1)).toBeNull();
    } finally {
      context.dispose();
    }
  });

  it('reports CONTEXT_OVERFLOW when a sequence fills up, keeping what it had', async () => {
    const context = await model.createContext({ contextSize: 256, batchSize: 64 });
    try {
      const size = context.sequenceContextSize;
      expect(size).toBe(256);
      await context.evaluate(new Array(size - 2).fill(5));
      expect(await codeOf(context.evaluate([5, 6, 7]))).toBe('CONTEXT_OVERFLOW');
      expect(await context.sequencePositions(0)).toEqual({ min: 0, max: size - 3 });
      await context.evaluate([5, 6]);
      expect(await context.sequencePositions(0)).toEqual({ min: 0, max: size - 1 });
      expect(await codeOf(context.evaluate([5]))).toBe('CONTEXT_OVERFLOW');
    } finally {
      context.dispose();
    }
  });

  it('aborts through an AbortSignal', async () => {
    const context = await model.createContext({ contextSize: 64 });
    try {
      const controller = new AbortController();
      controller.abort();
      expect(await codeOf(context.evaluate([1, 2, 3], { signal: controller.signal }))).toBe('ABORTED');
      expect(await context.sequencePositions(0)).toBeNull();
      // An abort after completion changes nothing.
      const late = new AbortController();
      await context.evaluate([1, 2, 3], { signal: late.signal });
      late.abort();
      expect(await context.sequencePositions(0)).toEqual({ min: 0, max: 2 });
    } finally {
      context.dispose();
    }
  });

  it('aborts an evaluation that is waiting in the queue', async () => {
    const context = await model.createContext({ contextSize: 256 });
    try {
      const controller = new AbortController();
      const first = context.evaluate(model.tokenize('Once upon a time'));
      const second = context.evaluate([5, 6, 7], { signal: controller.signal });
      controller.abort();
      await first;
      expect(await codeOf(second)).toBe('ABORTED');
      expect((await context.sequencePositions(0))!.max).toBe(model.tokenize('Once upon a time').length - 1);
    } finally {
      context.dispose();
    }
  });

  it('runs operations in call order without awaiting in between', async () => {
    const context = await model.createContext({ contextSize: 128 });
    const reference = await model.createContext({ contextSize: 128 });
    try {
      const prompt = model.tokenize('Once upon a time');
      const p1 = context.evaluate(prompt);
      const p2 = context.removeTokens(0, 2);
      const p3 = context.evaluate(prompt.subarray(2));
      const p4 = context.sequencePositions(0);
      const [, , logits, positions] = await Promise.all([p1, p2, p3, p4]);
      expect(positions).toEqual({ min: 0, max: prompt.length - 1 });
      const expected = await reference.evaluate(prompt);
      expect(maxAbsDiff(logits, expected)).toBeLessThan(TOLERANCE);
      expect(context.pendingOperations).toBe(0);
    } finally {
      context.dispose();
      reference.dispose();
    }
  });

  it('keeps evaluating after a failed operation in the queue', async () => {
    const context = await model.createContext({ contextSize: 64 });
    try {
      const bad = context.evaluate([model.vocabSize + 10]);
      const good = context.evaluate([1, 2]);
      expect(await codeOf(bad)).toBe('INVALID_ARGUMENT');
      expect((await good).length).toBe(model.vocabSize);
    } finally {
      context.dispose();
    }
  });

  it('reports prompt and generation timings', async () => {
    const context = await model.createContext({ contextSize: 64 });
    try {
      await context.evaluate(model.tokenize('Hello world'));
      await context.evaluate([argmax(await context.evaluate([5]))]);
      const stats = await context.stats();
      expect(stats.promptTokens + stats.evalTokens).toBeGreaterThan(0);
      expect(stats.promptMs + stats.evalMs).toBeGreaterThan(0);
      // Generation steps of one token reuse the previous step's compute graph (llama.cpp's graph reuse).
      const before = stats.graphsReused;
      await context.generate('Hello', { max_new_tokens: 8, ignore_eos: true }).result;
      expect((await context.stats()).graphsReused).toBeGreaterThanOrEqual(before + 6);
    } finally {
      context.dispose();
    }
  });
});
