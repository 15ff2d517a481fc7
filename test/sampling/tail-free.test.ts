/**
 * Tail-free sampling (`tfs_z`, native/sampling/TailFree.cc) through the public
 * sampler API: hand-computed knees, the z = 1 no-op, min_keep, removed tokens
 * coming out as -inf, and agreement with a TypeScript reference of llama.cpp's
 * algorithm on random logits.
 */
import { describe, expect, it } from 'vitest';
import type { GenerationConfigInput } from '../../lib/config';
import { createSampler, processLogits } from '../../lib/index';
import { mulberry32, normal } from '../support/random';

/** A config that runs tail-free sampling only (top_k: 0 turns off transformers' default top-k of 50). */
const tfs = (tfs_z: number, extra: GenerationConfigInput = {}): GenerationConfigInput => ({ do_sample: true, top_k: 0, tfs_z, ...extra });

/** Logits whose softmax is `probs` (0 → -inf), placed at `ids` in a vocabulary of `vocab` (others -inf). */
function placed(probs: number[], ids: number[], vocab: number, shift = 0): Float32Array {
  const out = new Float32Array(vocab).fill(-Infinity);
  probs.forEach((p, i) => {
    out[ids[i]] = p > 0 ? Math.log(p) + shift : -Infinity;
  });
  return out;
}

const finiteIds = (scores: Float32Array): number[] => [...scores.keys()].filter((i) => scores[i] > -Infinity);

/**
 * llama.cpp's tail-free sampling (llama_sampler_tail_free_apply, removed from
 * llama.cpp in late 2024) over the finite logits, in double precision. Returns
 * the kept ids and how close the decisive comparisons came to z (results may
 * legitimately differ from the native float/double code when that is ~0).
 */
function tailFreeReference(logits: Float32Array, z: number, minKeep: number): { kept: Set<number>; margin: number } {
  const ids = finiteIds(logits).sort((a, b) => logits[b] - logits[a] || a - b);
  const n = ids.length;
  if (z >= 1 || n <= 2) return { kept: new Set(ids), margin: Infinity };
  const max = logits[ids[0]];
  const p = ids.map((id) => Math.exp(logits[id] - max));
  const sum = p.reduce((s, x) => s + x, 0);
  for (let i = 0; i < n; i++) p[i] /= sum;
  const d1 = Array.from({ length: n - 1 }, (_, i) => p[i] - p[i + 1]);
  const d2 = Array.from({ length: n - 2 }, (_, i) => Math.abs(d1[i] - d1[i + 1]));
  const d2Sum = d2.reduce((s, x) => s + x, 0);
  const w = d2Sum > 1e-6 ? d2.map((x) => x / d2Sum) : d2.map(() => 1 / (n - 2));
  let keep = n;
  let cumulative = 0;
  let margin = Infinity;
  for (let i = 0; i < n - 2; i++) {
    cumulative += w[i];
    if (i >= Math.max(minKeep, 1)) margin = Math.min(margin, Math.abs(cumulative - z));
    if (cumulative > z && i >= Math.max(minKeep, 1)) {
      keep = i;
      break;
    }
  }
  return { kept: new Set(ids.slice(0, keep)), margin };
}

describe('tail-free sampling (tfs_z)', () => {
  // p = [.5, .25, .125, .0625, .0625]: d1 = [.25, .125, .0625, 0], |d2| = [.125, .0625, .0625],
  // normalised [.5, .25, .25], cumulative [.5, .75, 1]. The tail starts at the first i
  // (i >= min_keep) whose cumulative weight exceeds z; the i most likely tokens stay.
  const HALVING = [0.5, 0.25, 0.125, 0.0625, 0.0625];
  // The five tokens sit at scattered ids of a 16-token vocabulary, unsorted, the rest already removed.
  const IDS = [9, 2, 14, 5, 11];

  it.each([
    { z: 0.6, minKeep: 1, kept: [9] },
    { z: 0.4, minKeep: 1, kept: [9] }, // i = 0 already exceeds z, but i must reach min_keep
    { z: 0.8, minKeep: 1, kept: [9, 2] },
    { z: 0.99, minKeep: 1, kept: [9, 2] },
    { z: 0.6, minKeep: 2, kept: [9, 2] },
    { z: 0.6, minKeep: 3, kept: [9, 2, 14, 5, 11] }, // no cut point at or past min_keep: all kept
  ])('halving probabilities, z = $z, min_keep = $minKeep → keeps $kept', ({ z, minKeep, kept }) => {
    const logits = placed(HALVING, IDS, 16, 1.3);
    const out = processLogits(logits, [], tfs(z, { min_keep: minKeep }));
    expect(finiteIds(out).sort((a, b) => a - b)).toEqual([...kept].sort((a, b) => a - b));
    for (const id of kept) expect(out[id]).toBe(logits[id]); // kept logits untouched
  });

  it('cuts at the knee of a distribution that falls off a cliff', () => {
    // p = [.4, .35, .1, .05, .05, .05]: d1 = [.05, .25, .05, 0, 0], |d2| = [.2, .2, .05, 0],
    // normalised [.444, .444, .111, 0], cumulative [.444, .889, 1, 1].
    const probs = [0.4, 0.35, 0.1, 0.05, 0.05, 0.05];
    const logits = placed(probs, [0, 1, 2, 3, 4, 5], 6);
    expect(finiteIds(processLogits(logits, [], tfs(0.95)))).toEqual([0, 1]); // the two before the drop
    expect(finiteIds(processLogits(logits, [], tfs(0.5)))).toEqual([0]);
    // min_keep 3: i = 2 no longer qualifies; the cumulative weight at i = 3 (1.0) still exceeds z
    expect(finiteIds(processLogits(logits, [], tfs(0.95, { min_keep: 3 })))).toEqual([0, 1, 2]);
  });

  it('spreads the weight evenly when the second derivatives vanish (flat distribution)', () => {
    // 12 equal logits: all |d2| are 0, so each of the 10 weights is 1/10; z = 0.45 is first exceeded at i = 4.
    const out = processLogits(new Float32Array(12).fill(0.25), [], tfs(0.45));
    expect(finiteIds(out)).toHaveLength(4);
  });

  it('does nothing with 2 or fewer candidates', () => {
    const logits = placed([0.9, 0.1], [3, 7], 10);
    expect(finiteIds(processLogits(logits, [], tfs(0.01)))).toEqual([3, 7]);
  });

  it('z = 1 is a no-op', () => {
    const next = mulberry32(7);
    const logits = Float32Array.from({ length: 300 }, () => 3 * normal(next));
    logits[17] = -Infinity;
    const out = processLogits(logits, [], tfs(1));
    expect(out).toEqual(logits);
    expect(processLogits(logits, [], { do_sample: true, top_k: 0 })).toEqual(logits);
    // and as a stage that did run: z just below 1 keeps more than z = 0.5 does
    const loose = finiteIds(processLogits(logits, [], tfs(0.999999))).length;
    const tight = finiteIds(processLogits(logits, [], tfs(0.5))).length;
    expect(loose).toBeGreaterThan(tight);
  });

  it('respects min_keep', () => {
    const next = mulberry32(11);
    for (let trial = 0; trial < 20; trial++) {
      const logits = Float32Array.from({ length: 200 }, () => 4 * normal(next));
      const base = finiteIds(processLogits(logits, [], tfs(0.02))).length;
      for (const minKeep of [1, 5, 25, 150]) {
        const kept = finiteIds(processLogits(logits, [], tfs(0.02, { min_keep: minKeep }))).length;
        expect(kept).toBeGreaterThanOrEqual(Math.min(minKeep, 200));
        expect(kept).toBeGreaterThanOrEqual(base);
        expect(kept).toBe(tailFreeReference(logits, 0.02, minKeep).kept.size);
      }
    }
  });

  it('leaves removed tokens at -inf and ignores them (banned before, cut now)', () => {
    const vocab = 40;
    const logits = placed([0.4, 0.35, 0.1, 0.05, 0.05, 0.05], [31, 4, 22, 9, 17, 38], vocab);
    // unrelated finite tokens banned by logit_bias must stay -inf and take no part
    logits[0] = 5;
    logits[1] = 5;
    const out = processLogits(logits, [], tfs(0.95, { logit_bias: { '0': -Infinity, '1': false } }));
    expect(finiteIds(out)).toEqual([4, 31]);
    for (let i = 0; i < vocab; i++) {
      if (i === 4 || i === 31) expect(out[i]).toBe(logits[i]);
      else expect(out[i]).toBe(-Infinity); // exactly -inf: not NaN, not a large negative number
    }
  });

  it('only sees what earlier stages left (top_k before tfs_z)', () => {
    const next = mulberry32(3);
    for (let trial = 0; trial < 10; trial++) {
      const logits = Float32Array.from({ length: 100 }, () => 2 * normal(next));
      const out = processLogits(logits, [], tfs(0.7, { top_k: 20, samplers: ['top_k', 'tfs_z'] }));
      const top20 = new Set(finiteIds(processLogits(logits, [], { do_sample: true, top_k: 20 })));
      const masked = logits.map((x, i) => (top20.has(i) ? x : -Infinity));
      expect(new Set(finiteIds(out))).toEqual(tailFreeReference(masked, 0.7, 1).kept);
    }
  });

  it('draws only kept tokens', () => {
    const logits = placed([0.4, 0.35, 0.1, 0.05, 0.05, 0.05], [5, 0, 3, 1, 2, 4], 6);
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const sampler = createSampler(tfs(0.95, { seed }), { vocabSize: 6 });
      seen.add(sampler.sample(logits));
      sampler.dispose();
    }
    expect([...seen].sort()).toEqual([0, 5]);
  });

  it('matches a TypeScript reference of the algorithm on random logits', () => {
    const next = mulberry32(20240611);
    let compared = 0;
    let nearTies = 0;
    for (let trial = 0; trial < 300; trial++) {
      // mostly small vocabularies, some past 2048 (the native radix-sort path)
      const vocab = trial % 10 === 9 ? 2048 + Math.floor(next() * 4000) : 3 + Math.floor(next() * 400);
      const scale = 0.5 + 4 * next();
      const dropped = next() * 0.6;
      const logits = Float32Array.from({ length: vocab }, () => (next() < dropped ? -Infinity : scale * normal(next)));
      const z = 0.02 + 0.97 * next();
      const minKeep = 1 + Math.floor(next() * 4);
      const out = processLogits(logits, [], tfs(z, { min_keep: minKeep }));
      const { kept, margin } = tailFreeReference(logits, z, minKeep);
      for (let i = 0; i < vocab; i++) {
        if (out[i] > -Infinity) expect(out[i]).toBe(logits[i]);
        else expect(out[i]).toBe(-Infinity);
      }
      if (margin < 1e-9) {
        nearTies++; // the cumulative sum lands on z within rounding: either side is right
        continue;
      }
      expect(new Set(finiteIds(out)), `trial ${trial}: vocab ${vocab}, z ${z}, min_keep ${minKeep}`).toEqual(kept);
      compared++;
    }
    expect(nearTies).toBeLessThan(3);
    expect(compared).toBeGreaterThan(290);
  });
});
