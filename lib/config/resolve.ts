/**
 * Layering: library defaults < model (GGUF `general.sampling.*`) <
 * generation_config.json < call. Each layer is validated when it is built;
 * the merged values are checked for contradictions.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LlamaError, invalidArgument } from '../errors';
import { isPlainObject, show } from './checks';
import { defaultOf, isNonDefault } from './defaults';
import type { CanonicalField, ConfigSource, GenerationConfigInput, GenerationSources, GenerationValues, ModelSamplingMetadata, SamplerName } from './fields';
import { FIELD_INFO, FIELD_NAMES } from './meta';
import { RULES, samplerName } from './rules';
import { checkConsistency, validateOptions, type LayerValues } from './validate';
import { collectWarnings } from './warnings';

/** One validated layer of options; build one with {@link modelConfigLayer} or {@link generationConfigLayer}. */
export interface ConfigLayer {
  /** Which layer it is. */
  readonly source: Exclude<ConfigSource, 'default'>;
  /** Its validated, normalised values (`null`: reset to the default). */
  readonly values: LayerValues;
  /** Warnings found while building it (ignored keys, invalid model metadata). */
  readonly warnings: readonly string[];
}

/** The result of {@link resolveConfig}; frozen. */
export interface ResolvedGenerationConfig {
  /** Every canonical field, defaults filled. */
  readonly values: GenerationValues;
  /** The layer each value came from. */
  readonly sources: GenerationSources;
  /** Fields that do nothing, ignored keys, ignored model metadata. */
  readonly warnings: readonly string[];
}

const layers = new WeakSet<object>();
const resolvedConfigs = new WeakSet<object>();

function makeLayer(source: ConfigLayer['source'], values: LayerValues, warnings: string[]): ConfigLayer {
  const layer = Object.freeze({ source, values: Object.freeze(values), warnings: Object.freeze(warnings) });
  layers.add(layer);
  return layer;
}

/** GGUF `general.sampling.*` keys (llama.cpp's names) and the fields they set. */
const MODEL_KEYS: Readonly<Record<string, CanonicalField>> = {
  top_k: 'top_k',
  top_p: 'top_p',
  min_p: 'min_p',
  temp: 'temperature',
  xtc_probability: 'xtc_probability',
  xtc_threshold: 'xtc_threshold',
  penalty_last_n: 'penalty_last_n',
  penalty_repeat: 'repeat_penalty',
  mirostat: 'mirostat',
  mirostat_tau: 'mirostat_tau',
  mirostat_eta: 'mirostat_eta',
};

/** Maps llama.cpp's `sequence` string to sampler names, skipping unknown ones as llama.cpp does. */
function modelSequence(sequence: unknown, warnings: string[]): readonly SamplerName[] | undefined {
  if (typeof sequence !== 'string') {
    warnings.push(`model metadata general.sampling.sequence (${show(sequence)}) is not a string; ignored`);
    return undefined;
  }
  const names: SamplerName[] = [];
  for (const entry of sequence.split(';')) {
    const name = samplerName(entry);
    if (name === undefined) warnings.push(`model metadata general.sampling.sequence: unknown sampler ${show(entry)} skipped`);
    else if (!names.includes(name)) names.push(name);
  }
  return names.length > 0 ? Object.freeze(names) : undefined;
}

/**
 * The model layer (source `'model'`), from the GGUF `general.sampling.*`
 * values (`Model.samplingMetadata`): `top_k`, `top_p`, `min_p`, `temp` →
 * `temperature`, `xtc_probability`, `xtc_threshold`, `penalty_last_n`,
 * `penalty_repeat` → `repeat_penalty`, `mirostat`, `mirostat_tau`,
 * `mirostat_eta`, `sequence` → `samplers`.
 *
 * This metadata plays the role of a model's generation_config.json, which
 * normally says `do_sample: true`: when the model recommends any of
 * temp/top_k/top_p/min_p, the layer also sets `do_sample: true`. As in
 * llama.cpp, `temp` <= 0 means greedy (`do_sample: false`) and `top_k` <= 0
 * means no top-k (`top_k: 0`). Invalid values are skipped with a warning: a
 * model file should not make generation fail.
 */
export function modelConfigLayer(samplingMetadata: ModelSamplingMetadata): ConfigLayer {
  if (!isPlainObject(samplingMetadata)) throw invalidArgument(`samplingMetadata must be an object, got ${show(samplingMetadata)}`);
  const values: Partial<Record<CanonicalField, unknown>> = {};
  const warnings: string[] = [];
  let recommendsSampling = false;
  let greedy = false;
  for (const [key, raw] of Object.entries(samplingMetadata as Record<string, unknown>)) {
    if (raw === undefined) continue;
    if (key === 'sequence') {
      const samplers = modelSequence(raw, warnings);
      if (samplers !== undefined) values.samplers = samplers;
      continue;
    }
    const field = Object.hasOwn(MODEL_KEYS, key) ? MODEL_KEYS[key] : undefined;
    if (field === undefined) {
      warnings.push(`model metadata general.sampling.${key} is not a known sampling key; ignored`);
      continue;
    }
    if (field === 'temperature' && typeof raw === 'number' && raw <= 0) {
      greedy = true;
      continue;
    }
    const value = field === 'top_k' && typeof raw === 'number' && raw < 0 ? 0 : raw;
    try {
      values[field] = RULES[field](value, field);
    } catch (err) {
      if (!(err instanceof LlamaError)) throw err;
      warnings.push(`model metadata general.sampling.${key} (${show(raw)}) is ignored: ${err.message}`);
      continue;
    }
    if (['temperature', 'top_k', 'top_p', 'min_p'].includes(field)) recommendsSampling = true;
  }
  if (greedy || recommendsSampling) values.do_sample = !greedy;
  return makeLayer('model', values as LayerValues, warnings);
}

/** Largest generation_config.json read (real ones are under 2 KB). */
const MAX_GENERATION_CONFIG_BYTES = 1 << 20;

/** Reads and parses a generation_config.json (or the one in a directory). */
function readGenerationConfig(path: string): { data: unknown; file: string } {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'generation_config.json');
    // Never open what is not a regular file (a FIFO would block the JS thread), nor read a huge one.
    const info = statSync(file);
    if (!info.isFile()) throw invalidArgument(`generation_config ${file} is not a regular file`);
    if (info.size > MAX_GENERATION_CONFIG_BYTES) {
      throw invalidArgument(`generation_config ${file} is ${info.size} bytes; a generation_config.json is at most ${MAX_GENERATION_CONFIG_BYTES}`);
    }
    const text = readFileSync(file, 'utf8');
    try {
      return { data: JSON.parse(text) as unknown, file };
    } catch (err) {
      throw invalidArgument(`generation_config ${file} is not valid JSON: ${(err as Error).message}`);
    }
  } catch (err) {
    if (err instanceof LlamaError) throw err;
    throw invalidArgument(`generation_config ${file} cannot be read: ${(err as Error).message}`);
  }
}

/**
 * The generation_config.json layer (source `'generation_config'`): a path to
 * the file (or to the directory holding it), or its parsed content. Taken as
 * is: transformers' bookkeeping keys (`transformers_version`,
 * `_from_model_config`, ...) are ignored, other unknown keys give warnings,
 * invalid values throw `INVALID_ARGUMENT` naming the field and the file.
 */
export function generationConfigLayer(pathOrObject: string | Readonly<Record<string, unknown>>): ConfigLayer {
  let data: unknown = pathOrObject;
  let where = 'generation_config';
  if (typeof pathOrObject === 'string') {
    if (pathOrObject.length === 0) throw invalidArgument('generation_config path must be a non-empty string');
    const read = readGenerationConfig(pathOrObject);
    data = read.data;
    where = read.file;
  } else if (!isPlainObject(pathOrObject)) {
    throw invalidArgument(`generation_config must be a path or an object, got ${show(pathOrObject)}`);
  }
  const { values, warnings } = validateOptions(data, 'generation_config', where);
  return makeLayer('generation_config', values, warnings);
}

/** Whether `value` is a {@link ResolvedGenerationConfig} made by {@link resolveConfig}. */
export function isResolvedConfig(value: unknown): value is ResolvedGenerationConfig {
  return typeof value === 'object' && value !== null && resolvedConfigs.has(value);
}

/**
 * Merges layers over the library defaults; later layers win, an `undefined`
 * field does not override, `null` resets to the default (`top_k: null` → 0).
 * A plain object is a `'call'` layer (unknown keys are errors, with "did you
 * mean"). Throws `INVALID_ARGUMENT` for invalid values and contradictions.
 */
export function resolveConfig(...inputs: Array<ConfigLayer | GenerationConfigInput | undefined>): ResolvedGenerationConfig {
  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  const warnings: string[] = [];
  for (const field of FIELD_NAMES) {
    values[field] = defaultOf(field);
    sources[field] = 'default';
  }
  for (const input of inputs) {
    if (input === undefined) continue;
    const layer = typeof input === 'object' && input !== null && layers.has(input)
      ? (input as ConfigLayer)
      : makeLayer('call', validateOptions(input, 'call').values, []);
    for (const [field, value] of Object.entries(layer.values)) {
      values[field] = value !== null ? value : field === 'top_k' ? 0 : defaultOf(field);
      sources[field] = layer.source;
    }
    warnings.push(...layer.warnings);
  }
  const v = values as GenerationValues;
  const s = sources as GenerationSources;
  checkConsistency(v, s);
  const resolved: ResolvedGenerationConfig = Object.freeze({
    values: Object.freeze(v),
    sources: Object.freeze(s),
    warnings: Object.freeze([...new Set([...warnings, ...collectWarnings(v, s)])]),
  });
  resolvedConfigs.add(resolved);
  return resolved;
}

/**
 * Throws `NOT_IMPLEMENTED` naming the first field that asks for an accepted
 * but unimplemented feature (set to a non-default value): the early-exit
 * assistant (`assistant_early_exit`) and assisted decoding across tokenizers
 * (`assistant_lookbehind`, `target_lookbehind`). Beam search in all its
 * forms, prompt lookup and assisted decoding with a draft model are
 * implemented.
 */
export function assertImplemented(values: GenerationValues): void {
  if (!isPlainObject(values)) throw invalidArgument(`values must be the values of a resolved config, got ${show(values)}`);
  for (const field of FIELD_NAMES) {
    const info = FIELD_INFO[field];
    if (info.semantics !== 'not implemented' || !isNonDefault(field, values[field])) continue;
    throw new LlamaError('NOT_IMPLEMENTED', `${field} (${show(values[field])}): ${info.note} is not implemented`);
  }
}
