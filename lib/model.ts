/** Loading a GGUF model and using its tokenizer. */
import { runAbortable } from './abort';
import { argumentError, nativeHandle, optionalBoolean, optionalFunction, optionsObject } from './arguments';
import { isResolvedConfig, modelConfigLayer, resolveConfig, type GenerationConfigInput, type ModelSamplingMetadata, type ResolvedGenerationConfig } from './config';

export type { ModelSamplingMetadata } from './config';
import { Context, resolveContextOptions, type ContextOptions } from './context';
import { applyChatTemplate } from './generation/prompt';
import type { ChatTemplateOptions } from './chat/types';
import type { ChatMessage, GenerateOptions, GenerationInput, GenerationResult } from './generation/types';
import { LlamaError, invalidArgument, withCallSite } from './errors';
import { readGgufHeader } from './gguf/reader';
import { validateForLlama, validateLoaded } from './gguf/validate';
import type { GgufHeader, GgufValue } from './gguf/types';
import { stat } from 'node:fs/promises';
import type { Device } from './devices';
import { fitGpuLayers, selectDevices } from './gpuLayers';
import { registerModel } from './modelHandle';
import { native, useNativeBinding, type NativeModel, type NativeModelInfo } from './native';
import { toTokenArray, type Tokens } from './tokens';
import { embeddingContextOptions } from './embed/contextOptions';
import type { EmbedInput, EmbedOptions, EmbeddingResult, RankOptions, RankResult } from './embed/types';

/** @internal */
export { nativeModelOf } from './modelHandle';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Layers to offload to the GPU: `'auto'` (default) as many as fit in the
   * free memory of the GPUs (all when the model fits, leaving room for the
   * KV cache and compute buffers; 0 without a GPU), `'max'` or `-1` for all,
   * `0` for CPU only, or a count. See docs/building.md for GPU backends.
   */
  gpuLayers?: number | 'max' | 'auto';
  /**
   * GPU devices to place layers on, by name as {@link listDevices} reports
   * them (e.g. `['CUDA0']`, `['Vulkan1']`, case-insensitive); default: every
   * GPU llama.cpp finds. A name that is not a GPU device is an INVALID_ARGUMENT.
   */
  devices?: readonly string[];
  /**
   * The native addon to use instead of the installed one: a
   * `llama_generate.node` file or a directory holding it with its libraries
   * (your own build of llama.cpp and the addon; same as the
   * `LLAMA_GENERATE_BINARY` environment variable). A process loads one addon:
   * only the first `loadModel` (or other call that needs the addon) can set it.
   */
  nativeBinding?: string;
  /** Memory-map the file (default: llama.cpp decides, normally yes). */
  useMmap?: boolean;
  /** Lock the weights in RAM so the OS cannot swap them out (default `false`). */
  useMlock?: boolean;
  /** Load only the vocabulary: tokenizer works, contexts cannot be created (default `false`). */
  vocabOnly?: boolean;
  /** Called with the load progress, 0 to 1. */
  onProgress?: (progress: number) => void;
  /** Cancels the load; the promise then rejects with code `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * Special token ids of a model, `null` where the model has none: `bos`,
 * `eos`, `eot` (end of turn), `sep`, `nl` (newline), `pad`, and the
 * fill-in-the-middle tokens `fimPrefix`, `fimSuffix`, `fimMiddle`.
 */
export type SpecialTokens = Readonly<NativeModelInfo['specialTokens']>;


/** Options of {@link Model.tokenize}. */
export interface TokenizeOptions {
  /** Add the model's BOS/EOS tokens as its vocabulary says (default `true`). */
  addSpecial?: boolean;
  /** Parse special-token text such as `<s>` into special tokens (default `false`). */
  parseSpecial?: boolean;
}

/** Options of {@link Model.detokenize}. */
export interface DetokenizeOptions {
  /** Drop the BOS/EOS tokens the tokenizer would add (default `false`). */
  removeSpecial?: boolean;
  /** Render special/control tokens as their text (default `false`: they render as nothing). */
  unparseSpecial?: boolean;
}

const LOAD_MODEL_KEYS: ReadonlyArray<keyof LoadModelOptions> = ['gpuLayers', 'devices', 'nativeBinding', 'useMmap', 'useMlock', 'vocabOnly', 'onProgress', 'signal'];
const TOKENIZE_KEYS: ReadonlyArray<keyof TokenizeOptions> = ['addSpecial', 'parseSpecial'];
const DETOKENIZE_KEYS: ReadonlyArray<keyof DetokenizeOptions> = ['removeSpecial', 'unparseSpecial'];

/** `gpuLayers: 'auto'`: the layers that fit on the chosen (or all) GPUs; 0 without one. */
async function autoGpuLayers(header: GgufHeader, path: string, chosen: Device[] | undefined): Promise<number> {
  const devices = chosen ?? selectDevices(native().listDevices(), undefined);
  if (devices.length === 0) return 0;
  const arch = header.metadata['general.architecture'];
  const blocks = typeof arch === 'string' ? header.metadata[`${arch}.block_count`] : undefined;
  const { size } = await stat(path);
  return fitGpuLayers({ fileBytes: size, layerCount: typeof blocks === 'number' ? blocks : Number(blocks ?? 0), devices });
}

/**
 * Loads a GGUF model from `path` on a worker thread (the event loop keeps
 * running). Rejects with `MODEL_NOT_FOUND`, `INVALID_MODEL`, `OUT_OF_MEMORY`,
 * `INVALID_ARGUMENT` or `ABORTED`.
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  if (typeof path !== 'string' || path.length === 0) argumentError('path', 'be a non-empty string', path);
  options = optionsObject(options, 'loadModel options', LOAD_MODEL_KEYS);
  const onProgress = optionalFunction<(progress: number) => void>(options.onProgress, 'onProgress');
  const { signal } = options;
  const requested = options.gpuLayers === undefined ? 'auto' : options.gpuLayers;
  if (requested !== 'auto' && requested !== 'max' && (typeof requested !== 'number' || !Number.isInteger(requested) || requested < -1)) {
    argumentError('gpuLayers', "be 'auto', 'max', -1 or a non-negative integer", options.gpuLayers);
  }
  if (options.devices !== undefined && (!Array.isArray(options.devices) || options.devices.some((d) => typeof d !== 'string'))) {
    argumentError('devices', 'be an array of device names', options.devices);
  }
  optionalBoolean(options.useMmap, 'useMmap');
  optionalBoolean(options.useMlock, 'useMlock');
  optionalBoolean(options.vocabOnly, 'vocabOnly');
  if (options.nativeBinding !== undefined) {
    if (typeof options.nativeBinding !== 'string' || options.nativeBinding === '') {
      throw invalidArgument('nativeBinding must be the path of a llama_generate.node file or of its directory');
    }
    useNativeBinding(options.nativeBinding);
  }
  return withCallSite(async () => {
    // The header is read and checked first: llama.cpp asserts (aborting the
    // process) on some malformed files it does not check itself.
    const header = await readModelHeader(path);
    validateForLlama(header, path);
    const devices = options.devices === undefined ? undefined : selectDevices(native().listDevices(), options.devices);
    const nativeOptions = {
      gpuLayers: requested === 'auto' ? await autoGpuLayers(header, path, devices) : requested === 'max' ? -1 : requested,
      devices: devices?.map((d) => d.name),
      useMmap: options.useMmap,
      useMlock: options.useMlock,
      vocabOnly: options.vocabOnly,
    };
    const handle = await runAbortable(
      () => native().loadModel(path, nativeOptions, onProgress),
      signal,
      'model load',
    );
    try {
      validateLoaded(header, handle.info().ropeType, path);
    } catch (err) {
      handle.dispose();
      throw err;
    }
    return new Model(path, handle, header.metadata, options.vocabOnly === true);
  });
}

/** The GGUF header of a model file; a path that is not a regular file is MODEL_NOT_FOUND, as llama.cpp's loader says. */
async function readModelHeader(path: string): Promise<GgufHeader> {
  try {
    return await readGgufHeader(path);
  } catch (err) {
    if (err instanceof LlamaError && err.code === 'INVALID_ARGUMENT') throw new LlamaError('MODEL_NOT_FOUND', `model file not found: ${err.message}`, { cause: err });
    throw err;
  }
}

/** A loaded model: its description, its tokenizer, and a factory of contexts. */
export class Model {
  /** Path the model was loaded from. */
  readonly path: string;
  /** Every GGUF metadata key/value of the file, typed (64-bit integers beyond 2^53 as bigint). */
  readonly metadata: Readonly<Record<string, GgufValue>>;
  /** `general.architecture`, e.g. `llama`. */
  readonly architecture: string;
  /** `general.name`, when the file has one. */
  readonly name: string | undefined;
  /** llama.cpp's one-line description (type, size, quantisation). */
  readonly description: string;
  /** Context length the model was trained with. */
  readonly trainContextSize: number;
  /** Number of tokens in the vocabulary; valid ids are `0 .. vocabSize - 1`. */
  readonly vocabSize: number;
  /** Tokenizer family: `spm`, `bpe`, `wpm`, `ugm`, `rwkv`... */
  readonly vocabType: string;
  /** Hidden size. */
  readonly embeddingSize: number;
  /** Number of layers. */
  readonly layerCount: number;
  /** Number of parameters. */
  readonly parameterCount: number;
  /** Size of the weights in bytes. */
  readonly sizeBytes: number;
  /** BOS/EOS/EOT/PAD/... ids. */
  readonly specialTokens: SpecialTokens;
  /** Whether tokenize() adds BOS / EOS by default for this vocabulary. */
  readonly addsBos: boolean;
  /** See {@link Model.addsBos}. */
  readonly addsEos: boolean;
  /** The chat template (Jinja) stored in the file, if any. */
  readonly chatTemplate: string | undefined;
  /** Every end-of-generation token of the vocabulary (EOS, EOT, `<|im_end|>`...): where generation stops by default. */
  readonly eogTokens: readonly number[];
  /** Recommended sampling settings from `general.sampling.*`. */
  readonly samplingMetadata: Readonly<ModelSamplingMetadata>;
  /** Loaded with `vocabOnly`: tokenizer only. */
  readonly vocabOnly: boolean;

  readonly #native: NativeModel;
  readonly #contexts = new Set<Context>();

  /**
   * Not for direct use: models come from {@link loadModel}.
   * @hidden
   */
  constructor(path: string, handle: NativeModel, metadata: Record<string, GgufValue>, vocabOnly: boolean) {
    nativeHandle<NativeModel>(handle, ['info', 'tokenize', 'dispose', 'isDisposed'], 'models come from loadModel()');
    const info = handle.info();
    this.path = path;
    this.#native = handle;
    registerModel(this, handle);
    this.metadata = Object.freeze(metadata);
    this.architecture = info.architecture ?? 'unknown';
    this.name = info.name ?? undefined;
    this.description = info.description;
    this.trainContextSize = info.trainContextSize;
    this.vocabSize = info.vocabSize;
    this.vocabType = info.vocabType;
    this.embeddingSize = info.embeddingSize;
    this.layerCount = info.layerCount;
    this.parameterCount = info.parameterCount;
    this.sizeBytes = info.sizeBytes;
    this.specialTokens = Object.freeze({ ...info.specialTokens });
    this.addsBos = info.addBos;
    this.addsEos = info.addEos;
    this.chatTemplate = info.chatTemplate ?? undefined;
    this.eogTokens = Object.freeze([...info.eogTokens]);
    this.samplingMetadata = Object.freeze(parseSamplingMetadata(info.samplingMetadata));
    this.vocabOnly = vocabOnly;
  }

  /** Whether {@link Model.dispose} has been called. */
  get disposed(): boolean {
    return this.#native.isDisposed();
  }

  /** Turns text into token ids. */
  tokenize(text: string, options: TokenizeOptions = {}): Int32Array {
    if (typeof text !== 'string') argumentError('text', 'be a string', text);
    const { addSpecial, parseSpecial } = optionsObject(options, 'tokenize options', TOKENIZE_KEYS);
    return this.#native.tokenize(text, optionalBoolean(addSpecial, 'addSpecial') ?? true, optionalBoolean(parseSpecial, 'parseSpecial') ?? false);
  }

  /** Turns token ids back into text (invalid UTF-8 at the edges becomes U+FFFD). */
  detokenize(tokens: Tokens, options: DetokenizeOptions = {}): string {
    const { removeSpecial, unparseSpecial } = optionsObject(options, 'detokenize options', DETOKENIZE_KEYS);
    const ids = toTokenArray(tokens);
    return this.#native.detokenize(ids, optionalBoolean(removeSpecial, 'removeSpecial') ?? false, optionalBoolean(unparseSpecial, 'unparseSpecial') ?? false);
  }

  /**
   * The raw bytes of one token. A token can hold part of a multi-byte UTF-8
   * character, so this returns bytes, not a string; use a `TextDecoder` with
   * `{ stream: true }` to join pieces.
   * @param options.special - render special/control tokens as their text (default `false`)
   */
  tokenToPiece(token: number, options: { special?: boolean } = {}): Uint8Array {
    const { special } = optionsObject(options, 'tokenToPiece options', ['special']);
    return this.#native.tokenToPiece(tokenArgument(token), optionalBoolean(special, 'special') ?? false);
  }

  /** Whether `token` ends generation (EOS, EOT and the like). */
  isEog(token: number): boolean {
    return this.#native.isEog(tokenArgument(token));
  }

  /**
   * Creates an inference context (KV cache + compute buffers) for this model.
   * Rejects with `INVALID_ARGUMENT`, `OUT_OF_MEMORY`, `UNSUPPORTED` (vocab-only model) or `DISPOSED`.
   */
  async createContext(options: ContextOptions = {}): Promise<Context> {
    if (this.disposed) throw new LlamaError('DISPOSED', 'the model has been disposed');
    const resolved = resolveContextOptions(options, this.trainContextSize, this.parameterCount);
    return withCallSite(async () => {
      const handle = await this.#native.createContext(resolved);
      if (this.disposed) {
        handle.dispose();
        throw new LlamaError('DISPOSED', 'the model was disposed while the context was being created');
      }
      const context = new Context(this, handle, resolved, () => this.#contexts.delete(context));
      this.#contexts.add(context);
      return context;
    });
  }

  /**
   * One-shot generation: creates a context (`options.context`, with enough
   * sequences for `num_return_sequences`), generates, disposes the context,
   * and resolves with the result. For several calls, create a context once
   * and use {@link Context.generate}: it reuses the cached prompt prefix.
   */
  async generateText(
    input: GenerationInput,
    config: GenerationConfigInput | ResolvedGenerationConfig = {},
    options: GenerateOptions & { context?: ContextOptions } = {},
  ): Promise<GenerationResult> {
    const { context: contextOptions, ...generateOptions } = optionsObject(options, 'generateText options');
    // the config is resolved here (it is validated once, and decides the number of sequences)
    const resolved = isResolvedConfig(config) ? config : resolveConfig(modelConfigLayer(this.samplingMetadata), config);
    const n = resolved.values.num_return_sequences;
    const context = await this.createContext({ sequences: n, ...optionsObject(contextOptions, 'context') });
    try {
      return await context.generate(input, resolved, generateOptions).result;
    } finally {
      context.dispose();
    }
  }

  /**
   * One-shot embeddings: creates a context sized for the inputs
   * (`options.context` overrides it), runs {@link Context.embed}, disposes the
   * context. For many calls, create a context once and use
   * {@link Context.embed}.
   */
  async embed(input: EmbedInput, options: EmbedOptions & { context?: ContextOptions } = {}): Promise<EmbeddingResult> {
    const { context: contextOptions, ...embedOptions } = optionsObject(options, 'embed options');
    const count = typeof input === 'string' ? 1 : Array.isArray(input) ? input.length : 1;
    const context = await this.createContext(embeddingContextOptions(this, count, optionsObject(contextOptions, 'context')));
    try {
      return await context.embed(input, embedOptions);
    } finally {
      context.dispose();
    }
  }

  /**
   * One-shot reranking with a reranker GGUF: creates a context, runs
   * {@link Context.rank}, disposes the context.
   */
  async rank(query: string, documents: readonly string[], options: RankOptions & { context?: ContextOptions } = {}): Promise<RankResult> {
    const { context: contextOptions, ...rankOptions } = optionsObject(options, 'rank options');
    const count = Array.isArray(documents) ? documents.length : 1;
    const context = await this.createContext(embeddingContextOptions(this, count, optionsObject(contextOptions, 'context')));
    try {
      return await context.rank(query, documents, rankOptions);
    } finally {
      context.dispose();
    }
  }

  /**
   * Renders chat messages into prompt text, as {@link Context.generate} does
   * for chat input: by default the model's Jinja chat template
   * (`tokenizer.chat_template`, or its `tool_use` template when `tools` are
   * given) rendered exactly as transformers' `apply_chat_template(...,
   * tokenize=False)` renders it; see {@link ChatTemplateOptions} for
   * choosing a template, tools, documents, extra template variables, and
   * llama.cpp's built-in renderer. `addGenerationPrompt` defaults to `true`.
   *
   * Throws `INVALID_ARGUMENT` when there is no template, when the template
   * does not parse, or when it fails (a template's own `raise_exception`
   * keeps its message); `UNSUPPORTED` when the `'llama.cpp'` renderer does
   * not recognise the template.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    return applyChatTemplate(this, messages, options);
  }

  /** Contexts created from this model and not yet disposed. */
  get contexts(): readonly Context[] {
    return [...this.#contexts];
  }

  /**
   * Disposes every context of this model (cascade), then releases the
   * weights. Operations still running finish first on their own thread;
   * queued ones reject with `DISPOSED`. Idempotent. Any later call throws `DISPOSED`.
   */
  dispose(): void {
    for (const context of this.#contexts) context.dispose();
    this.#native.dispose();
  }

  /** Like {@link Model.dispose}, but waits for the contexts' queued operations first. */
  async disposeAsync(): Promise<void> {
    await Promise.all([...this.#contexts].map((context) => context.disposeAsync()));
    this.dispose();
  }

  /** `using model = await loadModel(...)` */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `await using model = await loadModel(...)` */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disposeAsync();
  }
}

/** A token id argument: an integer (the native layer checks it against the vocabulary). */
function tokenArgument(token: unknown): number {
  if (typeof token !== 'number' || !Number.isInteger(token)) argumentError('token', 'be a token id (an integer)', token);
  return token;
}

function parseSamplingMetadata(raw: Record<string, string>): ModelSamplingMetadata {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(raw)) {
    const n = Number(value);
    out[key] = key === 'sequence' || !Number.isFinite(n) ? value : n;
  }
  return out as ModelSamplingMetadata;
}
