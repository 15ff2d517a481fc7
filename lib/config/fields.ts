/**
 * The generation options: transformers' `GenerationConfig` fields under their
 * exact snake_case names, llama.cpp's sampler options, and OpenAI aliases.
 * Defaults are in `defaults.ts`, validation rules in `rules.ts`.
 */
import type { Model } from '../model';

/**
 * Sampler names accepted by {@link GenerationConfig.samplers}: llama.cpp's
 * `--samplers` names plus llama-generate's `tfs_z`, `epsilon` and `eta`.
 */
export const SAMPLER_NAMES = [
  'penalties',
  'dry',
  'top_n_sigma',
  'top_k',
  'typ_p',
  'top_p',
  'min_p',
  'xtc',
  'temperature',
  'adaptive_p',
  'tfs_z',
  'epsilon',
  'eta',
] as const;

/** A canonical sampler name; see {@link SAMPLER_NAMES}. */
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** One `sequence_bias` entry: a token sequence and the bias added to its last token. */
export type SequenceBiasEntry = readonly [tokens: readonly number[], bias: number];

/**
 * transformers' `sequence_bias` (`{tuple(ids): bias}` in Python), in one of two
 * JSON-friendly forms: a list of `[[ids...], bias]` pairs, or an object keyed by
 * comma-joined ids (`"1,2"`) or JSON arrays (`"[1, 2]"`).
 */
export type SequenceBias = readonly SequenceBiasEntry[] | Readonly<Record<string, number>>;

/**
 * OpenAI / llama.cpp `logit_bias`: keys are token ids (`"42"`) or text whose
 * tokens are biased (`"hello"`); values are added to the logits. `-Infinity`
 * or `false` bans the token.
 */
export type LogitBias = Readonly<Record<string, number | false>>;

/**
 * One `force_words_ids` entry: a phrase (token ids the output must contain,
 * consecutively) or a list of phrases of which one must appear.
 */
export type ForceWordsEntry = readonly number[] | readonly (readonly number[])[];

/** A JSON Schema constraining the output (converted to a GBNF grammar). */
export type JsonSchema = Readonly<Record<string, unknown>> | boolean;

/**
 * OpenAI's `response_format` (an alias of `json_schema`): `{type: 'text'}` (no
 * constraint), `{type: 'json_object'}` (JSON mode: any JSON object), or
 * `{type: 'json_schema', json_schema: {name, schema, strict}}` (the schema; the
 * output always follows it, whatever `strict` says).
 */
export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly json_schema: { readonly name?: string; readonly description?: string; readonly schema?: JsonSchema; readonly strict?: boolean | null };
    };

/**
 * The per-token hook: called synchronously on the JS thread with the tokens so
 * far and the scores after transformers' processors; edit `scores` in place.
 */
export type LogitsProcessor = (inputIds: Int32Array, scores: Float32Array) => void;

/**
 * Generation options. Every field is optional; an absent field takes the value
 * of a lower layer (model, generation_config.json) or the library default.
 * transformers' fields keep transformers' defaults and semantics; llama.cpp's
 * extras default to their disabled form.
 */
export interface GenerationConfig {
  // ---- Length and stop conditions ----
  /** Most tokens to generate, not counting the prompt. Default unset (then `max_length` applies). */
  max_new_tokens?: number;
  /** Most tokens in prompt + output; overridden by `max_new_tokens`. Default `20` (transformers'). */
  max_length?: number;
  /** Fewest tokens to generate before EOS may be chosen (EOS logits set to -inf until then). Default unset. */
  min_new_tokens?: number;
  /** Fewest tokens in prompt + output before EOS may be chosen. Default `0`. */
  min_length?: number;
  /** Stop after this many seconds (the current token finishes). Default unset. */
  max_time?: number;
  /** Stop when the output contains one of these strings. Default unset. */
  stop_strings?: string | readonly string[];

  // ---- Strategy ----
  /** Sample from the processed distribution; `false` takes the most likely token (greedy). Default `false`. */
  do_sample?: boolean;
  /** Beam search width: `> 1` runs transformers' beam search on that many sequences of the context. Default `1`. */
  num_beams?: number;
  /** Group (diverse) beam search: the beams split into this many groups (must divide `num_beams`). Default `1`. */
  num_beam_groups?: number;
  /** Group beam search: subtracted from a token's score per beam of an earlier group that chose it in the step. Default `0`. */
  diversity_penalty?: number;
  /** Beam search: a hypothesis scores sum of log-probs / length ** length_penalty (> 0 favours longer ones). Default `1`. */
  length_penalty?: number;
  /** Beam search: `true` stops at `num_beams` finished hypotheses, `false` by a heuristic, `'never'` when none can improve. Default `false`. */
  early_stopping?: boolean | 'never';
  /**
   * Constrained beam search: phrases the output must contain (see
   * {@link ForceWordsEntry}); needs `num_beams` > 1. Default unset.
   */
  force_words_ids?: readonly ForceWordsEntry[];
  /** Number of sequences to return: independent ones with sampling, the best hypotheses with beam search. Default `1`. */
  num_return_sequences?: number;

  // ---- transformers' warpers (only with do_sample) ----
  /** Divide the logits by this (> 0; `1` = off). Default `1`. */
  temperature?: number;
  /** Keep the k most likely tokens (ties at the k-th score are kept); `0` = off. Default `50` (transformers'). */
  top_k?: number;
  /** Nucleus: keep the most likely tokens whose probabilities reach `top_p`; `1` = off. Default `1`. */
  top_p?: number;
  /** Drop tokens less likely than `min_p` times the most likely one. Default unset (off). */
  min_p?: number;
  /** Locally typical sampling mass; `1` = off. Default `1`. */
  typical_p?: number;
  /** Drop tokens with probability below this; `0` = off. Default `0`. */
  epsilon_cutoff?: number;
  /** Eta sampling: entropy-dependent epsilon cutoff; `0` = off. Default `0`. */
  eta_cutoff?: number;

  // ---- transformers' processors ----
  /** Penalise every token already in the sequence (prompt included): positive logits divided, negative multiplied; `1` = off. Default `1`. */
  repetition_penalty?: number;
  /** Ban tokens that would repeat an n-gram of this size; `0` = off. Default `0`. */
  no_repeat_ngram_size?: number;
  /** Token sequences that must not be generated (the last token is banned when the rest matches). Default unset. */
  bad_words_ids?: readonly (readonly number[])[];
  /** Biases for token sequences; see {@link SequenceBias}. Default unset. */
  sequence_bias?: SequenceBias;
  /** Tokens never generated. Default unset. */
  suppress_tokens?: readonly number[];
  /** Tokens not generated as the first new token. Default unset. */
  begin_suppress_tokens?: readonly number[];
  /** Token forced when the sequence is 1 token long. Default unset. */
  forced_bos_token_id?: number;
  /** Token(s) forced as the last token before `max_length`. Default unset. */
  forced_eos_token_id?: number | readonly number[];
  /** `[start_index, decay_factor]`: raise EOS scores exponentially after `start_index` new tokens. Default unset. */
  exponential_decay_length_penalty?: readonly [number, number];
  /** Log-softmax the scores after every processor. Default `false`. */
  renormalize_logits?: boolean;
  /** Replace NaN by 0 and ±inf by float32's extremes (transformers' `InfNanRemoveLogitsProcessor`). Default `false`. */
  remove_invalid_values?: boolean;

  // ---- Special tokens ----
  /** End-of-sequence token(s): stop there, and the ids the min-length processors ban. Default unset (the model's end-of-generation tokens). */
  eos_token_id?: number | readonly number[];
  /** Padding token id; informational (one sequence per context, no padding). `-1` is accepted as "none". Default unset. */
  pad_token_id?: number;
  /** Beginning-of-sequence token id; informational (the tokenizer adds BOS). Default unset. */
  bos_token_id?: number;

  // ---- Outputs ----
  /** `false` evaluates the whole sequence again at every step, as transformers does without a cache (slow; for checking). Default `true`. */
  use_cache?: boolean;
  /** Report the log-probability of each generated token under the model's raw distribution (OpenAI's `logprobs`). Default unset. */
  logprobs?: boolean;
  /** Also report the n (0..20) most likely tokens of each step with their log-probabilities; implies `logprobs`. Default unset. */
  top_logprobs?: number;
  /** Return the processed scores of each step (with `return_dict_in_generate`). Default `false`. */
  output_scores?: boolean;
  /** Return the raw logits of each step (with `return_dict_in_generate`). Default unset. */
  output_logits?: boolean;
  /** Return a result object with the optional outputs instead of the tokens only. Default `false`. */
  return_dict_in_generate?: boolean;

  // ---- Speculative decoding: prompt lookup, assisted decoding ----
  /** Prompt lookup decoding: candidate tokens per step. Default unset. */
  prompt_lookup_num_tokens?: number;
  /** Prompt lookup decoding: largest n-gram matched in the prompt. Default unset. */
  max_matching_ngram_size?: number;
  /** Speculative tokens drafted per step. Default `20`. */
  num_assistant_tokens?: number;
  /** How `num_assistant_tokens` changes during generation. Default `'constant'`. */
  num_assistant_tokens_schedule?: 'constant' | 'heuristic' | 'heuristic_transient';
  /** Stop drafting when the assistant's confidence falls below this. Default `0.4`. */
  assistant_confidence_threshold?: number;
  /** Use the model's own early-exit layer as assistant. Default unset. */
  assistant_early_exit?: number;
  /** Assistant tokens re-encoded for alignment (different tokenizers). Default `10`. */
  assistant_lookbehind?: number;
  /** Target tokens re-encoded for alignment (different tokenizers). Default `10`. */
  target_lookbehind?: number;
  /** A draft model for assisted decoding; a call option, not a generation_config.json key. Default unset. */
  assistant_model?: Model;

  // ---- llama.cpp penalties ----
  /** Subtract `frequency_penalty × count` for tokens in the last `penalty_last_n`; `0` = off. Default `0`. */
  frequency_penalty?: number;
  /** Subtract this once for tokens in the last `penalty_last_n`; `0` = off. Default `0`. */
  presence_penalty?: number;
  /** Window of the llama.cpp penalties, in tokens; `0` = off. Default `64` (llama.cpp's). */
  penalty_last_n?: number;
  /** llama.cpp's repeat penalty over the last `penalty_last_n` tokens; `1` = off. Default `1`. */
  repeat_penalty?: number;
  /** DRY penalty multiplier; `0` = off. Default `0`. */
  dry_multiplier?: number;
  /** DRY penalty base (>= 1). Default `1.75`. */
  dry_base?: number;
  /** Repetitions longer than this are penalised by DRY. Default `2`. */
  dry_allowed_length?: number;
  /** Tokens DRY scans for repetitions; `0` = off. Default `64`. */
  dry_penalty_last_n?: number;
  /** Strings that break DRY's repetition matching. Default `["\n", ":", "\"", "*"]`. */
  dry_sequence_breakers?: readonly string[];

  // ---- llama.cpp logit bias, grammar ----
  /** Per-token biases; see {@link LogitBias}. Default unset. */
  logit_bias?: LogitBias;
  /** A GBNF grammar the output must follow. Default unset. */
  grammar?: string;
  /** A JSON Schema the output must follow (exclusive with `grammar`). Default unset. */
  json_schema?: JsonSchema;
  /** Apply the grammar only after a trigger word or pattern appears. Default `false`. */
  grammar_lazy?: boolean;
  /** Words that activate a lazy grammar. Default unset. */
  grammar_trigger_words?: readonly string[];
  /** Regular expressions that activate a lazy grammar. Default unset. */
  grammar_trigger_patterns?: readonly string[];

  // ---- llama.cpp samplers (only with do_sample) ----
  /** Seed of the random draw, an unsigned 32-bit integer; unset = random (as is `4294967295`, llama.cpp's "random"). */
  seed?: number;
  /** Fewest tokens every warper keeps (transformers' `min_tokens_to_keep`, llama.cpp's `min_keep`). Default `1`. */
  min_keep?: number;
  /** Tail-free sampling z; `1` = off. Default `1`. */
  tfs_z?: number;
  /** Mirostat draw: `0` off, `1` Mirostat, `2` Mirostat 2.0. Default `0`. */
  mirostat?: 0 | 1 | 2;
  /** Mirostat target surprise. Default `5`. */
  mirostat_tau?: number;
  /** Mirostat learning rate. Default `0.1`. */
  mirostat_eta?: number;
  /** Dynamic temperature: the temperature varies in `temperature ± dynatemp_range` with the entropy; `0` = off. Default `0`. */
  dynatemp_range?: number;
  /** Dynamic temperature: exponent of the entropy-to-temperature map. Default `1`. */
  dynatemp_exponent?: number;
  /** XTC: probability of removing the top choices; `0` = off. Default `0`. */
  xtc_probability?: number;
  /** XTC: tokens above this probability count as top choices (> 0.5 disables XTC). Default `0.1`. */
  xtc_threshold?: number;
  /** Keep tokens within n standard deviations of the top logit; `-1` = off. Default `-1`. */
  top_n_sigma?: number;
  /** Adaptive-p: target probability in [0, 1]; `-1` = off. Default `-1`. */
  adaptive_target?: number;
  /** Adaptive-p: EMA decay in [0, 0.99]. Default `0.9`. */
  adaptive_decay?: number;
  /**
   * Order of the penalty and warper stages, as llama.cpp sampler names (or a
   * `;`-separated string such as `"top_k;top_p;temperature"`); stages not named
   * do not run. Default unset: transformers' order.
   */
  samplers?: readonly SamplerName[] | string;

  // ---- Loop, hook ----
  /** Do not stop at end-of-generation tokens. Default `false`. */
  ignore_eos?: boolean;
  /**
   * Opt-in per-token JS hook, after transformers' processors; the only per-token
   * crossing into JS (one synchronous call per token, blocking the decode loop). Default unset.
   */
  logits_processor?: LogitsProcessor;

  // ---- OpenAI aliases ----
  /** Alias of `max_new_tokens` (OpenAI). */
  max_tokens?: number;
  /** Alias of `max_new_tokens` (OpenAI's newer name). */
  max_completion_tokens?: number;
  /** Alias of `json_schema` (OpenAI): JSON mode or a schema; see {@link ResponseFormat}. */
  response_format?: ResponseFormat;
  /** Alias of `stop_strings` (OpenAI). */
  stop?: string | readonly string[];
  /** Alias of `num_return_sequences` (OpenAI). */
  n?: number;
}

/** OpenAI aliases and the canonical field each one sets. */
export const ALIASES = {
  max_tokens: 'max_new_tokens',
  max_completion_tokens: 'max_new_tokens',
  stop: 'stop_strings',
  n: 'num_return_sequences',
  response_format: 'json_schema',
} as const;

/** An alias name; see {@link ALIASES}. */
export type AliasField = keyof typeof ALIASES;

/** A canonical field name (every key of {@link GenerationConfig} except the aliases). */
export type CanonicalField = Exclude<keyof GenerationConfig, AliasField>;

/**
 * What layers accept: {@link GenerationConfig} where any field may also be
 * `null`, which resets it to the library default (`top_k: null` means `0`, as
 * `None` disables top-k in transformers).
 */
export type GenerationConfigInput = { [K in keyof GenerationConfig]?: GenerationConfig[K] | null };

/** Fields whose resolved value is normalised to one form. */
interface NormalizedForms {
  stop_strings: readonly string[];
  eos_token_id: readonly number[];
  forced_eos_token_id: readonly number[];
  sequence_bias: readonly SequenceBiasEntry[];
  logit_bias: Readonly<Record<string, number>>;
  samplers: readonly SamplerName[];
}

/**
 * Fields with a library default (see `DEFAULTS`); their resolved value is never
 * undefined. Kept in sync with `DEFAULTS` by its type.
 */
export type DefaultedField =
  | 'max_length' | 'min_length' | 'do_sample' | 'num_beams' | 'num_beam_groups' | 'diversity_penalty'
  | 'length_penalty' | 'early_stopping' | 'num_return_sequences' | 'temperature' | 'top_k' | 'top_p'
  | 'typical_p' | 'epsilon_cutoff' | 'eta_cutoff' | 'repetition_penalty' | 'no_repeat_ngram_size'
  | 'renormalize_logits' | 'remove_invalid_values' | 'use_cache' | 'output_scores' | 'return_dict_in_generate'
  | 'num_assistant_tokens' | 'num_assistant_tokens_schedule' | 'assistant_confidence_threshold'
  | 'assistant_lookbehind' | 'target_lookbehind' | 'frequency_penalty' | 'presence_penalty' | 'penalty_last_n'
  | 'repeat_penalty' | 'dry_multiplier' | 'dry_base' | 'dry_allowed_length' | 'dry_penalty_last_n'
  | 'dry_sequence_breakers' | 'grammar_lazy' | 'min_keep' | 'tfs_z' | 'mirostat' | 'mirostat_tau' | 'mirostat_eta'
  | 'dynatemp_range' | 'dynatemp_exponent' | 'xtc_probability' | 'xtc_threshold' | 'top_n_sigma'
  | 'adaptive_target' | 'adaptive_decay' | 'ignore_eos';

/**
 * Resolved values: every canonical field, defaults filled, union-typed fields
 * normalised (token id or list → list, string or list → list, `sequence_bias`
 * → pairs, `logit_bias` `false` → `-Infinity`, `samplers` → canonical names).
 */
export type GenerationValues = {
  readonly [K in CanonicalField]: K extends keyof NormalizedForms
    ? NormalizedForms[K] | undefined
    : K extends DefaultedField
      ? NonNullable<GenerationConfig[K]>
      : GenerationConfig[K] | undefined;
};

/**
 * Where a resolved value came from, lowest layer first: the library default,
 * the model's GGUF `general.sampling.*` metadata, a generation_config.json, or
 * the call.
 */
export type ConfigSource = 'default' | 'model' | 'generation_config' | 'call';

/** The source of every resolved field. */
export type GenerationSources = { readonly [K in CanonicalField]: ConfigSource };

/**
 * The sampling settings the model's authors recommend, from the GGUF
 * `general.sampling.*` keys, under llama.cpp's names. Absent keys are absent.
 */
export interface ModelSamplingMetadata {
  /** Sampler order, e.g. `"penalties;dry;top_k;top_p;min_p;temperature"`. */
  sequence?: string;
  /** Keep the k most likely tokens. */
  top_k?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches p. */
  top_p?: number;
  /** Drop tokens less likely than `min_p` times the most likely one. */
  min_p?: number;
  /** XTC: probability of removing the top choices. */
  xtc_probability?: number;
  /** XTC: probability threshold above which tokens count as top choices. */
  xtc_threshold?: number;
  /** Sampling temperature. */
  temp?: number;
  /** llama.cpp's repeat penalty window, in tokens. */
  penalty_last_n?: number;
  /** llama.cpp's repeat penalty. */
  penalty_repeat?: number;
  /** Mirostat version: 0 off, 1 or 2. */
  mirostat?: number;
  /** Mirostat target entropy. */
  mirostat_tau?: number;
  /** Mirostat learning rate. */
  mirostat_eta?: number;
}
