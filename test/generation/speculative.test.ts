/**
 * Speculative decoding (prompt lookup, a draft model): greedy output is
 * token for token plain greedy's; sampled output follows the same
 * distribution (two-sample chi-square over seeded draws, p-values printed);
 * it works with stop strings, logprobs, grammars, concurrent generations,
 * aborts and prefix reuse; bad requests are typed errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type GenerationConfigInput, type Model } from '../../lib/index';
import { rewriteModel } from '../support/gguf-rewrite';
import { STORIES_MODEL } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';
import { chiSquareHomogeneity } from '../support/chi-square';

let model: Model;
let draft: Model; // stories260K cut to its first 4 of 5 layers: agrees with the model often, not always
let context: Context;
let dir: string;

const PROMPTS = [
  'Once upon a time, there was a little girl named Lily. She loved to play outside. Once upon a time, there was a little',
  'Tom had a red ball. Tom had a red ball and a blue car. Tom had',
  'The cat sat on the mat.',
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lg-speculative-'));
  const draftPath = join(dir, 'stories-4-layers.gguf');
  await rewriteModel(STORIES_MODEL, draftPath, {
    metadata: { 'llama.block_count': { type: 'u32', value: 4 } },
    tensors: (tensors) => tensors.filter((t) => !/^blk\.4\./.test(t.name)),
  });
  model = await loadModel(STORIES_MODEL);
  draft = await loadModel(draftPath);
  context = await model.createContext({ contextSize: 1024, sequences: 4, threads: 1 });
});
afterAll(() => {
  context?.dispose();
  draft?.dispose();
  model?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (prompt: string, config: GenerationConfigInput) => context.generate(prompt, config).result;

describe('greedy speculative decoding is plain greedy, token for token', () => {
  const configs: Array<[string, GenerationConfigInput]> = [
    ['prompt lookup', { prompt_lookup_num_tokens: 10 }],
    ['prompt lookup, 1-grams, 3 tokens', { prompt_lookup_num_tokens: 3, max_matching_ngram_size: 1 }],
    ['draft model', { assistant_model: undefined as never, num_assistant_tokens: 5, assistant_confidence_threshold: 0 }],
    ['draft model, heuristic schedule', { assistant_model: undefined as never, num_assistant_tokens_schedule: 'heuristic' }],
  ];
  for (const [name, extra] of configs) {
    it(name, async () => {
      for (const prompt of PROMPTS) {
        for (const base of [{}, { repetition_penalty: 1.3 }, { no_repeat_ngram_size: 3 }] as GenerationConfigInput[]) {
          const config = { max_new_tokens: 80, do_sample: false, ...base };
          const spec = { ...config, ...extra, ...('assistant_model' in extra ? { assistant_model: draft } : {}) };
          const plain = await run(prompt, config);
          const fast = await run(prompt, spec);
          expect(fast.tokens).toEqual(plain.tokens);
          expect(fast.finishReason).toBe(plain.finishReason);
          expect(fast.speculative).toBeDefined();
          expect(fast.speculative!.accepted).toBeLessThanOrEqual(fast.speculative!.drafted);
        }
      }
    });
  }

  it('drafts pay off where the output repeats the prompt', async () => {
    const r = await run(PROMPTS[0], { max_new_tokens: 60, do_sample: false, prompt_lookup_num_tokens: 10 });
    expect(r.speculative!.accepted).toBeGreaterThan(0);
    expect(r.speculative!.tokensPerDecode).toBeGreaterThan(1);
    expect(r.speculative!.acceptanceRate).toBeCloseTo(r.speculative!.accepted / r.speculative!.drafted, 12);
    const d = await run(PROMPTS[0], { max_new_tokens: 60, do_sample: false, assistant_model: draft, assistant_confidence_threshold: 0, num_assistant_tokens: 4 });
    expect(d.speculative!.accepted).toBeGreaterThan(0);
    expect(d.speculative!.accepted).toBeLessThan(d.speculative!.drafted); // the draft is a different model
  });

  it('keeps stop strings, logprobs and output scores as plain decoding has them', async () => {
    const config: GenerationConfigInput = { max_new_tokens: 60, do_sample: false, stop_strings: ['Lily'], top_logprobs: 3 };
    const plain = await run(PROMPTS[0], config);
    for (const extra of [{ prompt_lookup_num_tokens: 8 }, { assistant_model: draft, assistant_confidence_threshold: 0 }]) {
      const fast = await run(PROMPTS[0], { ...config, ...extra });
      expect(fast.text).toBe(plain.text);
      expect(fast.stopString).toBe('Lily');
      expect(fast.logprobs!.map((l) => l.token)).toEqual(plain.logprobs!.map((l) => l.token));
      fast.logprobs!.forEach((l, i) => {
        expect(l.logprob).toBeCloseTo(plain.logprobs![i].logprob, 4);
        expect(l.topLogprobs!.map((t) => t.token)).toEqual(plain.logprobs![i].topLogprobs!.map((t) => t.token));
      });
    }
    const scored = { max_new_tokens: 20, do_sample: false, return_dict_in_generate: true, output_scores: true, repetition_penalty: 1.2 };
    const a = await run(PROMPTS[1], scored);
    const b = await run(PROMPTS[1], { ...scored, prompt_lookup_num_tokens: 5 });
    expect(b.scores!.length).toBe(a.scores!.length);
    b.scores!.forEach((row, i) => {
      const finite = (r: Float32Array) => Array.from(r).map((x, id) => (x === -Infinity ? -1 : id)).filter((id) => id >= 0);
      expect(finite(row)).toEqual(finite(a.scores![i]));
    });
  });

  it('drafts for every returned sequence of a sampled num_return_sequences', async () => {
    const r = await run(PROMPTS[0], { max_new_tokens: 30, do_sample: true, seed: 5, num_return_sequences: 3, prompt_lookup_num_tokens: 5 });
    expect(r.sequences).toHaveLength(3);
    for (const out of r.sequences) {
      expect(out.tokens.length).toBeGreaterThan(0);
      expect(out.speculative!.drafted).toBeGreaterThan(0);
    }
  });

  it('keeps a grammar: the constrained output is plain greedy\'s', async () => {
    const grammar = 'root ::= ("Tom" | " had" | " a" | " red" | " ball" | " and" | ".")+';
    const plain = await run(PROMPTS[1], { max_new_tokens: 30, do_sample: false, grammar });
    const fast = await run(PROMPTS[1], { max_new_tokens: 30, do_sample: false, grammar, prompt_lookup_num_tokens: 6 });
    const drafted = await run(PROMPTS[1], { max_new_tokens: 30, do_sample: false, grammar, assistant_model: draft, assistant_confidence_threshold: 0 });
    expect(fast.text).toBe(plain.text);
    expect(drafted.text).toBe(plain.text);
    expect(fast.speculative!.accepted).toBeGreaterThan(0);
  });

  it('runs beside other generations on the context, each as it would alone', async () => {
    const configs: GenerationConfigInput[] = [
      { max_new_tokens: 50, do_sample: false, prompt_lookup_num_tokens: 6 },
      { max_new_tokens: 50, do_sample: false, assistant_model: draft, assistant_confidence_threshold: 0 },
      { max_new_tokens: 50, do_sample: false },
      { max_new_tokens: 50, do_sample: true, seed: 9, assistant_model: draft },
    ];
    const alone = [];
    for (let i = 0; i < configs.length; i++) alone.push(await run(PROMPTS[i % PROMPTS.length], configs[i]));
    const together = await Promise.all(configs.map((c, i) => run(PROMPTS[i % PROMPTS.length], c)));
    expect(together.map((r) => r.tokens)).toEqual(alone.map((r) => r.tokens));
  });

  it('leaves the sequence holding what it reports, so the next call reuses it', async () => {
    const first = await run(PROMPTS[0], { max_new_tokens: 40, do_sample: false, prompt_lookup_num_tokens: 10 });
    const next = PROMPTS[0] + first.text + ' The end.';
    const reused = await context.generate(next, { max_new_tokens: 30, do_sample: false }, { sequence: first.sequence }).result;
    expect(reused.usage.cachedPromptTokens).toBeGreaterThan(first.prompt.length);
    const fresh = await model.createContext({ contextSize: 512, threads: 1 });
    try {
      expect(reused.tokens).toEqual((await fresh.generate(next, { max_new_tokens: 30, do_sample: false }).result).tokens);
    } finally {
      fresh.dispose();
    }
  });

  it('stops on abort with what it had, and the context goes on as before', async () => {
    const controller = new AbortController();
    const generation = context.generate(PROMPTS[0], { max_new_tokens: 400, do_sample: false, assistant_model: draft }, { signal: controller.signal });
    let seen = 0;
    for await (const chunk of generation) {
      seen += chunk.tokens.length;
      if (seen >= 5) controller.abort();
    }
    const r = await generation.result;
    expect(r.finishReason).toBe('abort');
    const plain = await run(PROMPTS[2], { max_new_tokens: 30, do_sample: false });
    const again = await run(PROMPTS[2], { max_new_tokens: 30, do_sample: false, assistant_model: draft });
    expect(again.tokens).toEqual(plain.tokens);
  });

  it('heuristic carries num_assistant_tokens over to the next call, heuristic_transient starts again', async () => {
    // One sequence: every call finds the caches laid out alike, so equal calls give equal numbers.
    const single = await model.createContext({ contextSize: 512, threads: 1 });
    try {
      const go = (schedule: string) =>
        single.generate(PROMPTS[0], {
          max_new_tokens: 40, do_sample: false, assistant_model: draft, assistant_confidence_threshold: 0, num_assistant_tokens: 5,
          num_assistant_tokens_schedule: schedule as 'constant',
        }).result;
      const t1 = await go('heuristic_transient');
      const t2 = await go('heuristic_transient');
      expect(t2.speculative).toEqual(t1.speculative);
      expect(t1.speculative!.numAssistantTokens).not.toBe(5);
      expect((await go('constant')).speculative!.numAssistantTokens).toBe(5);
      const h1 = await go('heuristic');
      const h2 = await go('heuristic');
      expect(h1.speculative).toEqual(t1.speculative);
      expect(h2.speculative!.drafted).not.toBe(h1.speculative!.drafted); // started from h1's end value
      expect(h2.tokens).toEqual(h1.tokens);
    } finally {
      single.dispose();
    }
  });
});

describe('sampled speculative decoding keeps the distribution', () => {
  // The first three tokens of many seeded draws, with and without drafts.
  let lookupAccepted = 0;
  async function outcomes(config: GenerationConfigInput, draws: number, seedBase: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < draws; i++) {
      const r = await run(PROMPTS[0], { max_new_tokens: 3, do_sample: true, top_k: 5, temperature: 1.2, ...config, seed: seedBase + i });
      out.push(r.tokens.join(','));
      lookupAccepted += r.speculative?.accepted ?? 0;
    }
    return out;
  }
  const DRAWS = 1200;
  let plain: string[];
  beforeAll(async () => {
    plain = await outcomes({}, DRAWS, 1);
  }, 120_000);

  it('with a draft model (accepts some, rejects some: the residual draw runs)', async () => {
    let accepted = 0;
    let drafted = 0;
    const spec: string[] = [];
    for (let i = 0; i < DRAWS; i++) {
      const r = await run(PROMPTS[0], {
        max_new_tokens: 3, do_sample: true, top_k: 5, temperature: 1.2, seed: 100_000 + i,
        assistant_model: draft, num_assistant_tokens: 2, assistant_confidence_threshold: 0,
      });
      spec.push(r.tokens.join(','));
      accepted += r.speculative!.accepted;
      drafted += r.speculative!.drafted;
    }
    expect(accepted).toBeGreaterThan(drafted * 0.1);
    expect(accepted).toBeLessThan(drafted * 0.95);
    const test = chiSquareHomogeneity(plain, spec);
    console.log(`draft model: chi2 ${test.statistic.toFixed(1)} on ${test.degreesOfFreedom} df, p = ${test.pValue.toFixed(3)} (acceptance ${(accepted / drafted).toFixed(2)})`);
    expect(test.pValue).toBeGreaterThan(0.001);
  }, 120_000);

  it('with prompt lookup (a point-mass proposal)', async () => {
    lookupAccepted = 0;
    const spec = await outcomes({ prompt_lookup_num_tokens: 3 }, DRAWS, 200_000);
    expect(lookupAccepted).toBeGreaterThan(DRAWS / 10); // "there was a little" goes on as in the prompt
    const test = chiSquareHomogeneity(plain, spec);
    console.log(`prompt lookup: chi2 ${test.statistic.toFixed(1)} on ${test.degreesOfFreedom} df, p = ${test.pValue.toFixed(3)}`);
    expect(test.pValue).toBeGreaterThan(0.001);
  }, 120_000);

  it('the test tells apart distributions that differ (temperature 1.2 vs 1.5)', async () => {
    const other = await outcomes({ temperature: 1.5 }, DRAWS, 300_000);
    const test = chiSquareHomogeneity(plain, other);
    console.log(`control (temperature 1.5): chi2 ${test.statistic.toFixed(1)} on ${test.degreesOfFreedom} df, p = ${test.pValue.toExponential(2)}`);
    expect(test.pValue).toBeLessThan(0.001);
  }, 120_000);
});

describe('speculative decoding errors', () => {
  const fails = (config: GenerationConfigInput, code: string, message: RegExp): void => {
    expect(() => context.generate('Once', config)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  };

  it('refuses what cannot combine, before anything runs', () => {
    fails({ prompt_lookup_num_tokens: 3, assistant_model: draft }, 'INVALID_ARGUMENT', /not both/);
    fails({ prompt_lookup_num_tokens: 3, num_beams: 2 }, 'INVALID_ARGUMENT', /does not combine with num_beams/);
    fails({ prompt_lookup_num_tokens: 3, use_cache: false }, 'INVALID_ARGUMENT', /needs use_cache: true/);
    fails({ max_matching_ngram_size: 3 }, 'INVALID_ARGUMENT', /needs prompt_lookup_num_tokens/);
    fails({ prompt_lookup_num_tokens: 0 }, 'INVALID_ARGUMENT', /prompt_lookup_num_tokens/);
    fails({ assistant_model: 'model.gguf' as never }, 'INVALID_ARGUMENT', /assistant_model/);
    // Found by the reliability harness: any object passed the rule and failed later as an untyped TypeError.
    for (const notAModel of [{}, [], new Map(), Object.create(null), new Int32Array(2)]) {
      fails({ assistant_model: notAModel as never }, 'INVALID_ARGUMENT', /assistant_model must be a loaded Model/);
    }
    fails({ prompt_lookup_num_tokens: 3, do_sample: true, mirostat: 2 }, 'NOT_IMPLEMENTED', /mirostat/);
    fails({ assistant_model: draft, assistant_early_exit: 2 }, 'NOT_IMPLEMENTED', /assistant_early_exit/);
  });

  it('needs a draft model with the same tokenizer', async () => {
    const other = await loadModel(await getTinyModelPath());
    try {
      await expect(run('Once', { assistant_model: other, max_new_tokens: 3 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/assistant_model must share the model's tokenizer/),
      });
    } finally {
      other.dispose();
    }
    // The context is fine afterwards.
    expect((await run('Once', { max_new_tokens: 3, do_sample: false })).tokens.length).toBe(3);
  });

  it('a disposed draft model is DISPOSED, and the context goes on', async () => {
    const path = join(dir, 'stories-4-layers.gguf');
    const gone = await loadModel(path);
    await run('Once', { assistant_model: gone, max_new_tokens: 3 });
    gone.dispose();
    await expect(run('Once', { assistant_model: gone, max_new_tokens: 3 })).rejects.toMatchObject({ code: 'DISPOSED' });
    expect((await run('Once', { max_new_tokens: 3, do_sample: false })).tokens.length).toBe(3);
  });
});
