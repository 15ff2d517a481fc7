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

/**
 * Left recursion through a rule made nullable by a repetition: llama.cpp's
 * check misses it and its stacks grow forever; the GBNF check refuses it, so
 * only the native chain built without the check reaches the engine's limit.
 */
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

/** Not recursive, but every rule doubles the stacks: 2^20 of them at the start, past the engine's stack limit. */
const AMBIGUOUS = ['root ::= r0', ...Array.from({ length: 20 }, (_, i) => `r${i} ::= r${i + 1} "x" | r${i + 1} "y"`), 'r20 ::= "z"'].join('\n');

describe('a grammar llama.cpp would loop on', () => {
  it('createSampler and generate() refuse it up front: the GBNF check names the rule (issue 12)', () => {
    const message = /^grammar: rule 'r1' is left-recursive: .*past rule 'r2', which can match nothing/;
    expect(() => createSampler({ grammar: LOOPING }, { model: stories })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    expect(() => context.generate('Once', { grammar: LOOPING, max_new_tokens: 4 })).toThrow(message);
  });

  it('past the check, the engine: INVALID_ARGUMENT naming the limit at the first use, not a hang', () => {
    const started = performance.now();
    const plan = planChain({ grammar: 'root ::= "a"' }, { vocabSize: stories.vocabSize });
    const looping = { ...plan, stages: plan.stages.map((stage) => ({ ...stage, grammar: LOOPING })) };
    const sampler = buildNativeSampler(looping, nativeModelOf(stories), new Int32Array(0), 0);
    try {
      expect(() => sampler.sample(new Float32Array(stories.vocabSize), true)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/grammar: the parser needs more than \d+ stack entries/) }),
      );
    } finally {
      sampler.dispose();
    }
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it('createSampler: a grammar whose stacks multiply fails at the first use with the limit', () => {
    const sampler = createSampler({ grammar: AMBIGUOUS }, { model: stories });
    expect(() => sampler.process(new Float32Array(stories.vocabSize))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/grammar: the parser needs more than \d+ stack entries/) }),
    );
    sampler.dispose();
  });

  it('generate(): the compile runs on the generation thread and its error ends that generation', async () => {
    expect(await codeOf(context.generate('Once', { grammar: AMBIGUOUS, max_new_tokens: 4 }).result)).toBe('INVALID_ARGUMENT');
    // the context goes on
    const ok = await context.generate('Once', { grammar: 'root ::= " upon"', max_new_tokens: 8 }).result;
    expect(ok.text).toBe(' upon');
  });
});

describe('lazy grammars through generate()', () => {
  it('waiting for a trigger costs nothing per token over a long output (it rescanned everything: O(n^2))', async () => {
    const long = await stories.createContext({ contextSize: 4096, threads: 1 });
    try {
      const config = { max_new_tokens: 2000, ignore_eos: true };
      const plain = await long.generate('Once upon a time', config).result;
      const grammar = 'root ::= "x"';
      for (const triggers of [
        { grammar_trigger_words: ['<tool_call>'] },
        // the tools grammars' shape: never inside a reasoning section
        { grammar_trigger_patterns: ['^(?!\\s*<think>)[\\s\\S]*?(<tool_call>)', '^\\s*<think>[\\s\\S]*?</think>[\\s\\S]*?(<tool_call>)'] },
      ]) {
        const lazy = await long.generate('Once upon a time', { ...config, grammar, grammar_lazy: true, ...triggers }).result;
        expect(lazy.tokens).toEqual(plain.tokens); // never triggered
        // A hang guard, not a speed goal: the old trigger took 10 minutes for 3,000 tokens here.
        expect(lazy.timings.generationMs).toBeLessThan(4 * plain.timings.generationMs + 2000);
      }
    } finally {
      long.dispose();
    }
  }, 60_000);

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
