/**
 * llama.cpp's samplers through the public sampler API, each checked on crafted
 * logits against the property that defines it (llama.cpp's own formulas, see
 * vendor/llama.cpp/src/llama-sampler.cpp): mirostat v1/v2, DRY, XTC,
 * top-n-sigma, dynamic temperature, repeat/frequency/presence penalties,
 * logit_bias, seeded reproducibility, and a chi-square test that the draws of
 * `sample` follow softmax(processLogits(...)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationConfigInput } from '../../lib/config';
import { createSampler, loadModel, processLogits, sample, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';
import { mulberry32, normal } from '../support/random';

// ---------------------------------------------------------------------------
// helpers

function randomLogits(n: number, seed: number, scale = 1.5): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * normal(next));
}

function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const e = Array.from(logits, (x) => (x === -Infinity ? 0 : Math.exp(x - max)));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}

const finiteIds = (scores: Float32Array): number[] => [...scores.keys()].filter((i) => scores[i] > -Infinity);

/** Logits whose softmax is `probs`, token i at ids[i] (default: i). */
function logitsOf(probs: number[], ids?: number[], vocab = probs.length): Float32Array {
  const out = new Float32Array(vocab).fill(-Infinity);
  probs.forEach((p, i) => {
    out[ids ? ids[i] : i] = Math.log(p);
  });
  return out;
}

/** ln Γ(x), Lanczos (g = 7, n = 9). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) (Numerical Recipes' gser / gcf). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let ap = a;
    let term = 1 / a;
    let sum = term;
    for (let n = 0; n < 10000; n++) {
      ap += 1;
      term *= x / ap;
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * front);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return front * h;
}

/**
 * Pearson's chi-square goodness of fit of `counts` (per token) to `probs`
 * (per token). Categories with expected count < 5 are pooled; a draw on a
 * zero-probability token gives p = 0.
 */
function chiSquare(counts: number[], probs: number[]): { stat: number; df: number; p: number } {
  const total = counts.reduce((s, x) => s + x, 0);
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0 && !(probs[i] > 0)) return { stat: Infinity, df: 0, p: 0 };
  const cats = [...probs.keys()].filter((i) => probs[i] > 0).sort((a, b) => probs[a] - probs[b]);
  const bins: Array<{ observed: number; expected: number }> = [];
  let pool = { observed: 0, expected: 0 };
  for (const i of cats) {
    pool.observed += counts[i];
    pool.expected += total * probs[i];
    if (pool.expected >= 5) {
      bins.push(pool);
      pool = { observed: 0, expected: 0 };
    }
  }
  if (pool.expected > 0) {
    if (bins.length === 0) bins.push(pool);
    else {
      bins[bins.length - 1].observed += pool.observed;
      bins[bins.length - 1].expected += pool.expected;
    }
  }
  const stat = bins.reduce((s, b) => s + (b.observed - b.expected) ** 2 / b.expected, 0);
  const df = bins.length - 1;
  return { stat, df, p: df > 0 ? gammaQ(df / 2, stat / 2) : 1 };
}

// ---------------------------------------------------------------------------

describe('mirostat', () => {
  // 200 tokens, p_i ∝ e^(-0.05 i): surprise of token i is log2(Z) + 0.0721 i ≈ 4.358 + 0.0721 i bits,
  // i.e. the distribution as a whole is far more surprising than tau = 4.
  const VOCAB = 200;
  const logits = Float32Array.from({ length: VOCAB }, (_, i) => -0.05 * i);
  const TAU = 4;
  const SEEDS = 100;
  const STEPS = 300;

  function run(version: 1 | 2): { first: number[]; late: number[] } {
    const first: number[] = [];
    const late: number[] = [];
    for (let seed = 0; seed < SEEDS; seed++) {
      const sampler = createSampler(
        { do_sample: true, mirostat: version, mirostat_tau: TAU, mirostat_eta: 0.1, seed },
        { vocabSize: VOCAB, inputIds: [] },
      );
      for (let step = 0; step < STEPS; step++) {
        const token = sampler.sample(logits);
        if (step === 0) first.push(token);
        if (step >= 200) late.push(token);
      }
      sampler.dispose();
    }
    return { first, late };
  }

  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

  it('v2: truncation starts at surprise <= 2 tau and tightens as mu moves toward tau', () => {
    // mirostat is the draw (the chain's process() stops before it), so the truncation is observed
    // through the drawn tokens: token i is drawable only while its surprise is <= mu.
    const { first, late } = run(2);
    // mu starts at 2 tau = 8 bits: tokens 0..50 (surprise 7.96) are drawable, 51 (8.04) is not
    expect(Math.max(...first)).toBeLessThanOrEqual(50);
    expect(first.some((t) => t >= 30)).toBe(true); // P(i >= 30 | i <= 50) ≈ 16 % per seed
    // the observed surprise exceeds tau, so mu falls (to ≈ 5.2 bits, about 13 tokens)
    expect(Math.max(...late)).toBeLessThan(30);
    expect(mean(late)).toBeLessThan(mean(first));
  });

  it('v1: the estimated top-k shrinks as mu moves toward tau', () => {
    const { first, late } = run(1);
    // at mu = 8, k = ((ŝ-1) 2^mu / (1 - N^(1-ŝ)))^(1/ŝ) ≈ 194 of 200 tokens: draws reach far down
    expect(first.some((t) => t >= 40)).toBe(true); // P(i >= 40) ≈ 13 % per seed
    expect(Math.max(...late)).toBeLessThan(40); // k settles around 12..27
    expect(mean(late)).toBeLessThan(mean(first));
  });

  it('is reproducible and reset() restarts mu and the seed', () => {
    const config = { do_sample: true, mirostat: 2 as const, mirostat_tau: TAU, seed: 99 };
    const a = createSampler(config, { vocabSize: VOCAB });
    const b = createSampler(config, { vocabSize: VOCAB });
    const seqA = Array.from({ length: 50 }, () => a.sample(logits));
    const seqB = Array.from({ length: 50 }, () => b.sample(logits));
    expect(seqB).toEqual(seqA);
    a.reset();
    expect(Array.from({ length: 50 }, () => a.sample(logits))).toEqual(seqA);
    a.dispose();
    b.dispose();
  });
});

describe('DRY', () => {
  let model: Model;
  // single-token words of stories260K's vocabulary, none containing a default sequence breaker
  const A = 370; // "big"
  const B = 376; // "little"
  const C = 393; // "happy"
  const D = 374; // "friend"
  const X = 357; // "mom"
  const COLON = 467; // ":" (a default sequence breaker)

  beforeAll(async () => {
    model = await loadModel(STORIES_MODEL, { vocabOnly: true });
    expect([A, B, C, D, X, COLON].map((t) => model.detokenize([t]))).toEqual(['big', 'little', 'happy', 'friend', 'mom', ':']);
  });
  afterAll(() => model?.dispose());

  const dry = (extra: GenerationConfigInput): GenerationConfigInput => ({ dry_multiplier: 0.8, dry_base: 1.75, dry_allowed_length: 2, ...extra });

  /** The DRY penalty each token got: input - output (0 where untouched). */
  function penalties(inputIds: number[], config: GenerationConfigInput): Map<number, number> {
    const logits = randomLogits(model.vocabSize, 5);
    const out = processLogits(logits, inputIds, config, { model });
    const changed = new Map<number, number>();
    for (let i = 0; i < logits.length; i++) if (out[i] !== logits[i]) changed.set(i, logits[i] - out[i]);
    return changed;
  }

  // "big little happy friend mom big little happy": emitting "friend" next would extend the
  // repeated "big little happy" (length 3) to 4.
  const HISTORY = [A, B, C, D, X, A, B, C];

  it.each([
    { allowed: 1, penalty: 0.8 * 1.75 ** 2 },
    { allowed: 2, penalty: 0.8 * 1.75 },
    { allowed: 3, penalty: 0.8 },
  ])('penalises the token extending a repeat of length 3 by multiplier·base^(3 - $allowed)', ({ allowed, penalty }) => {
    const changed = penalties(HISTORY, dry({ dry_allowed_length: allowed }));
    expect([...changed.keys()]).toEqual([D]);
    expect(changed.get(D)).toBeCloseTo(penalty, 4);
  });

  it('leaves repeats no longer than dry_allowed_length alone', () => {
    expect(penalties(HISTORY, dry({ dry_allowed_length: 4 })).size).toBe(0);
  });

  it('only looks at the last dry_penalty_last_n tokens', () => {
    expect(penalties(HISTORY, dry({ dry_penalty_last_n: 5 })).size).toBe(0); // "friend mom big little happy"
    expect([...penalties(HISTORY, dry({ dry_penalty_last_n: 8 })).keys()]).toEqual([D]);
  });

  it('is off with dry_multiplier 0', () => {
    expect(penalties(HISTORY, dry({ dry_multiplier: 0 })).size).toBe(0);
  });

  it('a sequence breaker resets the repeat length', () => {
    // "big : little happy friend mom big : little happy": the repeat is 4 long, but ':' two
    // tokens back caps the length DRY counts at 2.
    const history = [A, COLON, B, C, D, X, A, COLON, B, C];
    const none = penalties(history, dry({ dry_sequence_breakers: [] }));
    expect([...none.keys()]).toEqual([D]);
    expect(none.get(D)).toBeCloseTo(0.8 * 1.75 ** 2, 4);
    const broken = penalties(history, dry({})); // default breakers: "\n", ":", "\"", "*"
    expect([...broken.keys()]).toEqual([D]);
    expect(broken.get(D)).toBeCloseTo(0.8, 4);
  });

  it('never penalises a sequence breaker itself', () => {
    // "mom big : little mom big": ':' would extend "mom big" (length 2)
    const history = [X, A, COLON, B, X, A];
    const none = penalties(history, dry({ dry_sequence_breakers: [] }));
    expect([...none.keys()]).toEqual([COLON]);
    expect(none.get(COLON)).toBeCloseTo(0.8, 4);
    expect(penalties(history, dry({ dry_sequence_breakers: [':'] })).size).toBe(0);
  });

  it('sees generated tokens (accept) as well as the prompt', () => {
    const sampler = createSampler(dry({}), { model, inputIds: [A, B, C, D, X] });
    const logits = randomLogits(model.vocabSize, 6);
    expect(sampler.process(logits)).toEqual(logits);
    for (const t of [A, B, C]) sampler.accept(t);
    const out = sampler.process(logits);
    expect(logits[D] - out[D]).toBeCloseTo(0.8 * 1.75, 4);
    sampler.dispose();
  });
});

describe('XTC', () => {
  // p = [.4, .3, .15, .1, .05] at scattered ids
  const IDS = [3, 0, 4, 1, 2];
  const logits = logitsOf([0.4, 0.3, 0.15, 0.1, 0.05], IDS);
  const xtc = (threshold: number, extra: GenerationConfigInput = {}): GenerationConfigInput => ({
    do_sample: true,
    xtc_probability: 1,
    xtc_threshold: threshold,
    seed: 1,
    ...extra,
  });

  it('removes every token above the threshold except the least likely of them', () => {
    const out = processLogits(logits, [], xtc(0.12)); // .4, .3, .15 are above: .4 and .3 go
    expect(finiteIds(out)).toEqual([1, 2, 4]);
    for (const id of [1, 2, 4]) expect(out[id]).toBe(logits[id]);
    expect(finiteIds(processLogits(logits, [], xtc(0.25)))).toEqual([0, 1, 2, 4]); // only .4 goes
  });

  it('does nothing when a single token is above the threshold', () => {
    expect(processLogits(logits, [], xtc(0.35))).toEqual(logits);
  });

  it('is off above threshold 0.5 and at probability 0', () => {
    expect(processLogits(logits, [], xtc(0.6))).toEqual(logits);
    expect(processLogits(logits, [], xtc(0.12, { xtc_probability: 0 }))).toEqual(logits);
  });

  it('keeps min_keep tokens', () => {
    expect(processLogits(logits, [], xtc(0.12, { min_keep: 4 }))).toEqual(logits); // would leave 3
    expect(finiteIds(processLogits(logits, [], xtc(0.12, { min_keep: 3 })))).toEqual([1, 2, 4]);
  });

  it('applies with probability xtc_probability', () => {
    let applied = 0;
    for (let seed = 0; seed < 400; seed++) {
      const out = processLogits(logits, [], xtc(0.12, { xtc_probability: 0.5, seed }));
      if (out[3] === -Infinity) applied++;
    }
    expect(applied).toBeGreaterThan(140); // 200 ± 10 expected
    expect(applied).toBeLessThan(260);
  });
});

describe('top-n-sigma', () => {
  // finite logits 5..-2: mean 1.5, population std sqrt(5.25) = 2.291; two banned tokens must not count
  const logits = Float32Array.from([5, 4, 3, 2, 1, 0, -1, -2, -Infinity, -Infinity]);

  it.each([
    { n: 1, kept: [0, 1, 2] }, // >= 5 - 2.291 = 2.709
    { n: 2, kept: [0, 1, 2, 3, 4] }, // >= 5 - 4.583 = 0.417
    { n: 3, kept: [0, 1, 2, 3, 4, 5, 6] }, // >= 5 - 6.874 = -1.874
  ])('n = $n keeps the logits within n standard deviations of the max', ({ n, kept }) => {
    const out = processLogits(logits, [], { do_sample: true, top_n_sigma: n });
    expect(finiteIds(out)).toEqual(kept);
    for (const id of kept) expect(out[id]).toBe(logits[id]);
  });

  it('is off at -1', () => {
    expect(processLogits(logits, [], { do_sample: true, top_n_sigma: -1 })).toEqual(logits);
  });
});

describe('dynamic temperature (dynatemp_range)', () => {
  /** llama.cpp's temp_ext: T ± range mapped by the normalised entropy of softmax(logits). */
  function expectedTemperature(logits: Float32Array, temperature: number, range: number, exponent: number): number {
    const p = softmax(logits);
    const entropy = -p.reduce((s, x) => (x > 0 ? s + x * Math.log(x) : s), 0);
    const maxEntropy = Math.log(logits.length);
    const min = Math.max(0, temperature - range);
    const max = temperature + range;
    return min + (max - min) * Math.pow(entropy / maxEntropy, exponent);
  }

  const LOW = Float32Array.from([8, 1, 0.5, 0, -0.5, -1, -1.5, -2]); // one dominant token
  const HIGH = Float32Array.from([0.3, 0.2, 0.1, 0, -0.1, -0.2, -0.3, -0.4]); // nearly flat

  it.each([
    { temperature: 1, range: 0.5, exponent: 1 },
    { temperature: 0.8, range: 0.5, exponent: 2 },
    { temperature: 1.2, range: 1.5, exponent: 0.5 },
  ])('T = $temperature ± $range, exponent $exponent', ({ temperature, range, exponent }) => {
    const config = { do_sample: true, temperature, dynatemp_range: range, dynatemp_exponent: exponent };
    const effective: number[] = [];
    for (const logits of [LOW, HIGH]) {
      const out = processLogits(logits, [], config);
      const t = expectedTemperature(logits, temperature, range, exponent);
      for (let i = 0; i < logits.length; i++) {
        expect(Math.abs(out[i] - logits[i] / t)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(logits[i] / t)));
      }
      effective.push((logits[0] - logits[7]) / (out[0] - out[7]));
    }
    // low entropy → near T - range; high entropy → near T + range
    expect(effective[0]).toBeLessThan(temperature);
    expect(effective[1]).toBeGreaterThan(temperature);
    expect(effective[0]).toBeCloseTo(expectedTemperature(LOW, temperature, range, exponent), 4);
    expect(effective[1]).toBeCloseTo(expectedTemperature(HIGH, temperature, range, exponent), 4);
  });

  it('dynatemp_range 0 is plain temperature', () => {
    const out = processLogits(HIGH, [], { do_sample: true, temperature: 0.5, dynatemp_range: 0 });
    for (let i = 0; i < HIGH.length; i++) expect(out[i]).toBeCloseTo(HIGH[i] / 0.5, 5);
  });
});

describe('llama.cpp penalties', () => {
  const logits = Float32Array.from([2, -1, 0.5, 3, -2, 1, 0, 0.25]);
  // window of the last 4 tokens: [0, 5, 3, 0] → counts {0: 2, 5: 1, 3: 1}; token 1 is outside it
  const inputIds = [1, 1, 0, 5, 3, 0];
  const config = { repeat_penalty: 1.5, frequency_penalty: 0.25, presence_penalty: 0.5, penalty_last_n: 4 };

  /** llama.cpp: positive logits divided by the repeat penalty, others multiplied; then count·freq + presence subtracted. */
  function penalised(logit: number, count: number): number {
    if (count === 0) return logit;
    const repeated = logit <= 0 ? logit * 1.5 : logit / 1.5;
    return repeated - count * 0.25 - 0.5;
  }

  it('applies repeat, frequency and presence penalties over the last penalty_last_n tokens', () => {
    const out = processLogits(logits, inputIds, config);
    const counts = [2, 0, 0, 1, 0, 1, 0, 0];
    for (let i = 0; i < logits.length; i++) expect(out[i]).toBeCloseTo(penalised(logits[i], counts[i]), 5);
    expect(out[1]).toBe(logits[1]); // in the prompt, but outside the window
  });

  it('counts the whole history when the window is larger, and nothing at penalty_last_n 0', () => {
    const out = processLogits(logits, inputIds, { ...config, penalty_last_n: 64 });
    const counts = [2, 2, 0, 1, 0, 1, 0, 0];
    for (let i = 0; i < logits.length; i++) expect(out[i]).toBeCloseTo(penalised(logits[i], counts[i]), 5);
    expect(processLogits(logits, inputIds, { ...config, penalty_last_n: 0 })).toEqual(logits);
  });

  it('slides the window over accepted tokens', () => {
    const sampler = createSampler(config, { vocabSize: logits.length, inputIds });
    sampler.accept(7); // window now [5, 3, 0, 7]
    const out = sampler.process(logits);
    const counts = [1, 0, 0, 1, 0, 1, 0, 1];
    for (let i = 0; i < logits.length; i++) expect(out[i]).toBeCloseTo(penalised(logits[i], counts[i]), 5);
    expect([...sampler.inputIds]).toEqual([...inputIds, 7]);
    sampler.dispose();
  });

  it('differs from transformers’ repetition_penalty (whole sequence, once per token, no frequency)', () => {
    const hf = processLogits(logits, inputIds, { repetition_penalty: 1.5 });
    expect(hf[1]).toBeCloseTo(-1.5, 6); // penalised although outside llama.cpp's window
    expect(hf[0]).toBeCloseTo(2 / 1.5, 6); // twice in the history, penalised once
    const llama = processLogits(logits, inputIds, { repeat_penalty: 1.5, penalty_last_n: 4 });
    expect(llama[1]).toBe(-1);
    expect(llama[0]).toBeCloseTo(2 / 1.5, 6);
  });
});

describe('logit_bias', () => {
  const logits = Float32Array.from([1, 2, 3, 0, 0, 0, 0, 0]);

  it('adds biases by token id', () => {
    const out = processLogits(logits, [], { logit_bias: { '5': 4.5, '2': -1 } });
    expect(out[5]).toBeCloseTo(4.5, 6);
    expect(out[2]).toBeCloseTo(2, 6);
    expect(out[1]).toBe(2);
    expect(sample(logits, [], { logit_bias: { '5': 4.5 } })).toBe(5); // greedy picks the biased token
  });

  it('bans tokens with -Infinity or false', () => {
    for (const ban of [-Infinity, false] as const) {
      const out = processLogits(logits, [], { logit_bias: { '2': ban } });
      expect(out[2]).toBe(-Infinity);
      expect(sample(logits, [], { logit_bias: { '2': ban } })).toBe(1);
      for (let seed = 0; seed < 200; seed++) {
        expect(sample(logits, [], { do_sample: true, temperature: 3, seed, logit_bias: { '2': ban } })).not.toBe(2);
      }
    }
  });
});

describe('seeded sampling', () => {
  const logits = randomLogits(64, 1);
  const config = { do_sample: true, temperature: 1.5, top_k: 0 };

  function draws(seed: number, n = 40): number[] {
    const sampler = createSampler({ ...config, seed }, { vocabSize: 64 });
    const out = Array.from({ length: n }, () => sampler.sample(logits));
    sampler.dispose();
    return out;
  }

  it('the same seed gives the same token sequence; different seeds differ', () => {
    expect(draws(42)).toEqual(draws(42));
    expect(draws(43)).not.toEqual(draws(42));
    expect(draws(0)).not.toEqual(draws(1));
    const seqs = new Set(Array.from({ length: 10 }, (_, s) => draws(s).join(',')));
    expect(seqs.size).toBe(10);
  });

  it('reset() replays the sequence; sample() is reproducible per seed', () => {
    const sampler = createSampler({ ...config, seed: 42 }, { vocabSize: 64 });
    const first = Array.from({ length: 40 }, () => sampler.sample(logits));
    sampler.reset();
    expect(Array.from({ length: 40 }, () => sampler.sample(logits))).toEqual(first);
    sampler.dispose();
    expect(first).toEqual(draws(42));
    for (let seed = 0; seed < 20; seed++) {
      expect(sample(logits, [], { ...config, seed })).toBe(sample(logits, [], { ...config, seed }));
    }
  });

  it('stateful seeded stages (XTC) are reproducible too', () => {
    const xtc = { ...config, xtc_probability: 0.5, xtc_threshold: 0.05 };
    const run = (seed: number) => {
      const sampler = createSampler({ ...xtc, seed }, { vocabSize: 64 });
      const out = Array.from({ length: 40 }, () => sampler.sample(logits));
      sampler.dispose();
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});

describe('draws follow softmax(processLogits(...)): chi-square goodness of fit', () => {
  const N = 20000;
  // p > 1e-4 for a correct sampler (the seeds are fixed, so this is deterministic); a wrong
  // distribution is rejected with p far below that.
  const ALPHA = 1e-4;

  it('chi-square p-values are right', () => {
    expect(gammaQ(0.5, 3.841458820694124 / 2)).toBeCloseTo(0.05, 6); // df 1
    expect(gammaQ(5, 18.307038053275146 / 2)).toBeCloseTo(0.05, 6); // df 10
    expect(gammaQ(1, Math.log(1e4))).toBeCloseTo(1e-4, 10); // df 2: p = e^(-x/2)
    expect(gammaQ(50, 100 / 2)).toBeCloseTo(0.4811917, 6); // df 100, x = 100
  });

  const CASES = [
    {
      name: 'plain temperature',
      logits: Float32Array.from([2, 1.6, 1.3, 1, 0.7, 0.4, 0.1, -0.2, -0.5, -0.9, -1.3, -1.8]),
      config: { do_sample: true, temperature: 0.7, top_k: 0 },
    },
    { name: 'top_k + top_p', logits: randomLogits(30, 2), config: { do_sample: true, top_k: 10, top_p: 0.8 } },
    { name: 'min_p', logits: randomLogits(30, 3), config: { do_sample: true, min_p: 0.1, top_k: 0 } },
  ];

  it.each(CASES)('$name', ({ logits, config }) => {
    const processed = processLogits(logits, [], config);
    const expected = softmax(processed);
    const raw = softmax(logits);
    const counts = new Array<number>(logits.length).fill(0);
    for (let seed = 0; seed < N; seed++) counts[sample(logits, [], { ...config, seed })]++;

    for (let i = 0; i < logits.length; i++) if (processed[i] === -Infinity) expect(counts[i]).toBe(0);
    const fit = chiSquare(counts, expected);
    expect(fit.df).toBeGreaterThan(1);
    expect(fit.p, `chi2 ${fit.stat.toFixed(2)} on ${fit.df} df`).toBeGreaterThan(ALPHA);

    // the test has the power to notice a wrong distribution: the same draws against the unprocessed
    // softmax, and draws from the unprocessed softmax against the processed one, are both rejected
    expect(chiSquare(counts, raw).p).toBeLessThan(ALPHA);
    const next = mulberry32(12345);
    const wrong = new Array<number>(logits.length).fill(0);
    for (let k = 0; k < N; k++) {
      let u = next();
      let i = 0;
      while (i < raw.length - 1 && u >= raw[i]) u -= raw[i++];
      wrong[i]++;
    }
    expect(chiSquare(wrong, expected).p).toBeLessThan(ALPHA);
  });
});
