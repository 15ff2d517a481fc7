/**
 * llama-generate: GGUF language models through llama.cpp in Node.js and Electron.
 *
 * ```ts
 * import { loadModel } from 'llama-generate';
 * const model = await loadModel('model.gguf');
 * const context = await model.createContext();
 * for await (const chunk of context.generate('Once upon a time', { max_new_tokens: 50 })) {
 *   process.stdout.write(chunk.text);
 * }
 * ```
 * @packageDocumentation
 */
export { loadModel, Model } from './model';
export type {
  LoadModelOptions,
  ModelSamplingMetadata,
  SpecialTokens,
  TokenizeOptions,
  DetokenizeOptions,
} from './model';
export { Context } from './context';
export type {
  ContextOptions,
  ContextStats,
  EvaluateOptions,
  KvCacheType,
  PositionRange,
  SequencePositions,
} from './context';
export type { Tokens } from './tokens';
export type {
  ContextPooling,
  EmbedInput,
  EmbedOptions,
  EmbeddingPooling,
  EmbeddingResult,
  RankOptions,
  RankResult,
  RankedDocument,
} from './embed/types';
export { Generation } from './generation/generation';
export type { ChatDocument, ChatPromptInfo, ChatRenderer, ChatTemplateOptions, ChatTool, ChatToolCall } from './chat/types';
export type { ToolCall, ToolCallFamily, ToolChoice } from './chat/tools/types';
export { toolCallFamily } from './chat/tools/families';
export type {
  ChatMessage,
  FinishReason,
  GenerateOptions,
  GenerationChunk,
  GenerationInput,
  GenerationOutput,
  GenerationResult,
  GenerationTimings,
  GenerationUsage,
  PromptProgress,
  SpeculativeStats,
  TokenLogprob,
} from './generation/types';
export type { JsonOfConfig, JsonSchemaToType } from './generation/jsonResult';
export { createServer, LlamaServer } from './server';
export type { OpenAIErrorBody, ServerAddress, ServerOptions, ServerStats } from './server';
export { physicalCoreCount } from './system';
export { LlamaError, ErrorCodes, isLlamaError } from './errors';
export type { ErrorCode } from './errors';
export { listDevices, systemInfo } from './devices';
export type { BackendModules, Device, SystemInfo } from './devices';
export type { BinaryLocation, BinarySource, GpuBackendName } from './binary/locate';
export { setLogLevel, setLogger } from './logging';
export type { LogLevel, Logger } from './logging';
export {
  resolveConfig,
  modelConfigLayer,
  generationConfigLayer,
  assertImplemented,
  explain,
  DEFAULTS,
  DEFAULT_SAMPLER_ORDER,
  SAMPLER_NAMES,
} from './config';
export type {
  GenerationConfig,
  GenerationConfigInput,
  GenerationValues,
  CanonicalField,
  DefaultedField,
  LayerValues,
  SequenceBias,
  SequenceBiasEntry,
  LogitBias,
  ExplainStage,
  Semantics,
  GenerationSources,
  ConfigSource,
  ConfigLayer,
  ResolvedGenerationConfig,
  ExplainRow,
  SamplerName,
  LogitsProcessor,
  JsonSchema,
  ResponseFormat,
} from './config';
export { clearGrammarCache, grammarCacheStats, jsonSchemaToGbnf } from './grammar';
export type { GrammarCacheEntry, JsonSchemaToGbnfOptions } from './grammar';
export { createSampler, processLogits, sample, Sampler } from './sampling';
export type { CreateSamplerOptions, OneShotOptions, LogitsHook, SampleOptions, ChainPlan, DrawDescriptor, StageDescriptor } from './sampling';
export { readGgufHeader } from './gguf/reader';
export type { ReadGgufHeaderOptions } from './gguf/reader';
export type { GgufHeader, GgufValue, GgufValueTypeInfo, GgufTensorInfo } from './gguf/types';
