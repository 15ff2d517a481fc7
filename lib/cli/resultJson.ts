/** The JSON form of a GenerationResult that `run --json` prints. */
import type { GenerationOutput, GenerationResult } from '../generation/types';

function output(o: GenerationOutput): Record<string, unknown> {
  const out: Record<string, unknown> = { index: o.index, text: o.text, tokens: o.tokens, finishReason: o.finishReason };
  if (o.stopString !== undefined) out.stopString = o.stopString;
  if (o.score !== undefined) out.score = o.score;
  if (o.speculative !== undefined) out.speculative = o.speculative;
  if (o.logprobs) out.logprobs = o.logprobs;
  if (o.scores) out.scores = o.scores.map((s) => Array.from(s));
  if (o.logits) out.logits = o.logits.map((s) => Array.from(s));
  return out;
}

/**
 * Output 0 at the top level (text, tokens, finishReason...), every output in
 * `sequences` when there are several, usage, timings, the prompt tokens, the
 * config fields that were set (not defaults) and the warnings.
 */
export function resultToJson(result: GenerationResult): Record<string, unknown> {
  const { values, sources } = result.config;
  const config: Record<string, unknown> = {};
  for (const [field, source] of Object.entries(sources)) {
    if (source !== 'default') config[field] = (values as Record<string, unknown>)[field];
  }
  const json: Record<string, unknown> = {
    ...output(result),
    usage: result.usage,
    timings: result.timings,
    prompt: Array.from(result.prompt),
    config,
    warnings: result.warnings,
  };
  delete json.index;
  if (result.sequences.length > 1) json.sequences = result.sequences.map(output);
  return json;
}
