/**
 * The contract between a chain plan (plan.ts) and the native chain factory
 * (native/sampling/StageFactory.cc): every stage and draw kind with its
 * parameters. The TypeScript side is held to it by these types; the native
 * side checks every descriptor against its own table (a missing, mistyped,
 * out-of-range or unknown parameter, or an unknown kind, is
 * `INVALID_ARGUMENT`), and test/sampling/stage-contract.test.ts checks that
 * both sides list the same kinds and that every kind a plan can produce is
 * taken by the native side as it is.
 * @internal
 */
import type { SequenceBiasEntry } from '../config';

type Tokens = readonly number[];
/** `[token ids, bias]` pairs; the bias applies to the last token of the ids. */
type Biases = ReadonlyArray<readonly [Tokens, number]>;

/** The parameters of every native stage, by kind (snake_case, as the config fields they come from). */
export interface StageParams {
  /** logit_bias (and the EOS ban of ignore_eos): biases by token sequence. */
  logit_bias: { vocab_size: number; biases: Biases };
  sequence_bias: { biases: readonly SequenceBiasEntry[] };
  hamming_diversity: { penalty: number };
  repetition_penalty: { penalty: number };
  no_repeat_ngram: { size: number };
  no_bad_words: { words: Biases; eos: Tokens };
  min_length: { length: number; eos: Tokens };
  min_new_tokens: { length: number; eos: Tokens };
  forced_bos: { token: number };
  /** `max_new_tokens` 0: not set (then `max_length` counts). */
  forced_eos: { max_length: number; max_new_tokens: number; eos: Tokens };
  inf_nan_remove: Record<never, never>;
  exponential_decay: { start: number; factor: number; eos: Tokens };
  suppress_tokens: { tokens: Tokens };
  begin_suppress_tokens: { tokens: Tokens; forced_bos: boolean };
  temperature: { temperature: number };
  top_k: { k: number; min_keep: number };
  top_p: { p: number; min_keep: number };
  min_p: { p: number; min_keep: number };
  typical_p: { p: number; min_keep: number };
  epsilon: { epsilon: number; min_keep: number };
  /** transformers' EtaLogitsWarper takes its cutoff as `epsilon`. */
  eta: { epsilon: number; min_keep: number };
  log_normalize: Record<never, never>;
  /** llama.cpp's penalties sampler: repeat, frequency and presence over the last `last_n` tokens (-1: all). */
  penalties: { vocab_size: number; last_n: number; repeat: number; frequency: number; presence: number };
  dry: { multiplier: number; base: number; allowed_length: number; last_n: number; sequence_breakers: readonly string[] };
  /** `engine`: 'llama-generate' (default) or 'llama.cpp' (its grammar sampler; tests compare the two). */
  grammar: { grammar: string; root: string; lazy: boolean; trigger_patterns: readonly string[]; trigger_tokens: Tokens; engine?: string };
  /** Dynamic temperature (llama.cpp's temp_ext). */
  temp_ext: { temperature: number; range: number; exponent: number };
  top_n_sigma: { n: number };
  xtc: { probability: number; threshold: number; min_keep: number; seed: number };
  tail_free: { z: number; min_keep: number };
}

/** A native stage's name. */
export type StageKind = keyof StageParams;

/** One native stage: its `kind`, its parameters and, for stages that reproduce one, transformers' class name. */
export type StageDescriptor = {
  [K in StageKind]: {
    /** The native stage. */
    readonly kind: K;
    /** transformers' class name, for stages that reproduce one (informative: the native side only checks it is a string). */
    readonly hf?: string;
  } & Readonly<StageParams[K]>;
}[StageKind];

/** The parameters of every draw (how the token is chosen), by kind. */
export interface DrawParams {
  /** Argmax: the first highest score. */
  greedy: Record<never, never>;
  /** A seeded draw from softmax(scores). */
  dist: { seed: number };
  mirostat: { tau: number; eta: number; seed: number };
  mirostat_v2: { tau: number; eta: number; seed: number };
  adaptive_p: { target: number; decay: number; seed: number };
}

/** A draw's name. */
export type DrawKind = keyof DrawParams;

/** The draw of a chain: its `kind` and parameters. */
export type DrawDescriptor = {
  [K in DrawKind]: {
    /** The draw. */
    readonly kind: K;
  } & Readonly<DrawParams[K]>;
}[DrawKind];

// Records over the kinds: the compiler rejects a kind missing here or one that is not in the interfaces.
const STAGES: Record<StageKind, true> = {
  logit_bias: true, sequence_bias: true, hamming_diversity: true, repetition_penalty: true, no_repeat_ngram: true,
  no_bad_words: true, min_length: true, min_new_tokens: true, forced_bos: true, forced_eos: true, inf_nan_remove: true,
  exponential_decay: true, suppress_tokens: true, begin_suppress_tokens: true, temperature: true, top_k: true, top_p: true,
  min_p: true, typical_p: true, epsilon: true, eta: true, log_normalize: true, penalties: true, dry: true, grammar: true,
  temp_ext: true, top_n_sigma: true, xtc: true, tail_free: true,
};
const DRAWS: Record<DrawKind, true> = { greedy: true, dist: true, mirostat: true, mirostat_v2: true, adaptive_p: true };

/** Every stage kind, sorted (the native factory's list must be the same). */
export const STAGE_KINDS: readonly StageKind[] = Object.freeze((Object.keys(STAGES) as StageKind[]).sort());
/** Every draw kind, sorted. */
export const DRAW_KINDS: readonly DrawKind[] = Object.freeze((Object.keys(DRAWS) as DrawKind[]).sort());
