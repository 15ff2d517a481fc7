/**
 * Field metadata: where each field acts in the sampler chain (the order table
 * of docs/sampling-design.md), what implements it and whose semantics it has.
 * The table is in chain order; validation and explain() read it.
 */
import type { CanonicalField, SamplerName } from './fields';

/** A stage of the chain (numbered, in order), a stop condition, an output option, or none. */
export type ExplainStage =
  | '1. logit bias'
  | '2. processors'
  | '3. grammar'
  | '4. penalties'
  | '5. warpers'
  | '6. renormalize'
  | '7. draw'
  | 'stop'
  | 'output'
  | 'none';

/** Whose semantics a field follows exactly. */
export type Semantics = 'transformers' | 'llama.cpp' | 'llama-generate' | 'not implemented' | 'stop condition';

/** What the metadata table says about one field. */
export interface FieldInfo {
  /** Where it acts. */
  readonly stage: ExplainStage;
  /** What implements it. */
  readonly implementation: string;
  /** Whose semantics it has. */
  readonly semantics: Semantics;
  /** One-line meaning. */
  readonly note: string;
  /** The `samplers` entry that runs it (stages 4 and 5). */
  readonly sampler?: SamplerName;
  /** Whether it only acts with `do_sample: true`. */
  readonly samplingOnly?: boolean;
}

const HF = 'native/sampling/hf: ';
const LOOP = 'generation loop';
const BEAM = 'native/generation/beam';
const SPECULATIVE = 'native/generation/speculative';

function hf(cls: string, note: string): FieldInfo {
  return { stage: '2. processors', implementation: HF + cls, semantics: 'transformers', note };
}
function penalty(implementation: string, sampler: SamplerName, note: string): FieldInfo {
  return { stage: '4. penalties', implementation, semantics: 'llama.cpp', sampler, note };
}
function warper(implementation: string, semantics: Semantics, sampler: SamplerName | undefined, note: string): FieldInfo {
  return { stage: '5. warpers', implementation, semantics, sampler, samplingOnly: true, note };
}
function draw(implementation: string, note: string, samplingOnly = true): FieldInfo {
  return { stage: '7. draw', implementation, semantics: 'llama.cpp', samplingOnly, note };
}
function stop(note: string): FieldInfo {
  return { stage: 'stop', implementation: LOOP, semantics: 'stop condition', note };
}
function output(semantics: Semantics, note: string): FieldInfo {
  return { stage: 'output', implementation: LOOP, semantics, note };
}
function beam(note: string): FieldInfo {
  return { stage: '7. draw', implementation: BEAM, semantics: 'transformers', note };
}
function speculative(note: string): FieldInfo {
  return { stage: '7. draw', implementation: SPECULATIVE, semantics: 'transformers', note };
}
function unimplemented(note: string): FieldInfo {
  return { stage: 'none', implementation: 'none', semantics: 'not implemented', note };
}

const PENALTIES = 'llama_sampler_init_penalties';
const DRY = 'llama_sampler_init_dry';
// llama-generate's grammar engine (native/grammar/), llama.cpp's grammar semantics
// (LLAMA_GENERATE_GRAMMAR_ENGINE=llama.cpp: llama_sampler_init_grammar itself).
const GRAMMAR = 'grammar engine (llama.cpp parser)';
const LAZY = 'grammar engine, lazy (llama.cpp triggers)';
const XTC = 'llama_sampler_init_xtc';
const DYNATEMP = 'llama_sampler_init_temp_ext';
const ADAPTIVE = 'llama_sampler_init_adaptive_p';

/** Every canonical field, in chain order. */
export const FIELD_INFO: { readonly [K in CanonicalField]: FieldInfo } = {
  logit_bias: { stage: '1. logit bias', implementation: 'native/sampling/LogitBias (llama_sampler_logit_bias semantics)', semantics: 'llama.cpp', note: 'adds a bias to token logits (OpenAI / llama.cpp logit_bias)' },
  sequence_bias: hf('SequenceBiasLogitsProcessor', 'biases the last token of each sequence whose prefix ends the input'),
  diversity_penalty: {
    stage: '2. processors', implementation: `${HF}HammingDiversityLogitsProcessor`, semantics: 'transformers',
    note: 'group beam search: subtracted per beam of an earlier group that chose the token in this step',
  },
  repetition_penalty: hf('RepetitionPenaltyLogitsProcessor', 'penalises every distinct token of the whole sequence, prompt included'),
  no_repeat_ngram_size: hf('NoRepeatNGramLogitsProcessor', 'bans tokens that would repeat an n-gram'),
  bad_words_ids: hf('NoBadWordsLogitsProcessor', 'bans the last token of each bad word whose prefix ends the input'),
  min_length: hf('MinLengthLogitsProcessor', 'bans EOS while prompt + output is shorter than min_length'),
  min_new_tokens: hf('MinNewTokensLengthLogitsProcessor', 'bans EOS until min_new_tokens tokens are generated'),
  forced_bos_token_id: hf('ForcedBOSTokenLogitsProcessor', 'forces this token when the sequence is 1 token long'),
  forced_eos_token_id: hf('ForcedEOSTokenLogitsProcessor', 'forces EOS as the token before max_length'),
  remove_invalid_values: hf('InfNanRemoveLogitsProcessor', "replaces NaN by 0 and ±inf by float32's extremes"),
  exponential_decay_length_penalty: hf('ExponentialDecayLengthPenalty', 'raises EOS scores exponentially after start_index new tokens'),
  suppress_tokens: hf('SuppressTokensLogitsProcessor', 'bans these tokens'),
  begin_suppress_tokens: hf('SuppressTokensAtBeginLogitsProcessor', 'bans these tokens as the first new token'),
  grammar: { stage: '3. grammar', implementation: GRAMMAR, semantics: 'llama.cpp', note: 'constrains the output to a GBNF grammar' },
  json_schema: { stage: '3. grammar', implementation: `json-schema-to-grammar + ${GRAMMAR}`, semantics: 'llama.cpp', note: 'constrains the output to JSON matching the schema' },
  grammar_lazy: { stage: '3. grammar', implementation: LAZY, semantics: 'llama.cpp', note: 'the grammar applies from the first trigger on' },
  grammar_trigger_words: { stage: '3. grammar', implementation: LAZY, semantics: 'llama.cpp', note: 'words that activate the lazy grammar' },
  grammar_trigger_patterns: { stage: '3. grammar', implementation: LAZY, semantics: 'llama.cpp', note: 'patterns that activate the lazy grammar' },
  samplers: { stage: '4. penalties', implementation: 'chain order of stages 4-5', semantics: 'llama.cpp', note: 'order of the penalty and warper stages; stages not named do not run' },
  repeat_penalty: penalty(PENALTIES, 'penalties', 'llama.cpp repeat penalty over the last penalty_last_n tokens'),
  frequency_penalty: penalty(PENALTIES, 'penalties', 'subtracts frequency_penalty × count over the last penalty_last_n tokens'),
  presence_penalty: penalty(PENALTIES, 'penalties', 'subtracts presence_penalty once per token in the last penalty_last_n tokens'),
  penalty_last_n: penalty(PENALTIES, 'penalties', 'window of the llama.cpp penalties'),
  dry_multiplier: penalty(DRY, 'dry', "DRY (Don't Repeat Yourself) penalty strength"),
  dry_base: penalty(DRY, 'dry', 'DRY penalty base'),
  dry_allowed_length: penalty(DRY, 'dry', 'repetitions up to this length are not penalised'),
  dry_penalty_last_n: penalty(DRY, 'dry', 'tokens DRY scans'),
  dry_sequence_breakers: penalty(DRY, 'dry', 'strings that break DRY matching'),
  logits_processor: {
    stage: '5. warpers', implementation: 'JS callback', semantics: 'llama-generate',
    note: 'runs right before the warpers (transformers runs a custom logits_processor after its processors, before its warpers); one synchronous call per token on the JS thread',
  },
  temperature: warper(`${HF}TemperatureLogitsWarper`, 'transformers', 'temperature', 'divides the scores by the temperature'),
  dynatemp_range: warper(DYNATEMP, 'llama.cpp', 'temperature', 'entropy-dependent temperature in temperature ± range (replaces the temperature warper)'),
  dynatemp_exponent: warper(DYNATEMP, 'llama.cpp', 'temperature', 'exponent of the dynamic temperature map'),
  top_k: warper(`${HF}TopKLogitsWarper`, 'transformers', 'top_k', 'keeps the k best tokens (ties at the k-th score kept)'),
  top_p: warper(`${HF}TopPLogitsWarper`, 'transformers', 'top_p', 'keeps the most likely tokens reaching probability top_p'),
  min_p: warper(`${HF}MinPLogitsWarper`, 'transformers', 'min_p', 'drops tokens below min_p × the top probability'),
  typical_p: warper(`${HF}TypicalLogitsWarper`, 'transformers', 'typ_p', 'locally typical sampling'),
  epsilon_cutoff: warper(`${HF}EpsilonLogitsWarper`, 'transformers', 'epsilon', 'drops tokens with probability below epsilon'),
  eta_cutoff: warper(`${HF}EtaLogitsWarper`, 'transformers', 'eta', 'entropy-dependent epsilon cutoff'),
  min_keep: warper('min_tokens_to_keep / min_keep of every warper', 'transformers', undefined, 'fewest tokens each warper keeps'),
  tfs_z: warper('native/sampling/TailFree.cc', 'llama-generate', 'tfs_z', "tail-free sampling (llama.cpp's former sampler, reimplemented)"),
  top_n_sigma: warper('llama_sampler_init_top_n_sigma', 'llama.cpp', 'top_n_sigma', 'keeps tokens within n standard deviations of the top logit'),
  xtc_probability: warper(XTC, 'llama.cpp', 'xtc', 'XTC: probability of removing the top choices'),
  xtc_threshold: warper(XTC, 'llama.cpp', 'xtc', 'XTC: threshold of the top choices'),
  adaptive_target: warper(ADAPTIVE, 'llama.cpp', 'adaptive_p', 'adaptive-p: favours tokens near the target probability; it selects the token itself'),
  adaptive_decay: warper(ADAPTIVE, 'llama.cpp', 'adaptive_p', 'adaptive-p EMA decay'),
  renormalize_logits: { stage: '6. renormalize', implementation: 'log-softmax (LogitNormalization)', semantics: 'transformers', note: 'log-softmax of the final scores' },
  do_sample: { stage: '7. draw', implementation: 'argmax / llama_sampler_init_dist', semantics: 'transformers', note: 'false: the most likely token (greedy); true: a random draw' },
  seed: draw('llama_sampler_init_dist(seed)', 'seed of the random draw'),
  mirostat: draw('llama_sampler_init_mirostat / _mirostat_v2', 'Mirostat draw instead of dist; as in llama.cpp, the warpers other than temperature do not run'),
  mirostat_tau: draw('llama_sampler_init_mirostat / _mirostat_v2', 'Mirostat target surprise'),
  mirostat_eta: draw('llama_sampler_init_mirostat / _mirostat_v2', 'Mirostat learning rate'),
  max_new_tokens: stop('stops after this many new tokens'),
  max_length: stop('stops when prompt + output reach this length (unless max_new_tokens is set)'),
  max_time: stop('stops after this many seconds'),
  stop_strings: stop('stops when the output contains one of these strings'),
  eos_token_id: stop("stops at these tokens (default: the model's end-of-generation tokens); also the tokens the min-length processors ban"),
  ignore_eos: { stage: '1. logit bias', implementation: 'native/sampling/LogitBias (-inf on the EOS tokens)', semantics: 'llama.cpp', note: 'bans the end-of-generation tokens, so generation never stops at them' },
  num_return_sequences: output('transformers', 'sequences returned: independent ones when sampling, the best hypotheses with beam search'),
  use_cache: output('transformers', 'false: the whole sequence is evaluated again at every step (slow; for checking)'),
  logprobs: output('llama-generate', 'per-token log-probabilities of the chosen tokens under the model (OpenAI)'),
  top_logprobs: output('llama-generate', 'also the n most likely tokens of each step with their log-probabilities (OpenAI)'),
  output_scores: output('transformers', 'returns the processed scores of each step'),
  output_logits: output('transformers', 'returns the raw logits of each step'),
  return_dict_in_generate: output('transformers', 'returns a result object with the optional outputs'),
  pad_token_id: output('llama-generate', 'informational: one sequence per context, no padding'),
  bos_token_id: output('llama-generate', 'informational: the tokenizer adds BOS'),
  num_beams: beam('beam search: keeps the num_beams best sequences by summed log-probability at every step (> 1)'),
  num_beam_groups: beam('group (diverse) beam search: the beams split into groups that avoid each other\'s tokens'),
  length_penalty: beam('beam search: a hypothesis scores sum of log-probs / length ** length_penalty'),
  early_stopping: beam('beam search: true stops at num_beams finished hypotheses, false by a heuristic, "never" when none can improve'),
  force_words_ids: beam('constrained beam search: phrases (or alternatives) the output must contain'),
  prompt_lookup_num_tokens: speculative('prompt lookup decoding: proposes up to this many tokens per step from n-grams of the prompt and output, verified in one batch'),
  max_matching_ngram_size: speculative('prompt lookup decoding: the longest n-gram looked up; unset means 2, as in transformers'),
  num_assistant_tokens: speculative('assisted decoding: tokens the draft model proposes per step'),
  num_assistant_tokens_schedule: speculative("assisted decoding: 'heuristic' grows num_assistant_tokens by 2 after a step that kept every proposal, else shrinks it by 1"),
  assistant_confidence_threshold: speculative("assisted decoding: the draft stops proposing after a token it gives less than this probability"),
  assistant_early_exit: unimplemented('assisted decoding (early exit)'),
  assistant_lookbehind: unimplemented('assisted decoding with different tokenizers'),
  target_lookbehind: unimplemented('assisted decoding with different tokenizers'),
  assistant_model: speculative('assisted decoding: a draft model with the same tokenizer proposes tokens, verified in one batch; the output keeps the exact distribution'),
};

/** Every canonical field, in chain order. */
export const FIELD_NAMES = Object.freeze(Object.keys(FIELD_INFO) as CanonicalField[]);

/** Fields that only a call can set (functions and objects, not JSON). */
export const CALL_ONLY: ReadonlySet<string> = new Set<CanonicalField>(['logits_processor', 'assistant_model']);

/** transformers' bookkeeping keys of a generation_config.json, ignored silently wherever a config is accepted. */
export const HF_METADATA_KEYS: ReadonlySet<string> = new Set([
  '_from_model_config', '_commit_hash', '_original_object_hash', 'transformers_version',
]);

/** transformers options llama-generate does not support, with the feature they belong to. */
export const HF_UNSUPPORTED: Readonly<Record<string, string>> = {
  penalty_alpha: 'contrastive search',
  dola_layers: 'DoLa decoding',
  cache_implementation: "transformers' cache classes (llama.cpp manages the KV cache)",
  cache_config: "transformers' cache classes (llama.cpp manages the KV cache)",
  return_legacy_cache: "transformers' cache classes (llama.cpp manages the KV cache)",
  prefill_chunk_size: "transformers' chunked prefill",
  encoder_repetition_penalty: 'encoder-decoder models',
  encoder_no_repeat_ngram_size: 'encoder-decoder models',
  decoder_start_token_id: 'encoder-decoder models',
  constraints: 'constrained beam search',
  forced_decoder_ids: 'forced decoder ids (removed from transformers)',
  token_healing: 'token healing',
  guidance_scale: 'classifier-free guidance',
  low_memory: 'sequential beam search',
  watermarking_config: 'watermarking',
  output_attentions: 'attention outputs',
  output_hidden_states: 'hidden-state outputs',
  is_assistant: "transformers' assisted decoding internals",
  compile_config: 'torch.compile',
  disable_compile: 'torch.compile',
  generation_kwargs: "transformers' generate() keyword arguments",
};
