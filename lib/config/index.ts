/**
 * Generation configuration: transformers' `GenerationConfig` fields with
 * their defaults and semantics, llama.cpp's sampler options, layering
 * (defaults < model < generation_config.json < call), validation and explain().
 */
export { ALIASES, SAMPLER_NAMES } from './fields';
export type {
  AliasField,
  CanonicalField,
  ConfigSource,
  DefaultedField,
  GenerationConfig,
  GenerationConfigInput,
  GenerationSources,
  GenerationValues,
  JsonSchema,
  ResponseFormat,
  LogitBias,
  LogitsProcessor,
  ModelSamplingMetadata,
  SamplerName,
  SequenceBias,
  SequenceBiasEntry,
} from './fields';
export { DEFAULTS, DEFAULT_SAMPLER_ORDER } from './defaults';
export { FIELD_INFO, FIELD_NAMES } from './meta';
export { VALUE_KINDS, VALUE_CHOICES } from './kinds';
export type { ValueKind } from './kinds';
export type { ExplainStage, FieldInfo, Semantics } from './meta';
export {
  assertImplemented,
  generationConfigLayer,
  isResolvedConfig,
  modelConfigLayer,
  resolveConfig,
} from './resolve';
export type { ConfigLayer, ResolvedGenerationConfig } from './resolve';
export type { LayerValues } from './validate';
export { explain } from './explain';
export { outlineSampling } from './chain';
export type { SamplingDrawKind, SamplingOutline, SamplingStageKind, UnreadFields } from './chain';
export type { ExplainRow } from './explain';
