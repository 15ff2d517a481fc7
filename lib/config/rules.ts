/**
 * The type and range rule of every field. A rule validates one value (never
 * `undefined` or `null`) and returns its normalised form (see
 * `GenerationValues`), or throws `INVALID_ARGUMENT` naming the field.
 */
import { invalidArgument } from '../errors';
import {
  boolean, fail, isPlainObject, nonEmptyString, number, oneOf, show, stringList, stringOrList,
  tokenId, tokenIdOrList, tokenIds, type Bounds,
} from './checks';
import { SAMPLER_NAMES, type CanonicalField, type ForceWordsEntry, type GenerationValues, type SamplerName, type SequenceBiasEntry } from './fields';
import { jsonSchemaOrResponseFormat } from './jsonOutput';
import { closest } from './suggest';

/** A field rule; `name` is the key as written (an alias for aliased fields). */
export type Rule<T> = (value: unknown, name: string) => T;

const int = (bounds: Omit<Bounds, 'int'>): Rule<number> => (v, name) => number(name, v, { ...bounds, int: true });
const real = (bounds: Bounds = {}): Rule<number> => (v, name) => number(name, v, bounds);
const flag: Rule<boolean> = (v, name) => boolean(name, v);
const id: Rule<number> = (v, name) => tokenId(name, v);
const ids: Rule<readonly number[]> = (v, name) => tokenIds(name, v);

/** A number in [0, 1], or -1 (off). */
const unitOrOff: Rule<number> = (v, name) => {
  const n = number(name, v);
  if (n !== -1 && (n < 0 || n > 1)) fail(name, 'be in [0, 1], or -1 to disable', v);
  return n;
};

function badWords(v: unknown, name: string): readonly (readonly number[])[] {
  if (!Array.isArray(v) || v.length === 0) fail(name, 'be a non-empty list of non-empty token id lists', v);
  return Object.freeze(v.map((word: unknown, i) => tokenIds(`${name}[${i}]`, word, true)));
}

/** Parses a `sequence_bias` object key: "1,2", "[1, 2]" or "7". */
function sequenceKey(key: string, name: string): readonly number[] {
  const body = key.trim().replace(/^\[(.*)\]$/s, '$1');
  const parts = body.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) fail(`${name} key ${show(key)}`, 'be token ids joined by commas or a JSON array', key);
  return tokenIds(`${name}[${show(key)}]`, parts.map(Number), true);
}

function sequenceBias(v: unknown, name: string): readonly SequenceBiasEntry[] {
  let entries: [readonly number[], unknown, string][];
  if (Array.isArray(v)) {
    entries = v.map((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) fail(`${name}[${i}]`, 'be a [[token ids...], bias] pair', pair);
      return [tokenIds(`${name}[${i}][0]`, pair[0], true), pair[1], `${name}[${i}][1]`];
    });
  } else if (isPlainObject(v)) {
    entries = Object.entries(v).map(([key, bias]) => [sequenceKey(key, name), bias, `${name}[${show(key)}]`]);
  } else {
    return fail(name, 'be a list of [[token ids...], bias] pairs or an object keyed by token ids', v);
  }
  const seen = new Set<string>();
  return Object.freeze(entries.map(([tokens, bias, where]): SequenceBiasEntry => {
    const key = tokens.join(',');
    if (seen.has(key)) throw invalidArgument(`${name} lists the token sequence [${key}] twice`);
    seen.add(key);
    return Object.freeze([tokens, number(where, bias)] as const);
  }));
}

function logitBias(v: unknown, name: string): Readonly<Record<string, number>> {
  if (!isPlainObject(v)) fail(name, 'be an object mapping token ids or strings to biases', v);
  const out: Record<string, number> = {};
  for (const [key, bias] of Object.entries(v)) {
    const where = `${name}[${show(key)}]`;
    if (key.length === 0) fail(name, 'not have an empty key', v);
    if (/^\d+$/.test(key)) tokenId(`${name} key`, Number(key));
    if (bias === false || bias === -Infinity) out[key] = -Infinity;
    else out[key] = number(where, bias);
  }
  return Object.freeze(out);
}

/** `force_words_ids`: phrases, or lists of phrases none of which is a prefix of another. */
function forceWords(v: unknown, name: string): readonly ForceWordsEntry[] {
  if (!Array.isArray(v) || v.length === 0) fail(name, 'be a non-empty list of phrases (token id lists) or lists of phrases', v);
  return Object.freeze(v.map((entry: unknown, i): ForceWordsEntry => {
    const where = `${name}[${i}]`;
    if (!Array.isArray(entry) || !Array.isArray(entry[0])) return tokenIds(where, entry, true);
    const words = entry.map((word: unknown, j) => tokenIds(`${where}[${j}]`, word, true));
    const prefix = (a: readonly number[], b: readonly number[]): boolean => a.length <= b.length && a.every((t, k) => b[k] === t);
    if (words.some((a, j) => words.some((b, k) => j !== k && prefix(a, b)))) fail(where, 'not list a phrase twice or one that starts another', entry);
    return Object.freeze(words);
  }));
}

function exponentialDecay(v: unknown, name: string): readonly [number, number] {
  if (!Array.isArray(v) || v.length !== 2) fail(name, 'be [start_index, decay_factor]', v);
  return Object.freeze([number(`${name}[0]`, v[0], { int: true, min: 0 }), number(`${name}[1]`, v[1], { gt: 0 })] as const);
}

function triggerPatterns(v: unknown, name: string): readonly string[] {
  const patterns = stringList(name, v);
  patterns.forEach((pattern, i) => {
    try {
      new RegExp(pattern, 'u');
    } catch (err) {
      fail(`${name}[${i}]`, `be a valid regular expression (${(err as Error).message})`, pattern);
    }
  });
  return patterns;
}

/** Sampler name spellings accepted besides the canonical ones (as llama.cpp does, plus transformers' names). */
const SAMPLER_ALIASES: Readonly<Record<string, SamplerName>> = (() => {
  const map: Record<string, SamplerName> = {
    nucleus: 'top_p', temp: 'temperature', typ: 'typ_p', typical_p: 'typ_p', tfs: 'tfs_z',
    epsilon_cutoff: 'epsilon', eta_cutoff: 'eta',
  };
  for (const name of SAMPLER_NAMES) {
    map[name] = name;
    map[name.replace(/_/g, '-')] = name;
    map[name.replace(/_/g, '')] = name;
  }
  return map;
})();

/** The canonical sampler for one spelling (case-insensitive), or undefined. */
export function samplerName(spelling: string): SamplerName | undefined {
  return SAMPLER_ALIASES[spelling.trim().toLowerCase()];
}

function samplers(v: unknown, name: string): readonly SamplerName[] {
  let list: unknown[];
  if (typeof v === 'string') list = v.trim() === '' ? [] : v.split(';');
  else if (Array.isArray(v)) list = v;
  else return fail(name, "be a list of sampler names or a ';'-separated string", v);
  const out: SamplerName[] = [];
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') fail(`${name}[${i}]`, 'be a sampler name', entry);
    const canonical = samplerName(entry);
    if (canonical === undefined) {
      const guess = closest(entry.trim().toLowerCase(), SAMPLER_NAMES);
      const hint = guess ? `did you mean '${guess}'?` : `known: ${SAMPLER_NAMES.join(', ')}`;
      throw invalidArgument(`${name}: unknown sampler ${show(entry)}; ${hint}`);
    }
    if (out.includes(canonical)) throw invalidArgument(`${name} lists '${canonical}' twice`);
    out.push(canonical);
  });
  return Object.freeze(out);
}

function callback<T>(v: unknown, name: string): T {
  if (typeof v !== 'function') fail(name, 'be a function (inputIds, scores) => void', v);
  return v as T;
}

/** A loaded Model (checked by shape: `config/` imports nothing above it). */
function model<T>(v: unknown, name: string): T {
  const m = v as { createContext?: unknown; tokenize?: unknown; vocabSize?: unknown } | null;
  if (m === null || typeof m !== 'object' || typeof m.createContext !== 'function' || typeof m.tokenize !== 'function' || typeof m.vocabSize !== 'number') {
    fail(name, 'be a loaded Model', v);
  }
  return v as T;
}

/**
 * The rule of every canonical field (and of its aliases: `name` tells which
 * was written). `null` resets the field to its default: `response_format:
 * {type: 'text'}` is `json_schema: null`.
 */
export const RULES: { readonly [K in CanonicalField]: Rule<NonNullable<GenerationValues[K]> | null> } = {
  max_new_tokens: int({ min: 1 }),
  max_length: int({ min: 1 }),
  min_new_tokens: int({ min: 0 }),
  min_length: int({ min: 0 }),
  max_time: real({ gt: 0 }),
  stop_strings: (v, name) => stringOrList(name, v),
  do_sample: flag,
  num_beams: int({ min: 1 }),
  num_beam_groups: int({ min: 1 }),
  diversity_penalty: real({ min: 0 }),
  length_penalty: real(),
  early_stopping: (v, name) => oneOf(name, v, [true, false, 'never'] as const),
  force_words_ids: forceWords,
  num_return_sequences: int({ min: 1 }),
  temperature: real({ min: 0 }),
  top_k: int({ min: 0 }),
  top_p: real({ min: 0, max: 1 }),
  min_p: real({ min: 0, max: 1 }),
  typical_p: real({ gt: 0, max: 1 }),
  epsilon_cutoff: real({ min: 0, lt: 1 }),
  eta_cutoff: real({ min: 0, lt: 1 }),
  repetition_penalty: real({ gt: 0 }),
  no_repeat_ngram_size: int({ min: 0 }),
  bad_words_ids: badWords,
  sequence_bias: sequenceBias,
  suppress_tokens: ids,
  begin_suppress_tokens: ids,
  forced_bos_token_id: id,
  forced_eos_token_id: (v, name) => tokenIdOrList(name, v),
  exponential_decay_length_penalty: exponentialDecay,
  renormalize_logits: flag,
  remove_invalid_values: flag,
  eos_token_id: (v, name) => tokenIdOrList(name, v),
  pad_token_id: int({ min: -1 }),
  bos_token_id: id,
  use_cache: flag,
  logprobs: flag,
  top_logprobs: int({ min: 0, max: 20 }),
  output_scores: flag,
  output_logits: flag,
  return_dict_in_generate: flag,
  prompt_lookup_num_tokens: int({ min: 1 }),
  max_matching_ngram_size: int({ min: 1 }),
  num_assistant_tokens: int({ min: 1 }),
  num_assistant_tokens_schedule: (v, name) => oneOf(name, v, ['constant', 'heuristic', 'heuristic_transient'] as const),
  assistant_confidence_threshold: real({ min: 0, max: 1 }),
  assistant_early_exit: int({ min: 1 }),
  assistant_lookbehind: int({ min: 1 }),
  target_lookbehind: int({ min: 1 }),
  assistant_model: model,
  frequency_penalty: real(),
  presence_penalty: real(),
  penalty_last_n: int({ min: 0 }),
  repeat_penalty: real({ gt: 0 }),
  dry_multiplier: real({ min: 0 }),
  dry_base: real({ min: 1 }),
  dry_allowed_length: int({ min: 0 }),
  dry_penalty_last_n: int({ min: 0 }),
  dry_sequence_breakers: (v, name) => stringList(name, v),
  logit_bias: logitBias,
  grammar: (v, name) => nonEmptyString(name, v),
  json_schema: jsonSchemaOrResponseFormat,
  grammar_lazy: flag,
  grammar_trigger_words: (v, name) => stringList(name, v),
  grammar_trigger_patterns: triggerPatterns,
  seed: int({ min: 0, max: 0xffffffff }),
  min_keep: int({ min: 1 }),
  tfs_z: real({ gt: 0, max: 1 }),
  mirostat: (v, name) => oneOf(name, v, [0, 1, 2] as const),
  mirostat_tau: real({ gt: 0 }),
  mirostat_eta: real({ gt: 0 }),
  dynatemp_range: real({ min: 0 }),
  dynatemp_exponent: real({ min: 0 }),
  xtc_probability: real({ min: 0, max: 1 }),
  xtc_threshold: real({ min: 0, max: 1 }),
  top_n_sigma: (v, name) => {
    const n = number(name, v);
    if (n !== -1 && n <= 0) fail(name, 'be > 0, or -1 to disable', v);
    return n;
  },
  adaptive_target: unitOrOff,
  adaptive_decay: real({ min: 0, max: 0.99 }),
  samplers,
  ignore_eos: flag,
  logits_processor: callback,
};
