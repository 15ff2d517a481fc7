/**
 * The only module that loads the `.node` addon, and the TypeScript shape of
 * what it exports. Everything here is internal: the public API wraps it.
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBinaryLocation, locateBinary, backendModuleFile, type BinaryLocation } from './binary/locate';
import { LlamaError } from './errors';

/** Model load options as the native layer takes them (already validated). */
export interface NativeLoadOptions {
  gpuLayers?: number;
  /** ggml device names to place layers on. */
  devices?: string[];
  useMmap?: boolean;
  useMlock?: boolean;
  vocabOnly?: boolean;
}

/** A native operation that can be cancelled. */
export interface NativeAbortable<T> {
  promise: Promise<T>;
  abort(): void;
}

export interface NativeModelInfo {
  description: string;
  architecture: string | null;
  name: string | null;
  trainContextSize: number;
  embeddingSize: number;
  layerCount: number;
  headCount: number;
  headCountKv: number;
  vocabSize: number;
  vocabType: string;
  parameterCount: number;
  sizeBytes: number;
  hasEncoder: boolean;
  hasDecoder: boolean;
  isRecurrent: boolean;
  /** `llama_model_rope_type()`: -1 none, 0 norm, 2 neox, 8 mrope, 24 vision, 40 imrope. */
  ropeType: number;
  addBos: boolean;
  addEos: boolean;
  chatTemplate: string | null;
  eogTokens: Int32Array;
  specialTokens: Record<'bos' | 'eos' | 'eot' | 'sep' | 'nl' | 'pad' | 'fimPrefix' | 'fimSuffix' | 'fimMiddle', number | null>;
  samplingMetadata: Record<string, string>;
}

export interface NativeContextOptions {
  contextSize: number;
  batchSize: number;
  ubatchSize: number;
  sequences: number;
  threads: number;
  threadsBatch: number;
  threadPoll: number;
  flashAttention: 'auto' | 'enabled' | 'disabled';
  typeK: string;
  typeV: string;
  unifiedKvCache: boolean;
}

export interface NativeContextInfo {
  contextSize: number;
  sequenceContextSize: number;
  batchSize: number;
  ubatchSize: number;
  sequences: number;
  vocabSize: number;
  unifiedKvCache: boolean;
  threads: number;
  threadsBatch: number;
  /** llama.cpp's pooling of the context: the GGUF's, 'none' when it declares none. */
  pooling: 'none' | 'mean' | 'cls' | 'last' | 'rank';
}

/** What embed() resolves with: the vectors one after the other. */
export interface NativeEmbedding {
  data: Float32Array;
  dimension: number;
}

/** llama.cpp's performance counters of a context (`llama_perf_context`). */
export interface NativeContextStats {
  /** Prompt tokens evaluated (batches of more than one token). */
  promptTokens: number;
  /** Time spent evaluating them, in milliseconds. */
  promptMs: number;
  /** Tokens evaluated one at a time (generation steps). */
  evalTokens: number;
  /** Time spent evaluating them, in milliseconds. */
  evalMs: number;
  /** From the context's creation to its first evaluation, in milliseconds. */
  loadMs: number;
  /** Evaluations that reused the previous compute graph instead of building one. */
  graphsReused: number;
}

export interface NativeModel {
  info(): NativeModelInfo;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array | number[], removeSpecial: boolean, unparseSpecial: boolean): string;
  tokenToPiece(token: number, special: boolean): Buffer;
  isEog(token: number): boolean;
  createContext(options: NativeContextOptions): Promise<NativeContext>;
  dispose(): void;
  isDisposed(): boolean;
}

export interface NativeContext {
  info(): NativeContextInfo;
  evaluate(tokens: Int32Array | number[], sequence: number, logits: 'none' | 'last' | 'all'): NativeAbortable<Float32Array>;
  /** Empties every sequence, off the JS thread (zeroing a large cache takes a while). */
  clearAll(): Promise<void>;
  clearSequence(sequence: number): void;
  removeTokens(sequence: number, start: number, end: number | undefined): void;
  copySequence(source: number, destination: number, start: number | undefined, end: number | undefined): void;
  keepSequence(sequence: number): void;
  shiftPositions(sequence: number, start: number | undefined, end: number | undefined, delta: number): void;
  sequencePositions(sequence: number): { min: number; max: number } | null;
  saveState(sequence: number | undefined, path: string | undefined, tokens: Int32Array | number[] | undefined): Promise<Buffer | undefined>;
  loadState(sequence: number | undefined, source: string | Buffer): Promise<Int32Array | undefined>;
  stats(): NativeContextStats;
  generate(request: NativeGenerateRequest, onReadable: () => void): NativeGeneration;
  embed(inputs: Int32Array[], pooling: 'mean' | 'cls' | 'last' | 'rank', normalize: boolean): NativeAbortable<NativeEmbedding>;
  dispose(): void;
  isDisposed(): boolean;
}

export interface NativeDevice {
  name: string;
  description: string;
  backend: string;
  type: 'cpu' | 'gpu' | 'igpu' | 'accel' | 'other';
  memoryFree: number;
  memoryTotal: number;
}

/** The ggml backend modules loaded from the binary directory (native/BackendModules.h). */
export interface NativeModuleReport {
  /** The binary directory. */
  dir: string;
  /** The CPU module ggml chose for this CPU, e.g. `skylakex`, `haswell`, `x64` ('' for a single-variant build). */
  cpuVariant: string;
  /** What that CPU module was built with and the CPU has, as ggml reports it (e.g. `AVX512: '1'`). */
  cpuFeatures: Record<string, string>;
  /** Backends registered: name, the file, and how many devices each offers. */
  loaded: Array<{ backend: string; path: string; devices: number }>;
  /** Backend modules that are there but did not load (a missing GPU driver, typically), with the reason. */
  failed: Array<{ path: string; reason: string }>;
  /**
   * CPU variants passed over by default although the CPU has their features:
   * the AMX one (`sapphirerapids`), whose kernels crash on some Intel VMs;
   * `LLAMA_GENERATE_CPU_VARIANT=<variant>` uses a given variant instead.
   */
  skipped: Array<{ path: string; reason: string }>;
}

/** What the loaded llama.cpp build supports. */
export interface NativeSystemInfo {
  /** llama.cpp's version string (`llama_version()`). */
  llamaCppBuild: string;
  /** llama.cpp's system info line: the CPU features and backends compiled in (`llama_print_system_info()`). */
  system: string;
  /** Whether a GPU backend is available to offload layers to. */
  supportsGpuOffload: boolean;
  /** Whether weights can be memory-mapped (`useMmap`). */
  supportsMmap: boolean;
  /** Whether weights can be locked in RAM (`useMlock`). */
  supportsMlock: boolean;
  /** Most sequences a context may have (`llama_max_parallel_sequences()`). */
  maxSequences: number;
  /** The backend modules loaded (absent before the addon's backends are loaded). */
  modules?: NativeModuleReport;
}

/** A sampler chain (native/Sampler.cc). */
/** One generate() call as native/Generation.cc parses it. */
export interface NativeGenerateRequest {
  prompt: Int32Array | number[];
  /** Leading prompt tokens already cached in outputs[0].sequence. */
  keep: number;
  outputs: Array<{ sequence: number; plan: object }>;
  eos: Int32Array | number[];
  stopStrings: string[];
  includeStopString: boolean;
  maxNewTokens: number;
  maxTimeMs?: number;
  topLogprobs: number;
  outputScores: boolean;
  outputLogits: boolean;
  useCache: boolean;
  contextShiftKeep: number;
  queueCapacity: number;
  /** Microseconds between announcements to a streaming reader after the first (0: every step). */
  chunkIntervalUs: number;
  special: boolean;
  /** Beam search (num_beams > 1): `outputs` are then its lanes, one per beam. */
  beam?: NativeBeamRequest;
  /** Speculative decoding: one drafter per output (native/SpeculativeRequest.cc). */
  speculative?: NativeSpeculativeRequest;
}

/** Speculative decoding as native/SpeculativeRequest.cc parses it. */
export type NativeSpeculativeRequest =
  | { kind: 'lookup'; numTokens: number; maxNgram: number }
  | { kind: 'draft'; context: NativeContext; numTokens: number; schedule: 'constant' | 'heuristic'; confidence: number };

/** An output's speculation counts (native/generation/speculative/Drafter.h Stats). */
export interface NativeSpeculativeStats {
  drafted: number;
  accepted: number;
  steps: number;
  limit: number;
}

/** What a beam search runs with (native/generation/beam/BeamConfig.h). */
export interface NativeBeamRequest {
  numBeams: number;
  groups: number;
  numReturnSequences: number;
  lengthPenalty: number;
  earlyStopping: 'true' | 'false' | 'never';
  doSample: boolean;
  seed: number;
  /** force_words_ids: phrases (token ids) and disjunctions (lists of token ids). */
  constraints?: ReadonlyArray<readonly number[] | ReadonlyArray<readonly number[]>>;
}

export interface NativeTokenLogprob {
  token: number;
  logprob: number;
  top: Array<{ token: number; logprob: number }>;
}

export interface NativeChunk {
  index: number;
  /** A fresh array per read: the JS side keeps it. */
  tokens: number[];
  text: string;
  logprobs?: NativeTokenLogprob[];
  scores?: Float32Array[];
  logits?: Float32Array[];
}

export interface NativeOutputEnd {
  index: number;
  finishReason: 'eos' | 'stop_string' | 'length' | 'max_time' | 'abort' | 'error';
  stopString?: string;
  /** Tokens (prompt + generated) the sequence now holds from position 0, or -1 when unknown. */
  cachedTokens: number;
  /** Beam search: transformers' sequences_scores entry. */
  score?: number;
  /** Speculative decoding: what the drafts did. */
  speculative?: NativeSpeculativeStats;
}

export interface NativeDelivery {
  chunks: NativeChunk[];
  ends: NativeOutputEnd[];
  progress?: { evaluated: number; total: number };
  finish?: { error?: Error; promptTokens: number; cachedPromptTokens: number; promptMs: number; generationMs: number };
}

export interface NativeGeneration {
  read(): NativeDelivery | null;
  abort(): void;
  ref(): void;
  unref(): void;
  /** false: announce chunks only when the queue is full or the job ends (a reader of the result only). */
  setStreaming(streaming: boolean): void;
}

export interface NativeSampler {
  apply(scores: Float32Array, from: number, to: number): Float32Array;
  pick(scores: Float32Array): number;
  sample(logits: Float32Array, accept: boolean): number;
  accept(token: number): void;
  reset(): void;
  history(): Int32Array;
  stageCount(): number;
  dispose(): void;
}

/** One compiled grammar in the grammar engine's cache (public as `GrammarCacheEntry`). */
export interface NativeGrammarCacheEntry {
  /** The vocabulary it was compiled for (its size). */
  vocabSize: number;
  /** The start rule (`root`). */
  root: string;
  /** Length of the grammar text in bytes. */
  textBytes: number;
  /** Chains that used it (the first included). */
  uses: number;
  /** Milliseconds the compile took (the per-position token sets; the vocabulary trie apart). */
  compileMs: number;
  /** Milliseconds building the vocabulary's trie (once per model, shared by its grammars). */
  trieMs: number;
  /** Grammar positions (terminals) a parser stack can stop at. */
  positions: number;
  /** Positions compiled up front; the rest are compiled when first reached. */
  eager: number;
  /** Positions compiled since, at first use. */
  lazy: number;
  /** Vocabulary-trie nodes all compile walks visited. */
  visits: number;
  /** Subtrees of the trie whose tokens depend on the stack below, checked at run time. */
  dependentNodes: number;
  /** Positions too ambiguous to precompile within their budget: steps there use llama.cpp's own evaluation. */
  fallback: number;
  /** Approximate memory held. */
  bytes: number;
}

export interface NativeAddon {
  setErrorClass(errorClass: typeof LlamaError): void;
  setLogLevel(level: number): void;
  setLogCallback(callback: ((level: string, text: string) => void) | null): void;
  /** Loads ggml's backend modules once per process: the best CPU variant of `dir`, its GPU modules, then `extraModules`. */
  loadBackends(dir: string, extraModules: string[]): NativeModuleReport;
  systemInfo(): NativeSystemInfo;
  listDevices(): NativeDevice[];
  loadModel(path: string, options: NativeLoadOptions, onProgress?: (progress: number) => void): NativeAbortable<NativeModel>;
  /** Process-wide counts of live llama.cpp models and contexts (diagnostics and leak tests). */
  liveObjects(): { models: number; contexts: number };
  /** ns per token of our chain for `plan` (bench/sampler.ts). */
  benchmarkSampler(plan: object, model: object | null, logits: Float32Array, tokens: number, resetEvery: number): number;
  /** ns per token of llama.cpp's own chain for an equivalent spec (bench/sampler.ts). */
  benchmarkLlamaChain(spec: object, model: object | null, logits: Float32Array, tokens: number, resetEvery: number): number;
  /** The grammar engine's compiled grammars (native/grammar/GrammarCache). */
  grammarCacheStats(): NativeGrammarCacheEntry[];
  /** Empties the grammar engine's caches (grammars in use keep theirs). */
  grammarCacheClear(): void;
  /** The stage and draw kinds the native chain factory builds, sorted (lib/sampling/stages.ts is the other side). */
  stageKinds(): { stages: string[]; draws: string[] };
  applyChatTemplate(template: string, messages: ReadonlyArray<{ role: string; content: string }>, addGenerationPrompt: boolean): string;
  NativeSampler: new (plan: object, model: object | null, inputIds: Int32Array, promptLength: number) => NativeSampler;
}

let addon: NativeAddon | undefined;
let location: BinaryLocation | undefined;
let requestedBinding: string | undefined;

/** The package root, where the local build (build/Release) and prebuilds/ are. */
const packageRoot = path.join(__dirname, '..');

function resolvePackage(name: string): string | null {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [packageRoot] }));
  } catch {
    return null;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function loadFailure(detail: string, cause?: unknown): LlamaError {
  return new LlamaError(
    'BACKEND_UNAVAILABLE',
    [
      `could not load the llama-generate native addon for ${process.platform}-${process.arch}: ${detail}`,
      'Possible fixes:',
      `  1. install the prebuilt binary: npm install @llama-generate/${process.platform}-${process.arch} (an optional dependency`,
      '     of llama-generate; installs that omit optional dependencies skip it)',
      '  2. build from source: npm rebuild llama-generate (needs cmake and a C++17 compiler)',
      '  3. use your own build: set LLAMA_GENERATE_BINARY (or the nativeBinding option) to its llama_generate.node',
      '  4. in Electron, unpack the native files from the asar archive (asarUnpack: ["**/node_modules/llama-generate/**", "**/node_modules/@llama-generate/**"])',
    ].join('\n'),
    { cause },
  );
}

/**
 * Names the addon to load instead of searching (better-sqlite3's
 * `nativeBinding`): a `.node` file or a binary directory. Only possible before
 * the addon is loaded; naming another file afterwards is an error.
 * @internal
 */
export function useNativeBinding(binding: string): void {
  if (addon) {
    const wanted = path.resolve(binding);
    if (location && (wanted === location.addon || wanted === location.dir)) return;
    throw new LlamaError(
      'INVALID_ARGUMENT',
      `nativeBinding: the native addon is already loaded from ${location?.addon ?? 'another file'}; a process loads one addon, so set nativeBinding on the first loadModel()`,
    );
  }
  requestedBinding = binding;
}

/** Where the loaded addon came from (undefined before it is loaded). @internal */
export function nativeLocation(): BinaryLocation | undefined {
  return location;
}

/** Loads the addon once per JS environment (main thread or worker), then ggml's backend modules once per process. */
export function native(): NativeAddon {
  if (addon) return addon;
  const found = locateBinary({
    packageRoot,
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    explicit: requestedBinding,
    isFile,
    resolvePackage,
  });
  if (!isBinaryLocation(found)) {
    throw loadFailure(found.explicitError ?? `no binary found; looked for:\n    ${found.searched.join('\n    ')}`);
  }
  let loaded: NativeAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(found.addon) as NativeAddon;
  } catch (cause) {
    throw loadFailure(`${found.addon} (${found.source}) did not load: ${(cause as Error).message}`, cause);
  }
  loaded.setErrorClass(LlamaError);
  const extra = found.gpuPackages.map((p) => path.join(p.dir, backendModuleFile(process.platform, p.backend)));
  loaded.loadBackends(found.dir, extra);
  location = found;
  addon = loaded;
  return loaded;
}
