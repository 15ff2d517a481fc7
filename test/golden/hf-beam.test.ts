/**
 * transformers 4.47's beam search family (beam, group beam, constrained beam
 * search), as recorded in ../shared/golden/hf-beam-public.jsonl on
 * ../shared/models/bigram-512.gguf: every case runs through the public API
 * (loadModel → createContext → generate) and must return the same sequences,
 * in the same order, with scores within the README's tolerance.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type GenerationConfigInput, type GenerationOutput, type Model } from '../../lib/index';
import { ROOT } from '../support/models';

const SHARED = join(ROOT, '..', 'shared');
const FILE = join(SHARED, 'golden', 'hf-beam-public.jsonl');
const MODEL = join(SHARED, 'models', 'bigram-512.gguf');

interface BeamCase {
  id: string;
  kind: 'beam' | 'group_beam' | 'constrained_beam';
  config: Record<string, unknown>;
  input_ids: number[];
  expected: { sequences: number[][]; sequences_scores: number[]; eos_generated: Array<number | null> };
}

const cases: BeamCase[] = existsSync(FILE) && existsSync(MODEL)
  ? readFileSync(FILE, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as BeamCase)
  : [];
if (cases.length === 0) console.warn(`skipped: no beam golden cases at ${FILE} (or no model at ${MODEL})`);

/**
 * What differs between a returned sequence and the expected one: tokens
 * exactly (an EOS-ended sequence ends with `eos_token_id[0]` in the file;
 * here its tokens stop before the EOS and its finishReason is 'eos'), and
 * the score within |got - expected| <= 1e-4 * max(1, |expected|).
 */
function mismatch(got: GenerationOutput | undefined, c: BeamCase, i: number): string | null {
  if (!got) return `sequence ${i} is missing`;
  const expected = c.expected.sequences[i];
  const endedByEos = c.expected.eos_generated[i] !== null;
  const tokens = endedByEos ? expected.slice(0, -1) : expected;
  if (endedByEos !== (got.finishReason === 'eos')) return `sequence ${i}: finishReason ${got.finishReason}, expected ${endedByEos ? 'eos' : 'length'}`;
  if (JSON.stringify(got.tokens) !== JSON.stringify(tokens)) return `sequence ${i}: tokens ${JSON.stringify(got.tokens)}, expected ${JSON.stringify(tokens)}`;
  const e = c.expected.sequences_scores[i];
  if (got.score === undefined || !(Math.abs(got.score - e) <= 1e-4 * Math.max(1, Math.abs(e)))) return `sequence ${i}: score ${got.score}, expected ${e}`;
  return null;
}

describe.skipIf(cases.length === 0)('transformers beam search golden cases', () => {
  let model: Model;
  let context: Context;

  beforeAll(async () => {
    model = await loadModel(MODEL);
    context = await model.createContext({ contextSize: 2048, sequences: 8, threads: 1 });
  });
  afterAll(() => {
    context?.dispose();
    model?.dispose();
  });

  it('covers the whole public file', () => {
    expect(cases.length).toBe(150);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const result = await context.generate(new Int32Array(c.input_ids), c.config as GenerationConfigInput).result;
    expect(result.sequences.length).toBe(c.expected.sequences.length);
    const problems = c.expected.sequences.map((_, i) => mismatch(result.sequences[i], c, i)).filter((p) => p !== null);
    expect(problems).toEqual([]);
    expect(result.tokens).toEqual(result.sequences[0].tokens);
    expect(result.score).toBe(result.sequences[0].score);
  });
});
