/**
 * A minimal token-by-token generation loop over evaluate() + Sampler, for
 * sampling tests until the native generation loop exists.
 */
import type { Context, Model, Sampler } from '../../lib/index';

/** Generates until an end-of-generation token or `maxTokens`; returns the text and whether it ended by itself. */
export async function generateWith(
  model: Model,
  context: Context,
  sampler: Sampler,
  prompt: Int32Array,
  maxTokens: number,
): Promise<{ text: string; tokens: number[]; finished: boolean }> {
  await context.clearSequence(0);
  let logits = await context.evaluate(prompt);
  const tokens: number[] = [];
  for (let i = 0; i < maxTokens; i++) {
    const token = sampler.sample(logits);
    if (model.isEog(token)) return { text: model.detokenize(tokens), tokens, finished: true };
    tokens.push(token);
    logits = await context.evaluate([token]);
  }
  return { text: model.detokenize(tokens), tokens, finished: false };
}
