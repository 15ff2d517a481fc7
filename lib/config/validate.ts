/**
 * Validation, as transformers' `GenerationConfig.validate()` and stricter:
 * the type and range of every field of one layer (see `rules.ts`), unknown
 * keys, and contradictions between the merged values. Every failure is a
 * `LlamaError` with code `INVALID_ARGUMENT` whose message starts with the
 * field name.
 */
import { LlamaError, invalidArgument } from '../errors';
import { isPlainObject, sameValue, show } from './checks';
import {
  ALIASES, type AliasField, type CanonicalField, type GenerationSources, type GenerationValues,
} from './fields';
import { foreignField, foreignFieldMessage } from './foreign';
import { CALL_ONLY, FIELD_INFO, FIELD_NAMES, HF_METADATA_KEYS, HF_UNSUPPORTED } from './meta';
import { RULES } from './rules';
import { closest } from './suggest';

/** One layer's options after validation: canonical fields, normalised; `null` resets a field to its default. */
export type LayerValues = { readonly [K in CanonicalField]?: GenerationValues[K] | null };

/** Which kind of layer is validated: unknown keys are errors in a call, warnings in a generation_config.json. */
export type LayerKind = 'call' | 'generation_config';

/** The result of {@link validateOptions}. */
export interface ValidatedOptions {
  /** The layer's values. */
  values: LayerValues;
  /** Warnings about ignored keys (generation_config layers only). */
  warnings: string[];
}

const KNOWN_KEYS: readonly string[] = [...FIELD_NAMES, ...Object.keys(ALIASES)];

function isCanonical(key: string): key is CanonicalField {
  return Object.hasOwn(FIELD_INFO, key);
}

function isAlias(key: string): key is AliasField {
  return Object.hasOwn(ALIASES, key);
}

function didYouMean(key: string): string {
  const guess = closest(key, KNOWN_KEYS);
  return guess === undefined ? '' : `; did you mean '${guess}'?`;
}

/** The error for an unknown key in a call. */
function unknownOption(key: string): LlamaError {
  if (Object.hasOwn(HF_UNSUPPORTED, key)) {
    return invalidArgument(`unsupported generation option '${key}': llama-generate does not implement ${HF_UNSUPPORTED[key]}`);
  }
  const foreign = foreignField(key);
  if (foreign !== undefined) return invalidArgument(foreignFieldMessage(key, foreign));
  return invalidArgument(`unknown generation option '${key}'${didYouMean(key)}`);
}

/** The warning for an unknown key in a generation_config.json. */
function ignoredKey(key: string, value: unknown, where: string): string {
  if (Object.hasOwn(HF_UNSUPPORTED, key)) {
    return `${where}: \`${key}\` (${show(value)}) is ignored: llama-generate does not implement ${HF_UNSUPPORTED[key]}`;
  }
  const foreign = foreignField(key);
  if (foreign !== undefined) return `${where}: \`${key}\` is ignored: ${foreignFieldMessage(key, foreign)}`;
  return `${where}: unknown key \`${key}\` is ignored${didYouMean(key)}`;
}

function validate(input: unknown, kind: LayerKind, where: string): ValidatedOptions {
  if (!isPlainObject(input)) {
    throw invalidArgument(`${kind === 'call' ? 'generation options' : where} must be an object, got ${show(input)}`);
  }
  const values: Partial<Record<CanonicalField, unknown>> = {};
  const writtenAs: Partial<Record<CanonicalField, string>> = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    // transformers' bookkeeping keys, in a file or a parsed generation_config.json passed to a call
    if (value === undefined || HF_METADATA_KEYS.has(key)) continue;
    const field = isAlias(key) ? ALIASES[key] : isCanonical(key) ? key : undefined;
    if (field === undefined) {
      if (kind === 'call') throw unknownOption(key);
      warnings.push(ignoredKey(key, value, where));
      continue;
    }
    if (kind === 'generation_config' && CALL_ONLY.has(field)) {
      throw invalidArgument(`${key} is not a generation_config.json option; pass it in the call`);
    }
    const normalized = value === null ? null : RULES[field](value, key);
    const previous = writtenAs[field];
    if (previous !== undefined && !sameValue(values[field], normalized)) {
      if (previous !== field && key !== field) {
        throw invalidArgument(`${previous} and ${key} (both ${field}) are both set, to ${show(values[field])} and ${show(normalized)}`);
      }
      const [canonical, alias] = previous === field ? [previous, key] : [key, previous];
      const [a, b] = previous === field ? [values[field], normalized] : [normalized, values[field]];
      throw invalidArgument(`${canonical} and its alias ${alias} are both set, to ${show(a)} and ${show(b)}`);
    }
    values[field] = normalized;
    writtenAs[field] = key;
  }
  return { values: values as LayerValues, warnings };
}

/**
 * Validates one layer of options and normalises its values. `where` names a
 * generation_config.json in messages; errors then end with "(in `where`)".
 */
export function validateOptions(input: unknown, kind: LayerKind, where = 'generation_config'): ValidatedOptions {
  try {
    return validate(input, kind, where);
  } catch (err) {
    if (kind === 'generation_config' && err instanceof LlamaError && !err.message.startsWith(where)) {
      throw new LlamaError(err.code, `${err.message} (in ${where})`);
    }
    throw err;
  }
}

/** "(the default)", "(from model)", ... for messages. */
function origin(sources: GenerationSources, field: CanonicalField): string {
  return sources[field] === 'default' ? 'the default' : `from ${sources[field]}`;
}

/**
 * Throws `INVALID_ARGUMENT` when merged values contradict each other
 * (transformers' validate() errors, plus llama-generate's own).
 */
export function checkConsistency(v: GenerationValues, sources: GenerationSources): void {
  if (v.grammar !== undefined && v.json_schema !== undefined) {
    throw invalidArgument('grammar and json_schema are both set; use one of them');
  }
  if (v.grammar_lazy) {
    if (v.grammar === undefined && v.json_schema === undefined) {
      throw invalidArgument('grammar_lazy needs grammar or json_schema');
    }
    if (!v.grammar_trigger_words?.length && !v.grammar_trigger_patterns?.length) {
      throw invalidArgument('grammar_lazy needs grammar_trigger_words or grammar_trigger_patterns');
    }
  }
  const groups = v.num_beam_groups;
  if (groups > 1) {
    if (v.num_beams % groups !== 0) {
      throw invalidArgument(`num_beam_groups (${groups}) must divide num_beams (${v.num_beams})`);
    }
    if (v.diversity_penalty === 0) {
      throw invalidArgument(`num_beam_groups (${groups}) > 1 needs diversity_penalty > 0, otherwise the groups are identical`);
    }
    if (v.do_sample) throw invalidArgument(`num_beam_groups (${groups}) > 1 (group beam search) needs do_sample: false`);
  } else if (v.diversity_penalty !== 0) {
    throw invalidArgument(`diversity_penalty (${v.diversity_penalty}) needs num_beam_groups > 1`);
  }
  const n = v.num_return_sequences;
  if (n > 1 && v.num_beams === 1 && !v.do_sample) {
    throw invalidArgument(`num_return_sequences (${n}) > 1 needs do_sample: true or num_beams > 1: greedy decoding would return identical sequences`);
  }
  if (v.num_beams > 1 && n > v.num_beams) {
    throw invalidArgument(`num_return_sequences (${n}) must not exceed num_beams (${v.num_beams})`);
  }
  if (v.force_words_ids !== undefined) {
    if (v.num_beams === 1) throw invalidArgument('force_words_ids (constrained beam search) needs num_beams > 1');
    if (v.do_sample) throw invalidArgument('force_words_ids (constrained beam search) needs do_sample: false');
    if (v.num_beam_groups > 1) throw invalidArgument('force_words_ids (constrained beam search) cannot be combined with num_beam_groups > 1');
  }
  if (v.min_new_tokens !== undefined && v.max_new_tokens !== undefined && v.min_new_tokens > v.max_new_tokens) {
    throw invalidArgument(`min_new_tokens (${v.min_new_tokens}) must not exceed max_new_tokens (${v.max_new_tokens})`);
  }
  if (v.mirostat !== 0 && !v.do_sample && sources.mirostat === 'call') {
    throw invalidArgument(`mirostat (${v.mirostat}) needs do_sample: true (do_sample is false, ${origin(sources, 'do_sample')})`);
  }
  if (v.temperature === 0 && v.do_sample) {
    throw invalidArgument(
      `temperature must be > 0 when do_sample is true (do_sample ${origin(sources, 'do_sample')}); for greedy decoding set do_sample: false`,
    );
  }
}
