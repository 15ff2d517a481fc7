/**
 * transformers' own logits processors, as recorded in ../shared/golden:
 * processLogits must reproduce every vector (scores and probabilities), and
 * build the same processor list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSampler, processLogits } from '../../lib/index';
import { ROOT } from '../support/models';

const FILE = join(ROOT, '..', 'shared', 'golden', 'hf-logits-public.jsonl');

interface GoldenCase {
  id: string;
  processors: string[];
  config: Record<string, unknown>;
  vocab_size: number;
  input_ids: number[];
  prompt_length: number;
  logits: Array<number | null>;
  expected_scores: Array<number | null>;
  expected_probs: number[];
}

const cases: GoldenCase[] = existsSync(FILE)
  ? readFileSync(FILE, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as GoldenCase)
  : [];
if (cases.length === 0) console.warn(`skipped: no golden vectors at ${FILE}`);

/** The golden configs name HF's `min_tokens_to_keep`; ours is `min_keep`. */
function configOf(c: GoldenCase): Record<string, unknown> {
  const { min_tokens_to_keep: minKeep, ...rest } = c.config;
  return minKeep === undefined ? rest : { ...rest, min_keep: minKeep };
}

const toFloats = (values: Array<number | null>): Float32Array => Float32Array.from(values, (v) => (v === null ? -Infinity : v));

function softmax(scores: Float32Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  const out = new Float64Array(scores.length);
  if (max === -Infinity) return out;
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += out[i] = Math.exp(scores[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** README's rule: |got - expected| <= 1e-5 * max(1, |expected|); -inf must match exactly. */
function mismatches(got: ArrayLike<number>, expected: Array<number | null>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] === null ? -Infinity : (expected[i] as number);
    const g = got[i];
    const ok = e === -Infinity || g === -Infinity ? e === g : Math.abs(g - e) <= 1e-5 * Math.max(1, Math.abs(e));
    if (!ok) bad.push(`[${i}] got ${g}, expected ${e}`);
  }
  return bad;
}

describe.skipIf(cases.length === 0)('transformers golden vectors', () => {
  it('covers the whole public file', () => {
    expect(cases.length).toBe(300);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const config = configOf(c);
    const sampler = createSampler(config, { vocabSize: c.vocab_size, inputIds: c.input_ids, promptLength: c.prompt_length });
    try {
      expect(sampler.plan.stages.filter((s) => s.hf).map((s) => s.hf)).toEqual(c.processors);
    } finally {
      sampler.dispose();
    }
    const scores = processLogits(toFloats(c.logits), c.input_ids, config, { promptLength: c.prompt_length });
    expect(mismatches(scores, c.expected_scores)).toEqual([]);
    const probs = softmax(scores);
    expect(mismatches(probs, c.expected_probs)).toEqual([]);
    for (let i = 0; i < probs.length; i++) if (c.expected_probs[i] === 0) expect(probs[i]).toBe(0);
  });
});
