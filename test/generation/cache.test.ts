/** KV cache reuse across generate() calls, context limits, use_cache: false. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import { codeOf } from '../support/errors';
import { STORIES_MODEL } from '../support/models';

let model: Model;

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
});
afterAll(() => model?.dispose());

describe('prefix reuse', () => {
  it('evaluates only what follows the cached prefix, with the same output', async () => {
    const context = await model.createContext({ contextSize: 512 });
    const prompt = model.tokenize('Once upon a time');
    const first = await context.generate(prompt, { max_new_tokens: 20 }).result;
    expect(first.usage.cachedPromptTokens).toBe(0);

    // Same prompt again: all but the last token (whose logits start generation) come from the cache.
    const again = await context.generate(prompt, { max_new_tokens: 20 }).result;
    expect(again.usage.cachedPromptTokens).toBe(prompt.length - 1);
    expect(again.tokens).toEqual(first.tokens);

    // A follow-up turn: prompt + answer + more text. The cache holds prompt + answer minus its last token.
    const followUp = Int32Array.from([...prompt, ...first.tokens, ...model.tokenize(' Then', { addSpecial: false })]);
    const second = await context.generate(followUp, { max_new_tokens: 20 }).result;
    expect(second.usage.cachedPromptTokens).toBe(prompt.length + first.tokens.length - 1);
    const fresh = await model.createContext({ contextSize: 512 });
    const expected = await fresh.generate(followUp, { max_new_tokens: 20 }).result;
    expect(expected.usage.cachedPromptTokens).toBe(0);
    expect(second.tokens).toEqual(expected.tokens);

    // A different prompt shares only BOS.
    const other = await context.generate('The little dog', { max_new_tokens: 5 }).result;
    expect(other.usage.cachedPromptTokens).toBe(1);
    fresh.dispose();
    context.dispose();
  });

  it('picks the sequence whose cache shares the longest prefix', async () => {
    const context = await model.createContext({ contextSize: 1024, sequences: 3 });
    const a = await context.generate('Lily and Ben went to the', { max_new_tokens: 5 }, { sequence: 1 }).result;
    await context.generate('Tom had a big red ball', { max_new_tokens: 5 }, { sequence: 2 }).result;
    const again = await context.generate('Lily and Ben went to the park', { max_new_tokens: 5 }).result;
    expect(again.sequence).toBe(1);
    expect(again.usage.cachedPromptTokens).toBeGreaterThan(a.prompt.length - 2);
    context.dispose();
  });

  it('forgets the cache when the sequence is changed by hand', async () => {
    const context = await model.createContext({ contextSize: 512 });
    const prompt = model.tokenize('Once upon a time');
    const first = await context.generate(prompt, { max_new_tokens: 10 }).result;
    await context.removeTokens(0, 2);
    const r = await context.generate(prompt, { max_new_tokens: 10 }).result;
    expect(r.usage.cachedPromptTokens).toBe(0);
    expect(r.tokens).toEqual(first.tokens);
    await context.clear();
    expect((await context.generate(prompt, { max_new_tokens: 10 }).result).usage.cachedPromptTokens).toBe(0);
    context.dispose();
  });
});

describe('context limits', () => {
  it('CONTEXT_OVERFLOW before anything runs when the prompt does not fit', async () => {
    const context = await model.createContext({ contextSize: 256 });
    const prompt = new Int32Array(300).fill(100);
    expect(() => context.generate(prompt)).toThrow(expect.objectContaining({ code: 'CONTEXT_OVERFLOW' }));
    await expect(context.generate('Once', { max_new_tokens: 3 }).result).resolves.toBeDefined();
    context.dispose();
  });

  it("stops with 'length' when the sequence is full", async () => {
    const context = await model.createContext({ contextSize: 256 });
    const prompt = model.tokenize('Once upon a time');
    const r = await context.generate(prompt, { max_new_tokens: 1000, ignore_eos: true }).result;
    expect(r.finishReason).toBe('length');
    expect(prompt.length + r.tokens.length).toBe(context.sequenceContextSize + 1); // the last token is never evaluated
    context.dispose();
  });

  it('contextShift drops old tokens and goes on', async () => {
    const context = await model.createContext({ contextSize: 256 });
    const r = await context.generate('Once upon a time', { max_new_tokens: 600, ignore_eos: true }, { contextShift: { keep: 4 } }).result;
    expect(r.finishReason).toBe('length');
    expect(r.tokens).toHaveLength(600);
    // After a shift the cache no longer holds prompt + output from 0: nothing is reused.
    expect((await context.generate('Once upon a time', { max_new_tokens: 2 }).result).usage.cachedPromptTokens).toBe(0);
    context.dispose();
  });
});

describe('use_cache: false', () => {
  it('evaluates the whole sequence at every step and gives the same greedy tokens', async () => {
    const context = await model.createContext({ contextSize: 512 });
    const cached = await context.generate('One day, a bird', { max_new_tokens: 25 }).result;
    await context.clear();
    const uncached = await context.generate('One day, a bird', { max_new_tokens: 25, use_cache: false }).result;
    expect(uncached.tokens).toEqual(cached.tokens);
    expect(uncached.config.warnings).toEqual([]);
    context.dispose();
  });
});

describe('errors', () => {
  it('rejects bad input with typed errors, synchronously', async () => {
    const context = await model.createContext({ contextSize: 256 });
    expect(() => context.generate('x', { top_p: 7 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => context.generate('x', { num_beams: 4 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' })); // 1 sequence, 4 beams
    expect(() => context.generate('x', { logits_processor: () => undefined })).toThrow(expect.objectContaining({ code: 'NOT_IMPLEMENTED' }));
    expect(() => context.generate([1, 99999])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => context.generate('x', {}, { sequence: 3 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => context.generate('x', { num_return_sequences: 2, do_sample: true })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => context.generate('x', {}, { bufferSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => context.generate([{ role: 'user', content: 'hi' }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => context.generate([{ role: 'user' } as never])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    // checked before llama.cpp sees it (lib/grammar/gbnf), so an argument error of generate() itself
    expect(() => context.generate('x', { grammar: 'root ::= (' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    context.dispose();
    expect(() => context.generate('x')).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('disposing the context during a generation rejects it with DISPOSED', async () => {
    const context = await model.createContext({ contextSize: 256 });
    const generation = context.generate('Once upon a time', { max_new_tokens: 100000, ignore_eos: true }, { contextShift: true });
    const it = generation[Symbol.asyncIterator]();
    await it.next();
    context.dispose();
    expect(await codeOf(generation.result)).toBe('DISPOSED');
  });
});
