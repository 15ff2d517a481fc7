/**
 * Greedy's argmax over dense scores (native ArgmaxOf, which skims blocks of
 * 64 scores by a vectorized maximum): the first highest score, as
 * transformers' argmax; NaN and -inf never compare higher than what came
 * before; token 0 when every score is -inf. Checked against a plain loop on
 * vectors around the block size, with ties, NaN and infinities placed in and
 * across blocks.
 */
import { describe, expect, it } from 'vitest';
import { createSampler } from '../../lib/index';
import { mulberry32 } from '../support/random';

/** The reference: the first finite-or-NaN score starts, then only a strictly higher one replaces it. */
function referenceArgmax(scores: Float32Array): number {
  let i = 0;
  while (i < scores.length && scores[i] === -Infinity) i++;
  if (i === scores.length) return 0;
  let best = i;
  for (i++; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

function greedy(scores: Float32Array): number {
  const sampler = createSampler({ do_sample: false }, { vocabSize: scores.length });
  try {
    return sampler.sample(scores);
  } finally {
    sampler.dispose();
  }
}

describe('greedy argmax over dense scores', () => {
  const sizes = [1, 2, 63, 64, 65, 127, 128, 129, 1000, 32000];

  it('picks the first highest score on random vectors with ties (sizes around the block of 64)', () => {
    const random = mulberry32(11);
    for (const n of sizes) {
      for (let trial = 0; trial < 20; trial++) {
        // small integer scores: many ties, so the lowest id among them must win
        const scores = Float32Array.from({ length: n }, () => Math.floor(random() * 8) - 4);
        expect(greedy(scores), `n=${n} trial ${trial}`).toBe(referenceArgmax(scores));
        // rising by steps: later blocks hold new maxima, with ties inside them
        const rising = Float32Array.from({ length: n }, (_, i) => Math.floor(i / 50) + Math.floor(random() * 3));
        expect(greedy(rising), `rising n=${n} trial ${trial}`).toBe(referenceArgmax(rising));
      }
    }
  });

  it('keeps the first of equal maxima in different blocks, and a later strictly higher one', () => {
    const n = 32000;
    const scores = new Float32Array(n).fill(-1);
    scores[70] = 5;
    scores[5000] = 5;
    scores[31999] = 5;
    expect(greedy(scores)).toBe(70);
    scores[31999] = 5.0001;
    expect(greedy(scores)).toBe(31999);
    scores[3] = 6; // before the first whole block
    expect(greedy(scores)).toBe(3);
    scores[130] = 7; // a new maximum twice in one block: the first
    scores[140] = 7;
    expect(greedy(scores)).toBe(130);
  });

  it('treats NaN and infinities as transformers does', () => {
    const n = 300;
    const base = (): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    let scores = base();
    scores[100] = NaN; // inside a block: never compares higher, never hides the block's maximum
    scores[130] = 9;
    expect(greedy(scores)).toBe(referenceArgmax(scores));
    expect(greedy(scores)).toBe(130);

    scores = new Float32Array(n).fill(-Infinity);
    expect(greedy(scores)).toBe(0); // every score -inf
    scores[299] = -1e30; // the only finite score, in the tail after the last whole block
    expect(greedy(scores)).toBe(299);

    scores = new Float32Array(n).fill(-Infinity);
    scores[200] = NaN; // the first score that is not -inf starts, and nothing compares higher than NaN
    scores[250] = 1;
    expect(greedy(scores)).toBe(200);

    scores = base();
    scores[64] = Infinity;
    scores[192] = Infinity;
    expect(greedy(scores)).toBe(64);

    const random = mulberry32(5);
    for (let trial = 0; trial < 200; trial++) {
      scores = Float32Array.from({ length: 1 + Math.floor(random() * 400) }, () => {
        const r = random();
        return r < 0.05 ? NaN : r < 0.15 ? -Infinity : r < 0.17 ? Infinity : Math.round((r - 0.5) * 20);
      });
      expect(greedy(scores), `trial ${trial}`).toBe(referenceArgmax(scores));
    }
  });
});
