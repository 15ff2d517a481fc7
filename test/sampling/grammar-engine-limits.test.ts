/**
 * The grammar engine's edges: choosing the engine, the compile cache, bounded
 * compiles, a grammar llama.cpp would loop on forever (a typed error instead,
 * through createSampler and through generate()'s result), lazy grammars
 * through generate().
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearGrammarCache, createSampler, grammarCacheStats, loadModel, type Context, type Model } from '../../lib/index';
import { nativeModelOf } from '../../lib/model';
import { planChain } from '../../lib/sampling/plan';
import { buildNativeSampler } from '../../lib/sampling/sampler';
import { codeOf } from '../support/errors';
import { ROOT, STORIES_MODEL } from '../support/models';

let stories: Model;
let context: Context;
let spm: Model;
beforeAll(async () => {
  stories = await loadModel(STORIES_MODEL);
  context = await stories.createContext({ contextSize: 256 });
  spm = await loadModel(join(ROOT, 'vendor', 'llama.cpp', 'models', 'ggml-vocab-llama-spm.gguf'), { vocabOnly: true });
});
afterAll(() => {
  stories?.dispose();
  spm?.dispose();
});

/** Left recursion through a rule made nullable by a repetition: llama.cpp's check misses it and its stacks grow forever. */
const LOOPING = String.raw`root ::= r1
r1 ::= r2 ((. r1 | r1 | ) "b")
r2 ::= [ \t]{0,3}`;

describe('engine choice', () => {
  it("the stage's engine, or LLAMA_GENERATE_GRAMMAR_ENGINE; anything else is INVALID_ARGUMENT", () => {
    const plan = planChain({ grammar: 'root ::= "a"' }, { vocabSize: stories.vocabSize });
    const withEngine = (engine: string): typeof plan => ({ ...plan, stages: plan.stages.map((s) => ({ ...s, engine })) });
    for (const engine of ['llama-generate', 'llama.cpp']) buildNativeSampler(withEngine(engine), nativeModelOf(stories), new Int32Array(0), 0).dispose();
    expect(() => buildNativeSampler(withEngine('xgrammar'), nativeModelOf(stories), new Int32Array(0), 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/grammar engine must be 'llama-generate' or 'llama.cpp'/) }),
    );
    process.env.LLAMA_GENERATE_GRAMMAR_ENGINE = 'nope';
    try {
      expect(() => createSampler({ grammar: 'root ::= "a"' }, { model: stories })).toThrow(/LLAMA_GENERATE_GRAMMAR_ENGINE/);
      process.env.LLAMA_GENERATE_GRAMMAR_ENGINE = 'llama.cpp';
      createSampler({ grammar: 'root ::= "a"' }, { model: stories }).dispose();
    } finally {
      delete process.env.LLAMA_GENERATE_GRAMMAR_ENGINE;
    }
  });
});

describe('compile cache', () => {
  it('compiles a grammar once per model; the second sampler reuses it', () => {
    clearGrammarCache();
    const grammar = 'root ::= "{" [a-z]+ "}"';
    const logits = new Float32Array(stories.vocabSize);
    createSampler({ grammar }, { model: stories }).process(logits);
    const [first] = grammarCacheStats().filter((e) => e.textBytes === grammar.length);
    expect(first).toMatchObject({ vocabSize: stories.vocabSize, root: 'root', uses: 1, lazy: 0, fallback: 0 });
    expect(first!.eager).toBe(first!.positions);
    createSampler({ grammar }, { model: stories }).process(logits);
    const [second] = grammarCacheStats().filter((e) => e.textBytes === grammar.length);
    expect(second!.uses).toBe(2);
    expect(second!.compileMs).toBe(first!.compileMs); // not compiled again
    clearGrammarCache();
    expect(grammarCacheStats()).toEqual([]);
  });

  it('a compile has a bounded eager part: 2000 nested optional rules over a 32k vocabulary', () => {
    clearGrammarCache();
    const started = performance.now();
    const sampler = createSampler({ grammar: 'root ::= [a-z]{0,2000}' }, { model: spm });
    const scores = sampler.process(new Float32Array(spm.vocabSize));
    expect(performance.now() - started).toBeLessThan(30_000);
    const [entry] = grammarCacheStats();
    expect(entry!.positions).toBe(2000);
    expect(entry!.visits).toBeLessThanOrEqual(2 ** 25 + spm.vocabSize * 4); // the eager budget, give or take the last position
    expect(scores.some((s) => s !== -Infinity)).toBe(true);
    sampler.dispose();
  });
});

describe('a grammar llama.cpp would loop on', () => {
  it('createSampler: INVALID_ARGUMENT naming the limit at the first use, not a hang', () => {
    const started = performance.now();
    const sampler = createSampler({ grammar: LOOPING }, { model: stories });
    expect(() => sampler.process(new Float32Array(stories.vocabSize))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/grammar: the parser needs more than \d+ stack entries/) }),
    );
    expect(performance.now() - started).toBeLessThan(60_000);
    sampler.dispose();
  });

  it('generate(): the compile runs on the generation thread and its error ends that generation', async () => {
    expect(await codeOf(context.generate('Once', { grammar: LOOPING, max_new_tokens: 4 }).result)).toBe('INVALID_ARGUMENT');
    // the context goes on
    const ok = await context.generate('Once', { grammar: 'root ::= " upon"', max_new_tokens: 8 }).result;
    expect(ok.text).toBe(' upon');
  });
});

describe('lazy grammars through generate()', () => {
  it('nothing constrained before the trigger word; after it, the grammar from the word on', async () => {
    const free = await context.generate('Once upon a time', { max_new_tokens: 12 }).result;
    const lazy = await context.generate('Once upon a time', {
      grammar: 'root ::= "there" " lived" " a" " cat" [.]',
      grammar_lazy: true,
      grammar_trigger_words: ['there'],
      max_new_tokens: 12,
    }).result;
    const at = free.text.indexOf('there');
    if (at < 0) {
      expect(lazy.text).toBe(free.text); // never triggered: unconstrained
    } else {
      expect(lazy.text.slice(0, at)).toBe(free.text.slice(0, at));
      expect(' lived a cat.'.startsWith(lazy.text.slice(at + 'there'.length)) || lazy.text.slice(at).startsWith('there lived a cat.')).toBe(true);
    }
  });
});
