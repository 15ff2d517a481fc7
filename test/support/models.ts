/** Models and small helpers shared by the model tests. */
import { join, resolve } from 'node:path';
import type { Context, Model } from '../../lib/index';

export const ROOT = resolve(__dirname, '..', '..');
/** The committed copy of stories260K (same bytes as ../shared/models/stories260K.gguf). */
export const STORIES_MODEL = join(ROOT, 'models', 'stories260K.gguf');

/** Index of the largest logit (first one on ties, like llama.cpp's greedy sampler). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Greedy decoding through context.evaluate, stopping at end-of-generation tokens. */
export async function greedy(model: Model, context: Context, prompt: Int32Array, maxTokens: number, sequence = 0): Promise<number[]> {
  const out: number[] = [];
  let logits = await context.evaluate(prompt, { sequence });
  for (let i = 0; i < maxTokens; i++) {
    const token = argmax(logits);
    if (model.isEog(token)) break;
    out.push(token);
    if (i + 1 < maxTokens) logits = await context.evaluate([token], { sequence });
  }
  return out;
}

/** What llama-simple prints for these tokens: each piece rendered with special tokens as text. */
export function renderLikeLlamaSimple(model: Model, tokens: ArrayLike<number>): string {
  const bytes = Buffer.concat(Array.from(tokens, (t) => Buffer.from(model.tokenToPiece(t, { special: true }))));
  return bytes.toString('utf8');
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
