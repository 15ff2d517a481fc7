/** The library defaults: the bottom layer of every resolved configuration. */
import { sameValue } from './checks';
import type { DefaultedField, GenerationValues, SamplerName } from './fields';

/**
 * Defaults of every field that has one: transformers' `GenerationConfig`
 * defaults for its fields (e.g. `max_length` 20, `top_k` 50, `do_sample`
 * false), and for llama.cpp's extras llama.cpp's `common_params_sampling`
 * defaults in their disabled form where llama.cpp's default would change the
 * output (`repeat_penalty` 1, `top_n_sigma` -1, ...). Fields not listed
 * default to unset (`undefined`).
 */
export const DEFAULTS: { readonly [K in DefaultedField]: GenerationValues[K] } = Object.freeze({
  // transformers
  max_length: 20,
  min_length: 0,
  do_sample: false,
  num_beams: 1,
  num_beam_groups: 1,
  diversity_penalty: 0,
  length_penalty: 1,
  early_stopping: false,
  num_return_sequences: 1,
  temperature: 1,
  top_k: 50,
  top_p: 1,
  typical_p: 1,
  epsilon_cutoff: 0,
  eta_cutoff: 0,
  repetition_penalty: 1,
  no_repeat_ngram_size: 0,
  renormalize_logits: false,
  remove_invalid_values: false,
  use_cache: true,
  output_scores: false,
  return_dict_in_generate: false,
  num_assistant_tokens: 20,
  num_assistant_tokens_schedule: 'constant',
  assistant_confidence_threshold: 0.4,
  assistant_lookbehind: 10,
  target_lookbehind: 10,
  // llama.cpp (disabled forms)
  frequency_penalty: 0,
  presence_penalty: 0,
  penalty_last_n: 64,
  repeat_penalty: 1,
  dry_multiplier: 0,
  dry_base: 1.75,
  dry_allowed_length: 2,
  dry_penalty_last_n: 64,
  dry_sequence_breakers: Object.freeze(['\n', ':', '"', '*']),
  grammar_lazy: false,
  min_keep: 1,
  tfs_z: 1,
  mirostat: 0,
  mirostat_tau: 5,
  mirostat_eta: 0.1,
  dynatemp_range: 0,
  dynatemp_exponent: 1,
  xtc_probability: 0,
  xtc_threshold: 0.1,
  top_n_sigma: -1,
  adaptive_target: -1,
  adaptive_decay: 0.9,
  ignore_eos: false,
});

/**
 * Order of the penalty and warper stages when `samplers` is unset:
 * llama.cpp's penalties, then transformers' warpers in `_get_logits_processor`
 * order, then llama.cpp's extra warpers.
 */
export const DEFAULT_SAMPLER_ORDER: readonly SamplerName[] = Object.freeze([
  'penalties',
  'dry',
  'temperature',
  'top_k',
  'top_p',
  'min_p',
  'typ_p',
  'epsilon',
  'eta',
  'tfs_z',
  'top_n_sigma',
  'xtc',
  'adaptive_p',
]);

/** The default of `field`, or `undefined` when it has none. */
export function defaultOf(field: string): unknown {
  return (DEFAULTS as Readonly<Record<string, unknown>>)[field];
}

/** Whether `value` is set and differs from the default of `field`. */
export function isNonDefault(field: string, value: unknown): boolean {
  return value !== undefined && !sameValue(value, defaultOf(field));
}
