/**
 * Beam search (num_beams > 1) on a real model, where a beam's logits depend
 * on its whole history, so every reordering of the KV cache is exercised:
 * an exhaustive search over a toy vocabulary, a reference beam search in JS
 * over context.evaluate(), batching beside other generations, streaming,
 * abort and beam sampling. transformers' exact semantics are checked by
 * test/golden/hf-beam.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type GenerationChunk, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';
import { chiSquareGoodnessOfFit } from '../support/chi-square';

let model: Model;
let scratch: Context; // context.evaluate() for the references

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  scratch = await model.createContext({ contextSize: 256, threads: 1 });
});
afterAll(() => {
  scratch?.dispose();
  model?.dispose();
});

const PROMPT = 'Once upon a time, there was a little';

/** log_softmax (in doubles) of the last logits of `tokens`, evaluated from scratch. */
async function logProbs(tokens: number[]): Promise<Float64Array> {
  await scratch.clear();
  const logits = await scratch.evaluate(new Int32Array(tokens));
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (l) => l - lse);
}

/**
 * Scores agree up to the noise between a decode of the whole sequence and a
 * step-by-step decode in batches of several sequences (F16 KV cache, other
 * matrix shapes): up to ~6e-5 per token on stories260K.
 */
const close = (got: number, expected: number, tokens = 1): boolean => Math.abs(got - expected) <= 1e-4 * tokens * Math.max(1, Math.abs(expected));

describe('beam search finds the best sequence (exhaustive search, length_penalty 0)', () => {
  // Every token but `allowed` is suppressed, so the sequences are allowed^steps; with
  // num_beams = |allowed|^(steps-1) every prefix survives and beam search is exhaustive.
  it.each([
    [[262, 263, 264], 3],
    [[300, 270], 5],
  ])('over %j, %i steps', async (allowed, steps) => {
    const prompt = [...model.tokenize(PROMPT)];
    const numBeams = allowed.length ** (steps - 1);
    const suppress = Array.from({ length: model.vocabSize }, (_, t) => t).filter((t) => !allowed.includes(t));
    const context = await model.createContext({ contextSize: 4096, sequences: numBeams, threads: 1 });
    const result = await context.generate(new Int32Array(prompt), {
      num_beams: numBeams, num_return_sequences: 1, length_penalty: 0, max_new_tokens: steps, eos_token_id: 2, suppress_tokens: suppress,
    }).result;
    context.dispose();

    const sums = new Map<string, number>();
    const walk = async (tokens: number[], sum: number): Promise<void> => {
      if (tokens.length === steps) {
        sums.set(tokens.join(','), sum);
        return;
      }
      const lp = await logProbs([...prompt, ...tokens]);
      for (const t of allowed) await walk([...tokens, t], sum + lp[t]);
    };
    await walk([], 0);
    const best = Math.max(...sums.values());
    const found = sums.get(result.tokens.join(','));
    expect(found).toBeDefined();
    expect(found!).toBeGreaterThanOrEqual(best - 1e-4); // the optimum (up to float noise between equal-looking paths)
    expect(close(result.score!, found!, steps)).toBe(true);
  });
});

/** transformers' beam search without EOS (every running beam lives to the end), in JS over evaluate(). */
async function referenceBeams(prompt: number[], numBeams: number, steps: number, banned: number[]): Promise<Array<{ tokens: number[]; sum: number }>> {
  let beams = Array.from({ length: numBeams }, (_, i) => ({ tokens: [] as number[], sum: i === 0 ? 0 : -1e9 }));
  for (let step = 0; step < steps; step++) {
    const rows = new Map<string, Float64Array>();
    const candidates: Array<{ beam: number; token: number; score: number }> = [];
    for (let b = 0; b < numBeams; b++) {
      const key = beams[b].tokens.join(',');
      if (!rows.has(key)) rows.set(key, await logProbs([...prompt, ...beams[b].tokens]));
      const row = rows.get(key)!;
      row.forEach((lp, token) => {
        if (!banned.includes(token)) candidates.push({ beam: b, token, score: Math.fround(beams[b].sum + Math.fround(lp)) });
      });
    }
    candidates.sort((a, b) => b.score - a.score || a.beam - b.beam || a.token - b.token);
    beams = candidates.slice(0, numBeams).map((c) => ({ tokens: [...beams[c.beam].tokens, c.token], sum: c.score }));
  }
  return beams.sort((a, b) => b.sum - a.sum);
}

describe('beam search on a real model', () => {
  it('matches a reference beam search over context.evaluate() (every beam reordering of the KV cache)', async () => {
    const prompt = [...model.tokenize(PROMPT)];
    const context = await model.createContext({ contextSize: 1024, sequences: 4, threads: 1 });
    const steps = 16;
    const result = await context.generate(new Int32Array(prompt), {
      num_beams: 4, num_return_sequences: 4, max_new_tokens: steps, ignore_eos: true, length_penalty: 0,
    }).result;
    context.dispose();
    const expected = await referenceBeams(prompt, 4, steps, [...model.eogTokens]);
    expect(result.sequences.map((s) => s.tokens)).toEqual(expected.map((e) => e.tokens));
    result.sequences.forEach((s, i) => expect(close(s.score!, expected[i].sum, steps)).toBe(true));
    expect(result.sequences.map((s) => s.finishReason)).toEqual(['length', 'length', 'length', 'length']);
    expect(result.text).toBe(result.sequences[0].text);
    expect(result.text).toContain('Lily');
  });

  it('runs beside other generations on the context without changing them', async () => {
    const context = await model.createContext({ contextSize: 2048, sequences: 6, threads: 1 });
    const config = { num_beams: 4, num_return_sequences: 2, max_new_tokens: 20, early_stopping: true } as const;
    const alone = await context.generate(PROMPT, config).result;
    const greedyAlone = await context.generate('The little dog', { max_new_tokens: 30, ignore_eos: true }).result;
    const [beams, greedy] = await Promise.all([
      context.generate(PROMPT, config).result,
      context.generate('The little dog', { max_new_tokens: 30, ignore_eos: true }).result,
    ]);
    expect(beams.sequences.map((s) => s.tokens)).toEqual(alone.sequences.map((s) => s.tokens));
    beams.sequences.forEach((s, i) => expect(close(s.score!, alone.sequences[i].score!, 20)).toBe(true)); // other batch shapes
    expect(greedy.tokens).toEqual(greedyAlone.tokens);
    context.dispose();
  });

  it('streams the returned sequences once the search is over, best first', async () => {
    const context = await model.createContext({ contextSize: 1024, sequences: 3, threads: 1 });
    const generation = context.generate(PROMPT, { num_beams: 3, num_return_sequences: 3, max_new_tokens: 12 });
    const chunks: GenerationChunk[] = [];
    for await (const chunk of generation) chunks.push(chunk);
    const result = await generation.result;
    context.dispose();
    // each output's last chunk carries its finish reason: an empty one when the end came after the reader took its tokens
    for (const s of result.sequences) expect(chunks.filter((c) => c.index === s.index).at(-1)!.finishReason).toBe(s.finishReason);
    const withTokens = chunks.filter((c) => c.tokens.length > 0);
    expect(withTokens.map((c) => c.index)).toEqual([0, 1, 2]);
    withTokens.forEach((c) => {
      expect(c.tokens).toEqual(result.sequences[c.index].tokens);
      expect(c.text).toBe(result.sequences[c.index].text);
    });
    const scores = result.sequences.map((s) => s.score!);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(result.usage.completionTokens).toBe(result.sequences.reduce((n, s) => n + s.tokens.length, 0));
  });

  it('leaves the prompt cached in its sequences: the next call on the prompt reuses it', async () => {
    const context = await model.createContext({ contextSize: 1024, sequences: 3, threads: 1 });
    const config = { num_beams: 3, num_return_sequences: 2, max_new_tokens: 12 };
    const first = await context.generate(PROMPT, config).result;
    const again = await context.generate(PROMPT, config).result;
    const greedy = await context.generate(PROMPT + ' girl', { max_new_tokens: 8 }).result;
    context.dispose();
    const prompt = model.tokenize(PROMPT).length;
    expect(again.usage.cachedPromptTokens).toBe(prompt - 1); // all but the last token, evaluated again for its logits
    expect(again.sequences.map((s) => s.tokens)).toEqual(first.sequences.map((s) => s.tokens));
    expect(greedy.usage.cachedPromptTokens).toBe(prompt);
    const fresh = await model.createContext({ contextSize: 256, threads: 1 });
    expect(greedy.tokens).toEqual((await fresh.generate(PROMPT + ' girl', { max_new_tokens: 8 }).result).tokens);
    fresh.dispose();
  });

  it('an abort ends the search with the hypotheses so far, and frees its sequences', async () => {
    const context = await model.createContext({ contextSize: 4096, sequences: 4, threads: 1 });
    const controller = new AbortController();
    const generation = context.generate(PROMPT, { num_beams: 4, max_new_tokens: 1000, ignore_eos: true }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const result = await generation.result;
    expect(result.finishReason).toBe('abort');
    expect(result.tokens.length).toBeLessThan(1000);
    const next = await context.generate(PROMPT, { num_beams: 4, max_new_tokens: 5 }).result;
    expect(next.tokens.length).toBe(5);
    context.dispose();
  });

  it('max_new_tokens 1, an EOS list and num_return_sequences = num_beams', async () => {
    const context = await model.createContext({ contextSize: 1024, sequences: 5, threads: 1 });
    const one = await context.generate(PROMPT, { num_beams: 5, num_return_sequences: 5, max_new_tokens: 1 }).result;
    expect(one.sequences.every((s) => s.tokens.length <= 1)).toBe(true);
    const lp = await logProbs([...model.tokenize(PROMPT)]);
    for (const s of one.sequences) if (s.tokens.length === 1) expect(close(s.score!, lp[s.tokens[0]])).toBe(true);
    context.dispose();
  });
});

describe('beam sampling (do_sample with num_beams > 1)', () => {
  const config = { num_beams: 3, num_return_sequences: 3, do_sample: true, temperature: 1.5, top_k: 0, max_new_tokens: 10, ignore_eos: true };

  it('is reproducible with a seed, and differs between seeds', async () => {
    const context = await model.createContext({ contextSize: 1024, sequences: 3, threads: 1 });
    const a = await context.generate(PROMPT, { ...config, seed: 11 }).result;
    const b = await context.generate(PROMPT, { ...config, seed: 11 }).result;
    expect(b.sequences.map((s) => s.tokens)).toEqual(a.sequences.map((s) => s.tokens));
    const all = (r: typeof a): string => r.sequences.map((s) => s.tokens.join(',')).join(';');
    const others = await Promise.all([12, 13, 14].map(async (seed) => all(await context.generate(PROMPT, { ...config, seed }).result)));
    expect(new Set([all(a), ...others]).size).toBeGreaterThan(1);
    context.dispose();
  });

  it("draws its candidates as torch.multinomial without replacement does (chi-square against the exact distribution)", async () => {
    // One step, 2 beams, temperature 3, top_k 6: transformers samples 2 × num_beams = 4 of the 6 (beam, token)
    // candidates without replacement, proportionally to softmax(scores), and keeps the best two
    // by score; the returned pair (best, second) has an exact distribution, enumerated below.
    const TOP_K = 6;
    const T = 3; // flat enough that every pair is seen
    const lp = await logProbs([...model.tokenize(PROMPT)]);
    const top = Array.from(lp.keys()).sort((a, b) => lp[b] - lp[a]).slice(0, TOP_K);
    const weights = top.map((t) => Math.exp((lp[t] - lp[top[0]]) / T));
    const total = weights.reduce((a, b) => a + b, 0);
    const p = weights.map((w) => w / total);
    const expected = new Map<string, number>();
    const draw = (picked: number[], prob: number): void => {
      if (picked.length === 4) {
        const [a, b] = [...picked].sort((x, y) => x - y); // ranks: a lower index is a better score
        const key = `${top[a]},${top[b]}`;
        expected.set(key, (expected.get(key) ?? 0) + prob);
        return;
      }
      const left = 1 - picked.reduce((s, i) => s + p[i], 0);
      for (let i = 0; i < TOP_K; i++) if (!picked.includes(i)) draw([...picked, i], (prob * p[i]) / left);
    };
    draw([], 1);

    const context = await model.createContext({ contextSize: 256, sequences: 2, threads: 1 });
    const outcomes: string[] = [];
    for (let seed = 0; seed < 1500; seed++) {
      const r = await context.generate(PROMPT, { num_beams: 2, num_return_sequences: 2, do_sample: true, temperature: T, top_k: TOP_K, max_new_tokens: 1, ignore_eos: true, seed }).result;
      outcomes.push(r.sequences.map((s) => s.tokens[0]).join(','));
    }
    context.dispose();
    const test = chiSquareGoodnessOfFit(outcomes, expected);
    console.log(`beam sampling: chi2 ${test.statistic.toFixed(1)} on ${test.degreesOfFreedom} df, p = ${test.pValue.toFixed(3)}`);
    expect(test.pValue).toBeGreaterThan(0.001);
    // The test has power: the same draws against with-replacement sampling (a wrong model) fail it.
    const wrong = new Map<string, number>();
    for (let i = 0; i < TOP_K; i++) for (let j = i + 1; j < TOP_K; j++) wrong.set(`${top[i]},${top[j]}`, 2 * p[i] * p[j]);
    const norm = [...wrong.values()].reduce((a, b) => a + b, 0);
    for (const [k, v] of wrong) wrong.set(k, v / norm);
    expect(chiSquareGoodnessOfFit(outcomes, wrong).pValue).toBeLessThan(0.001);
  }, 60_000);

  it('scores a sequence by its warped log-probabilities (temperature after the processors)', async () => {
    const context = await model.createContext({ contextSize: 1024, sequences: 3, threads: 1 });
    const result = await context.generate(PROMPT, { ...config, seed: 5 }).result;
    context.dispose();
    const prompt = [...model.tokenize(PROMPT)];
    for (const s of result.sequences) {
      let sum = 0;
      for (let i = 0; i < s.tokens.length; i++) sum += (await logProbs([...prompt, ...s.tokens.slice(0, i)]))[s.tokens[i]] / 1.5;
      expect(close(s.score!, sum / s.tokens.length, s.tokens.length)).toBe(true);
    }
  });
});
