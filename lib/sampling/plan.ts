/**
 * Turns a resolved generation config into the ordered list of native stages
 * (docs/sampling.md has the table). The native side only instantiates what
 * this plan lists, so every ordering rule lives here, in one place.
 * @internal
 */
import { randomInt } from 'node:crypto';
import { outlineSampling, type GenerationValues, type SamplingDrawKind, type SamplingStageKind } from '../config';
import { invalidArgument } from '../errors';
import { checkGrammar } from '../grammar/gbnf/check';
import { checkGrammarLimits } from '../grammar/limits';
import type { DrawDescriptor, StageDescriptor } from './stages';

export type { DrawDescriptor, StageDescriptor } from './stages';

/** The resolved config fields the chain reads (snake_case, as in GenerationConfig). */
export type PlanValues = Partial<GenerationValues>;

/** Everything the native chain is built from. */
export interface ChainPlan {
  /** Length of the logit vectors the chain takes. */
  vocabSize: number;
  /** The stages before the draw, in the order they run. */
  stages: StageDescriptor[];
  /** How the token is chosen: argmax, a seeded multinomial draw, Mirostat 1 or 2, or adaptive-p. */
  draw: DrawDescriptor;
  /** Index of the first warper stage: a JS `logits_processor` runs right before it. */
  hookAt: number;
  /** The seed every seeded stage and the draw use. */
  seed: number;
}

/** What a plan needs besides the config: the vocabulary's size, EOS ids and tokenizer. */
export interface PlanContext {
  vocabSize: number;
  /** Default EOS ids when the config has none (the model's end-of-generation tokens). */
  defaultEos?: number[];
  /** Tokenizes a logit_bias string key (no special tokens). */
  tokenize?: (text: string) => Int32Array;
  /** The GBNF grammar for `json_schema`, when set (converted by the caller). */
  jsonSchemaGrammar?: string;
  /**
   * The chain of a beam search's beams (transformers' `_beam_search`): the
   * scores are log-softmaxed first, the processors include
   * HammingDiversityLogitsProcessor for group beam search, and warpers keep
   * at least one token more than there are EOS ids.
   */
  beamSearch?: boolean;
}

const list = (v: number | readonly number[] | null | undefined): number[] =>
  v === null || v === undefined ? [] : [...new Set(typeof v === 'number' ? [v] : v)];

/** Builds the chain plan for `values`. */
export function planChain(values: PlanValues, context: PlanContext): ChainPlan {
  const seed = values.seed ?? randomInt(0, 2 ** 32);
  const eos = values.eos_token_id === undefined || values.eos_token_id === null ? list(context.defaultEos) : list(values.eos_token_id);
  const beams = context.beamSearch === true;
  const stages: StageDescriptor[] = [
    ...(beams ? [{ kind: 'log_normalize' } as const] : []), // beam search scores log-probabilities
    ...logitBiasStages(values, context, values.ignore_eos ? eos : []),
    ...hfProcessorStages(values, eos, beams),
    ...grammarStages(values, context),
  ];
  // Which penalty and warper stages run, in which order, and the draw: config/chain.ts decides
  // (the same rule gives warnings and explain() their "has no effect" notes).
  const outline = outlineSampling(values);
  const minKeep = beams ? Math.max(values.min_keep ?? 1, eos.length + 1) : values.min_keep ?? 1;
  const hookAt = stages.length + outline.hookAt;
  for (const kind of outline.stages) stages.push(samplerStage(kind, values, context, minKeep, seed));
  if (values.renormalize_logits) stages.push({ kind: 'log_normalize', hf: 'LogitNormalization' });
  return { vocabSize: context.vocabSize, stages, draw: drawOf(outline.draw, values, seed), hookAt, seed };
}

/** `logit_bias`, plus a ban on the EOS tokens for `ignore_eos` (as llama.cpp does). */
function logitBiasStages(values: PlanValues, context: PlanContext, banned: number[]): StageDescriptor[] {
  const bias = values.logit_bias ?? {};
  if (Object.keys(bias).length === 0 && banned.length === 0) return [];
  const biases: Array<[number[], number]> = banned.map((token) => [[token], -Infinity]);
  for (const [key, value] of Object.entries(bias)) {
    if (/^\d+$/.test(key)) {
      biases.push([[Number(key)], value]);
    } else {
      if (!context.tokenize) throw invalidArgument(`logit_bias: the string key '${key}' needs a model to tokenize it`);
      biases.push([[...context.tokenize(key)], value]);
    }
  }
  return [{ kind: 'logit_bias', vocab_size: context.vocabSize, biases }];
}

/** transformers' `_get_logits_processor` list up to the warpers, same order, same conditions. */
function hfProcessorStages(v: PlanValues, eos: number[], beams: boolean): StageDescriptor[] {
  const s: StageDescriptor[] = [];
  const hasEos = eos.length > 0;
  if (v.sequence_bias) s.push({ kind: 'sequence_bias', hf: 'SequenceBiasLogitsProcessor', biases: v.sequence_bias });
  const diversity = v.diversity_penalty ?? 0;
  if (beams && diversity > 0) s.push({ kind: 'hamming_diversity', hf: 'HammingDiversityLogitsProcessor', penalty: diversity });
  if (v.repetition_penalty !== undefined && v.repetition_penalty !== 1) {
    s.push({ kind: 'repetition_penalty', hf: 'RepetitionPenaltyLogitsProcessor', penalty: v.repetition_penalty });
  }
  const ngram = v.no_repeat_ngram_size ?? 0;
  if (ngram > 0) s.push({ kind: 'no_repeat_ngram', hf: 'NoRepeatNGramLogitsProcessor', size: ngram });
  if (v.bad_words_ids) s.push({ kind: 'no_bad_words', hf: 'NoBadWordsLogitsProcessor', words: v.bad_words_ids.map((w) => [w, 0]), eos });
  const minLength = v.min_length ?? 0;
  const minNewTokens = v.min_new_tokens ?? 0;
  if (minLength > 0 && hasEos) s.push({ kind: 'min_length', hf: 'MinLengthLogitsProcessor', length: minLength, eos });
  if (minNewTokens > 0 && hasEos) s.push({ kind: 'min_new_tokens', hf: 'MinNewTokensLengthLogitsProcessor', length: minNewTokens, eos });
  if (v.forced_bos_token_id !== undefined && v.forced_bos_token_id !== null) {
    s.push({ kind: 'forced_bos', hf: 'ForcedBOSTokenLogitsProcessor', token: v.forced_bos_token_id });
  }
  if (v.forced_eos_token_id !== undefined && v.forced_eos_token_id !== null) {
    // max_new_tokens (0: not set) wins over max_length, as in generate()
    s.push({ kind: 'forced_eos', hf: 'ForcedEOSTokenLogitsProcessor', max_length: v.max_length ?? 20, max_new_tokens: v.max_new_tokens ?? 0, eos: list(v.forced_eos_token_id) });
  }
  if (v.remove_invalid_values) s.push({ kind: 'inf_nan_remove', hf: 'InfNanRemoveLogitsProcessor' });
  if (v.exponential_decay_length_penalty) {
    const [start, factor] = v.exponential_decay_length_penalty;
    s.push({ kind: 'exponential_decay', hf: 'ExponentialDecayLengthPenalty', start, factor, eos });
  }
  if (v.suppress_tokens) s.push({ kind: 'suppress_tokens', hf: 'SuppressTokensLogitsProcessor', tokens: v.suppress_tokens });
  if (v.begin_suppress_tokens) {
    s.push({
      kind: 'begin_suppress_tokens',
      hf: 'SuppressTokensAtBeginLogitsProcessor',
      tokens: v.begin_suppress_tokens,
      forced_bos: v.forced_bos_token_id !== undefined && v.forced_bos_token_id !== null,
    });
  }
  return s;
}

/**
 * A lazy-grammar trigger word as a pattern: the word as a literal group, so
 * the grammar is fed from the word on (llama.cpp's meaning). Written as the
 * bare group, not llama.cpp's `[\s\S]*?(word)[\s\S]*`: with a literal group
 * at its end the native trigger runs the regex only when the word may just
 * have been completed (LazyTrigger::TailLiterals), where the wrapped form
 * rescans the whole output at every token (3,000 tokens: 10 minutes).
 */
const wordPattern = (word: string): string => `(${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`;

function grammarStages(v: PlanValues, context: PlanContext): StageDescriptor[] {
  const grammar = v.grammar ?? context.jsonSchemaGrammar;
  if (!grammar) return [];
  // A user's grammar is parsed as llama.cpp would parse it, for errors that name the rule and
  // position; the converter's own output is known to parse (every grammar it makes in the tests
  // passes checkGrammar), so it only gets the size bounds, which keeps a large schema's first
  // use off the JS thread's critical path.
  if (v.grammar) checkGrammar(grammar, 'grammar');
  else checkGrammarLimits(grammar, 'the grammar of json_schema');
  const patterns = [...(v.grammar_trigger_patterns ?? []), ...(v.grammar_trigger_words ?? []).map(wordPattern)];
  return [{ kind: 'grammar', grammar, root: 'root', lazy: v.grammar_lazy === true, trigger_patterns: patterns, trigger_tokens: [] }];
}

/** The descriptor of a penalty or warper stage that the outline says runs. */
function samplerStage(kind: SamplingStageKind, v: PlanValues, context: PlanContext, minKeep: number, seed: number): StageDescriptor {
  switch (kind) {
    case 'penalties':
      return {
        kind,
        vocab_size: context.vocabSize,
        last_n: v.penalty_last_n ?? 64,
        repeat: v.repeat_penalty ?? 1,
        frequency: v.frequency_penalty ?? 0,
        presence: v.presence_penalty ?? 0,
      };
    case 'dry':
      return {
        kind,
        multiplier: v.dry_multiplier ?? 0,
        base: v.dry_base ?? 1.75,
        allowed_length: v.dry_allowed_length ?? 2,
        last_n: v.dry_penalty_last_n ?? 64,
        sequence_breakers: v.dry_sequence_breakers ?? ['\n', ':', '"', '*'],
      };
    case 'temp_ext':
      return { kind, temperature: v.temperature ?? 1, range: v.dynatemp_range ?? 0, exponent: v.dynatemp_exponent ?? 1 };
    case 'temperature':
      return { kind, hf: 'TemperatureLogitsWarper', temperature: v.temperature ?? 1 };
    case 'top_k':
      return { kind, hf: 'TopKLogitsWarper', k: v.top_k ?? 0, min_keep: minKeep };
    case 'top_p':
      return { kind, hf: 'TopPLogitsWarper', p: v.top_p ?? 1, min_keep: minKeep };
    case 'min_p':
      return { kind, hf: 'MinPLogitsWarper', p: v.min_p ?? 0, min_keep: minKeep };
    case 'typical_p':
      return { kind, hf: 'TypicalLogitsWarper', p: v.typical_p ?? 1, min_keep: minKeep };
    case 'epsilon':
      return { kind, hf: 'EpsilonLogitsWarper', epsilon: v.epsilon_cutoff ?? 0, min_keep: minKeep };
    case 'eta':
      return { kind, hf: 'EtaLogitsWarper', epsilon: v.eta_cutoff ?? 0, min_keep: minKeep };
    case 'tail_free':
      return { kind, z: v.tfs_z ?? 1, min_keep: minKeep };
    case 'top_n_sigma':
      return { kind, n: v.top_n_sigma ?? -1 };
    case 'xtc':
      return { kind, probability: v.xtc_probability ?? 0, threshold: v.xtc_threshold ?? 0.1, min_keep: minKeep, seed };
  }
}

function drawOf(kind: SamplingDrawKind, v: PlanValues, seed: number): DrawDescriptor {
  switch (kind) {
    case 'greedy':
      return { kind };
    case 'dist':
      return { kind, seed };
    case 'mirostat':
    case 'mirostat_v2':
      return { kind, tau: v.mirostat_tau ?? 5, eta: v.mirostat_eta ?? 0.1, seed };
    case 'adaptive_p':
      return { kind, target: v.adaptive_target ?? 0.5, decay: v.adaptive_decay ?? 0.9, seed };
  }
}
