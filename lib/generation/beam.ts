/**
 * Beam search requests (`num_beams` > 1): how many sequences of the context
 * a generation takes, what beam search cannot be combined with, and the
 * beam part of the native request. The search itself runs natively
 * (native/generation/beam/). @internal
 */
import type { GenerationValues } from '../config';
import { LlamaError, invalidArgument } from '../errors';
import type { NativeBeamRequest } from '../native';

type BeamValues = Pick<
  GenerationValues,
  | 'num_beams' | 'num_beam_groups' | 'num_return_sequences' | 'length_penalty' | 'early_stopping' | 'do_sample'
  | 'force_words_ids' | 'stop_strings' | 'logprobs' | 'top_logprobs' | 'output_scores' | 'output_logits'
  | 'return_dict_in_generate' | 'mirostat' | 'adaptive_target' | 'min_new_tokens' | 'min_length'
>;

/** Whether `values` ask for a beam search. */
export function isBeamSearch(values: Pick<GenerationValues, 'num_beams'>): boolean {
  return values.num_beams > 1;
}

/** The sequences a generation takes: one per beam for a beam search, else one per returned sequence. */
export function sequencesNeeded(values: Pick<GenerationValues, 'num_beams' | 'num_return_sequences'>): number {
  return isBeamSearch(values) ? values.num_beams : values.num_return_sequences;
}

/** Throws unless a context with `available` sequences can run `values`. */
export function checkSequences(values: Pick<GenerationValues, 'num_beams' | 'num_return_sequences'>, available: number): void {
  const needed = sequencesNeeded(values);
  if (needed <= available) return;
  const what = isBeamSearch(values) ? `num_beams (${needed}) (a beam search takes one sequence per beam)` : `num_return_sequences (${needed})`;
  throw invalidArgument(`${what} needs a context with at least ${needed} sequences (this one has ${available}); create it with { sequences: ${needed} }`);
}

function refuse(field: string, why: string): never {
  throw new LlamaError('NOT_IMPLEMENTED', `${field} with num_beams > 1 is not implemented: ${why}`);
}

/** What beam search here does not combine with (each would need a per-beam meaning of its own). */
function checkSupported(v: BeamValues): void {
  if ((v.stop_strings?.length ?? 0) > 0) refuse('stop_strings', 'a beam search returns finished hypotheses, not a text that stops');
  if (v.logprobs || v.top_logprobs !== undefined) refuse('logprobs', 'per-token log-probabilities are not kept per beam; each sequence has its score');
  if (v.return_dict_in_generate && (v.output_scores || v.output_logits)) {
    refuse('output_scores / output_logits', 'per-step scores are not kept per beam; each sequence has its score');
  }
  if (v.do_sample && (v.mirostat !== 0 || v.adaptive_target >= 0)) refuse('mirostat / adaptive_p', 'beam sampling draws from the processed scores itself');
}

/**
 * The config a beam search's chains are planned from: as transformers'
 * generate() prepares it, `min_new_tokens` sets `min_length` to the prompt
 * length plus `min_new_tokens` (replacing any `min_length`).
 */
export function beamPlanValues<V extends BeamValues>(v: V, promptLength: number): V {
  return v.min_new_tokens === undefined ? v : { ...v, min_length: promptLength + v.min_new_tokens };
}

/** The beam part of the native request, or undefined without beam search. */
export function beamRequest(v: BeamValues, seed: number): NativeBeamRequest | undefined {
  if (!isBeamSearch(v)) return undefined;
  checkSupported(v);
  return {
    numBeams: v.num_beams,
    groups: v.num_beam_groups,
    numReturnSequences: v.num_return_sequences,
    lengthPenalty: v.length_penalty,
    earlyStopping: v.early_stopping === 'never' ? 'never' : v.early_stopping ? 'true' : 'false',
    doSample: v.do_sample,
    seed,
    constraints: v.force_words_ids,
  };
}
