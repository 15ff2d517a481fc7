/**
 * Sampling: a generation config turned into a native sampler chain
 * (transformers' logits processors + llama.cpp's samplers), usable directly
 * to process logits or draw tokens.
 */
import { isResolvedConfig, resolveConfig, type GenerationConfigInput, type ResolvedGenerationConfig } from '../config';
import { argumentError, integer, optionsObject } from '../arguments';
import { invalidArgument } from '../errors';
import { jsonSchemaToGbnf } from '../grammar';
import type { Model } from '../model';
import { isModel, nativeModelOf } from '../modelHandle';
import { planChain, type PlanContext, type PlanValues } from './plan';
import { buildNativeSampler, Sampler } from './sampler';

export { Sampler } from './sampler';
export type { LogitsHook, SampleOptions } from './sampler';
export type { ChainPlan, DrawDescriptor, StageDescriptor } from './plan';

/** Options of {@link createSampler}. */
export interface CreateSamplerOptions {
  /** The model: its vocabulary (grammar, DRY, string logit_bias keys) and default EOS tokens. */
  model?: Model;
  /** Vocabulary size when there is no model. */
  vocabSize?: number;
  /** transformers' `input_ids`: the prompt followed by the tokens generated so far. */
  inputIds?: ArrayLike<number>;
  /** How many leading `inputIds` are prompt (default: all of them). */
  promptLength?: number;
}

/**
 * Builds the native sampler chain for `config` (resolved over the library
 * defaults unless already a {@link ResolvedGenerationConfig}).
 */
export function createSampler(config: GenerationConfigInput | ResolvedGenerationConfig = {}, options: CreateSamplerOptions = {}): Sampler {
  options = optionsObject(options, 'createSampler options', SAMPLER_KEYS);
  const { values } = isResolvedConfig(config) ? config : resolveConfig(config);
  const { model } = options;
  if (model !== undefined && !isModel(model)) throw invalidArgument('options.model must be a Model created by loadModel()');
  if (options.vocabSize !== undefined) integer(options.vocabSize, 'vocabSize', 1, 0x7fffffff);
  const vocabSize = model?.vocabSize ?? options.vocabSize;
  if (vocabSize === undefined) throw invalidArgument('createSampler needs a model or a positive integer vocabSize');
  const inputIds = tokenIds(options.inputIds === undefined ? [] : options.inputIds, 'inputIds');
  const promptLength = options.promptLength === undefined ? inputIds.length : options.promptLength;
  integer(promptLength, 'promptLength', 0, inputIds.length, 'the length of inputIds');
  const plan = planChain(values, planContext(values, vocabSize, model));
  const handle = buildNativeSampler(plan, model ? nativeModelOf(model) : null, inputIds, promptLength);
  return new Sampler(plan, handle, values.logits_processor ?? undefined);
}

const SAMPLER_KEYS: ReadonlyArray<keyof CreateSamplerOptions> = ['model', 'vocabSize', 'inputIds', 'promptLength'];
const ONE_SHOT_KEYS: ReadonlyArray<keyof OneShotOptions> = ['model', 'vocabSize', 'promptLength'];

/** `value` as token ids: an array-like of non-negative integers (a non-array is an error, not an empty list). */
function tokenIds(value: unknown, name: string): Int32Array {
  if (value instanceof Int32Array) return value.slice();
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) argumentError(name, 'be an array of token ids', value);
  const list = value as ArrayLike<unknown>;
  const out = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const id = list[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      argumentError(`${name}[${i}]`, 'be a token id (an integer >= 0)', id);
    }
    out[i] = id;
  }
  return out;
}

/** What {@link planChain} needs from the model: vocabulary size, EOG tokens, tokenizer, JSON-schema grammar. @internal */
export function planContext(values: PlanValues, vocabSize: number, model: Model | undefined): PlanContext {
  return {
    vocabSize,
    defaultEos: model ? [...model.eogTokens] : undefined,
    tokenize: model ? (text) => model.tokenize(text, { addSpecial: false }) : undefined,
    jsonSchemaGrammar: values.json_schema === undefined || values.json_schema === null ? undefined : jsonSchemaToGbnf(values.json_schema),
  };
}

/** Options of {@link processLogits} and {@link sample}. */
export type OneShotOptions = Omit<CreateSamplerOptions, 'inputIds'>;

/**
 * Applies the chain of `config` to `logits` given the sequence so far,
 * without the final draw: the scores transformers' processors would hand to
 * argmax or to the multinomial draw (removed tokens are `-Infinity`).
 */
export function processLogits(
  logits: Float32Array,
  inputIds: ArrayLike<number>,
  config: GenerationConfigInput | ResolvedGenerationConfig = {},
  options: OneShotOptions = {},
): Float32Array {
  return withSampler(logits, inputIds, config, options, (sampler) => sampler.process(logits));
}

/** Processes `logits` like {@link processLogits}, then draws one token (argmax when `do_sample` is false). */
export function sample(
  logits: Float32Array,
  inputIds: ArrayLike<number>,
  config: GenerationConfigInput | ResolvedGenerationConfig = {},
  options: OneShotOptions = {},
): number {
  return withSampler(logits, inputIds, config, options, (sampler) => sampler.sample(logits, { accept: false }));
}

/** Runs `use` on a sampler made for one call, then frees it. */
function withSampler<T>(
  logits: Float32Array,
  inputIds: ArrayLike<number>,
  config: GenerationConfigInput | ResolvedGenerationConfig,
  options: OneShotOptions,
  use: (sampler: Sampler) => T,
): T {
  if (!(logits instanceof Float32Array)) argumentError('logits', 'be a Float32Array', logits);
  options = optionsObject(options, 'options', ONE_SHOT_KEYS);
  if (inputIds === undefined || inputIds === null) argumentError('inputIds', 'be an array of token ids', inputIds);
  const sampler = createSampler(config, { vocabSize: logits.length, ...options, inputIds });
  try {
    return use(sampler);
  } finally {
    sampler.dispose();
  }
}
