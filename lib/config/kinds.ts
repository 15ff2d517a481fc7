/**
 * The value kind of every field: what a text form of it (a command-line flag)
 * parses into before the field's rule validates it. Typed over every
 * canonical field, so a new field cannot be added without a kind.
 */
import type { CanonicalField } from './fields';

/**
 * - `integer`, `number`: a numeric literal.
 * - `boolean`: `true`/`false` (also `1`/`0`, `yes`/`no`).
 * - `string`: the text as is.
 * - `strings`: a list of texts (a repeatable flag).
 * - `ids`: token ids, `1,2,3` or a JSON array.
 * - `id-or-ids`: one token id or several (`2` or `2,3`).
 * - `json`: a JSON value (objects, nested lists).
 * - `choice`: one of {@link VALUE_CHOICES}.
 * - `call-only`: a function or object; not settable from text.
 */
export type ValueKind = 'integer' | 'number' | 'boolean' | 'string' | 'strings' | 'ids' | 'id-or-ids' | 'json' | 'choice' | 'call-only';

/** The kind of every canonical field. */
export const VALUE_KINDS: { readonly [K in CanonicalField]: ValueKind } = Object.freeze({
  max_new_tokens: 'integer',
  max_length: 'integer',
  min_new_tokens: 'integer',
  min_length: 'integer',
  max_time: 'number',
  stop_strings: 'strings',
  do_sample: 'boolean',
  num_beams: 'integer',
  num_beam_groups: 'integer',
  diversity_penalty: 'number',
  length_penalty: 'number',
  early_stopping: 'choice',
  force_words_ids: 'json',
  num_return_sequences: 'integer',
  temperature: 'number',
  top_k: 'integer',
  top_p: 'number',
  min_p: 'number',
  typical_p: 'number',
  epsilon_cutoff: 'number',
  eta_cutoff: 'number',
  repetition_penalty: 'number',
  no_repeat_ngram_size: 'integer',
  bad_words_ids: 'json',
  sequence_bias: 'json',
  suppress_tokens: 'ids',
  begin_suppress_tokens: 'ids',
  forced_bos_token_id: 'integer',
  forced_eos_token_id: 'id-or-ids',
  exponential_decay_length_penalty: 'json',
  renormalize_logits: 'boolean',
  remove_invalid_values: 'boolean',
  eos_token_id: 'id-or-ids',
  pad_token_id: 'integer',
  bos_token_id: 'integer',
  use_cache: 'boolean',
  logprobs: 'boolean',
  top_logprobs: 'integer',
  output_scores: 'boolean',
  output_logits: 'boolean',
  return_dict_in_generate: 'boolean',
  prompt_lookup_num_tokens: 'integer',
  max_matching_ngram_size: 'integer',
  num_assistant_tokens: 'integer',
  num_assistant_tokens_schedule: 'choice',
  assistant_confidence_threshold: 'number',
  assistant_early_exit: 'integer',
  assistant_lookbehind: 'integer',
  target_lookbehind: 'integer',
  assistant_model: 'call-only',
  frequency_penalty: 'number',
  presence_penalty: 'number',
  penalty_last_n: 'integer',
  repeat_penalty: 'number',
  dry_multiplier: 'number',
  dry_base: 'number',
  dry_allowed_length: 'integer',
  dry_penalty_last_n: 'integer',
  dry_sequence_breakers: 'strings',
  logit_bias: 'json',
  grammar: 'string',
  json_schema: 'json',
  grammar_lazy: 'boolean',
  grammar_trigger_words: 'strings',
  grammar_trigger_patterns: 'strings',
  seed: 'integer',
  min_keep: 'integer',
  tfs_z: 'number',
  mirostat: 'choice',
  mirostat_tau: 'number',
  mirostat_eta: 'number',
  dynatemp_range: 'number',
  dynatemp_exponent: 'number',
  xtc_probability: 'number',
  xtc_threshold: 'number',
  top_n_sigma: 'number',
  adaptive_target: 'number',
  adaptive_decay: 'number',
  samplers: 'string',
  ignore_eos: 'boolean',
  logits_processor: 'call-only',
});

/** The accepted values of the `choice` fields, as text and as the value they stand for. */
export const VALUE_CHOICES: Readonly<Partial<Record<CanonicalField, Readonly<Record<string, unknown>>>>> = Object.freeze({
  early_stopping: { true: true, false: false, never: 'never' },
  num_assistant_tokens_schedule: { constant: 'constant', heuristic: 'heuristic', heuristic_transient: 'heuristic_transient' },
  mirostat: { '0': 0, '1': 1, '2': 2 },
});
