/** An inference context: evaluation, the KV cache per sequence, saved state. */
import { availableParallelism } from 'node:os';
import { runAbortable } from './abort';
import { argumentError, choice, integer, nativeHandle, optionalBoolean, optionalFunction, optionalInteger, optionalString, optionsObject } from './arguments';
import { isResolvedConfig, modelConfigLayer, resolveConfig, type GenerationConfigInput, type ResolvedGenerationConfig } from './config';
import { Generation } from './generation/generation';
import type { JsonOfConfig } from './generation/jsonResult';
import { tokenText } from './generation/tokenText';
import { preparePrompt } from './generation/prompt';
import { CHAT_TEMPLATE_OPTION_KEYS } from './chat/types';
import { checkSequences, sequencesNeeded } from './generation/beam';
import { buildRequest, chunkIntervalUs, lengthWarnings } from './generation/request';
import { chatOutputPlan } from './generation/chatOutput';
import { speculationOf, speculativeRequest, type Speculation } from './generation/speculative';
import { logWarning } from './logging';
import { SequencePool } from './generation/sequencePool';
import type { GenerateOptions, GenerationInput } from './generation/types';
import { LlamaError, invalidArgument, withCallSite } from './errors';
import type { Model } from './model';
import type { NativeContext, NativeContextOptions, NativeContextStats } from './native';
import { OperationQueue } from './operationQueue';
import { physicalCoreCount } from './system';
import { toTokenArray, type Tokens } from './tokens';
import { embeddingResult, prepareEmbedding, prepareRank, rankResult } from './embed/prepare';
import type { ContextPooling, EmbedInput, EmbedOptions, EmbeddingResult, RankOptions, RankResult } from './embed/types';

/** KV cache element types llama.cpp accepts. Quantised V caches need flash attention. */
export type KvCacheType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_1' | 'q5_0' | 'q5_1' | 'iq4_nl';

const KV_TYPES: readonly KvCacheType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'iq4_nl'];

/** Options of {@link Model.createContext}. */
export interface ContextOptions {
  /** Tokens the KV cache holds, over all sequences (default: the model's training context, at most 4096). */
  contextSize?: number;
  /** Most tokens submitted to one llama_decode call (default 512, at most `contextSize`). */
  batchSize?: number;
  /** Physical micro-batch size (default `min(512, batchSize)`). */
  ubatchSize?: number;
  /** Independent sequences (conversations) sharing the KV cache (default 1). */
  sequences?: number;
  /**
   * CPU threads for generation (default: the physical cores, hyper-threads not
   * counted; 1 for models under 20M parameters, which a second thread barely
   * speeds up and a busy machine slows down many times). On a machine shared
   * with other work, fewer threads hold up better: see docs/reliability.md.
   */
  threads?: number;
  /** CPU threads for prompt processing (default: `threads`). */
  threadsBatch?: number;
  /**
   * How eagerly idle CPU threads spin waiting for the next token's work, 0
   * (sleep at once: least CPU while idle) to 100 (lowest latency). Default 50.
   */
  threadPolling?: number;
  /** Flash attention (default `'auto'`: on where the backend supports it). */
  flashAttention?: 'auto' | 'enabled' | 'disabled' | boolean;
  /** Element types of the K and V caches (default `'f16'` both). */
  kvCacheType?: {
    /** Element type of the K cache. */
    k?: KvCacheType;
    /** Element type of the V cache; a quantised type needs flash attention. */
    v?: KvCacheType;
  };
  /**
   * One KV buffer shared by all sequences (default: `true` when `sequences` >
   * 1). Needed to copy part of a sequence into another (prefix sharing);
   * `false` gives each sequence `contextSize / sequences` cells of its own.
   * With one sequence both are the same, and `false` is faster: llama.cpp
   * checks a unified cache's batches against all 256 possible sequences.
   */
  unifiedKvCache?: boolean;
}

/** Options of {@link Context.evaluate}. */
export interface EvaluateOptions {
  /** Sequence the tokens extend (default 0). */
  sequence?: number;
  /** Which logits to return: of the last token (default), of every token, or none. */
  logits?: 'last' | 'all' | 'none';
  /** Cancels the evaluation; the tokens of this call are then removed from the cache. */
  signal?: AbortSignal;
}

/** A position range of a sequence: `[start, end)`; `end` omitted means "to the end". */
export interface PositionRange {
  /** First position (default 0). */
  start?: number;
  /** One past the last position (default: the end of the sequence). */
  end?: number;
}

/** Positions held by a sequence: every position in `[min, max]` is present. */
export interface SequencePositions {
  /** Lowest position present. */
  readonly min: number;
  /** Highest position present. */
  readonly max: number;
}

/**
 * Token counts and timings kept by llama.cpp for a context since its creation
 * (`llama_perf_context`); see {@link Context.stats}: `promptTokens` and
 * `promptMs` (tokens evaluated in batches of more than one, and the time
 * spent), `evalTokens` and `evalMs` (tokens evaluated one at a time:
 * generation steps), `loadMs` (from the context's creation to its first
 * evaluation), `graphsReused` (evaluations that reused the previous compute
 * graph instead of building a new one). Times in milliseconds.
 */
export type ContextStats = Readonly<NativeContextStats>;

function integerOption(value: unknown, name: string, fallback: number, min: number, max: number, maxIs?: string): number {
  return value === undefined ? fallback : integer(value, name, min, max, maxIs);
}

function kvType(value: unknown, name: string): KvCacheType {
  return value === undefined ? 'f16' : choice(value, name, KV_TYPES);
}

const CONTEXT_KEYS: ReadonlyArray<keyof ContextOptions> = [
  'contextSize', 'batchSize', 'ubatchSize', 'sequences', 'threads', 'threadsBatch', 'threadPolling', 'flashAttention', 'kvCacheType', 'unifiedKvCache',
];
const GENERATE_KEYS: ReadonlyArray<keyof GenerateOptions> = [
  'signal', 'sequence', 'onProgress', 'includeStopString', 'contextShift', 'addSpecial', 'parseSpecial', 'chatTemplate',
  'addGenerationPrompt', 'renderSpecialTokens', 'bufferSize', 'chunkInterval', 'toolChoice', 'parallelToolCalls', 'parseReasoning',
  ...CHAT_TEMPLATE_OPTION_KEYS,
];
const EVALUATE_KEYS: ReadonlyArray<keyof EvaluateOptions> = ['sequence', 'logits', 'signal'];

/**
 * Models below this size decode one token in well under a millisecond, where
 * a second thread gains little (stories260K: +12% tokens/s on an idle 2-core
 * machine) and costs a lot on a busy one: every op of the graph ends in
 * ggml's spinning barrier, which waits for a preempted thread (six concurrent
 * 48-token requests on a busy 2-core machine: 0.05-0.1 s with 1 thread; with
 * 2, 0.1-0.5 s on one context and 1-45 s on six contexts). Larger models gain
 * (100M: 2.3x tokens/s with 2 threads on an idle machine).
 */
const SINGLE_THREAD_BELOW_PARAMETERS = 20e6;

/** The default `threads`: 1 for small models, else the physical cores. */
function defaultThreads(parameterCount: number): number {
  return parameterCount < SINGLE_THREAD_BELOW_PARAMETERS ? 1 : physicalCoreCount();
}

/** Validates {@link ContextOptions} and fills in defaults. @internal */
export function resolveContextOptions(options: ContextOptions, trainContextSize: number, parameterCount = Infinity): NativeContextOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) argumentError('context options', 'be an object', options);
  const known: readonly string[] = CONTEXT_KEYS;
  for (const key of Object.keys(options)) if (!known.includes(key)) throw invalidArgument(`unknown context option '${key}'`);
  const contextSize = integerOption(options.contextSize, 'contextSize', Math.min(trainContextSize > 0 ? trainContextSize : 4096, 4096), 1, 1 << 24);
  const sequences = integerOption(options.sequences, 'sequences', 1, 1, 256);
  // llama.cpp reserves one output row per sequence in a batch: fewer rows than sequences abort at the first decode
  const batchSize = integerOption(options.batchSize, 'batchSize', Math.max(Math.min(512, contextSize), sequences), 1, 1 << 24);
  if (batchSize < sequences) throw invalidArgument(`batchSize (${batchSize}) must be at least sequences (${sequences})`);
  if (contextSize < sequences) throw invalidArgument(`contextSize (${contextSize}) must be at least sequences (${sequences}): each sequence needs a cell`);
  const ubatchSize = integerOption(options.ubatchSize, 'ubatchSize', Math.min(512, batchSize), 1, batchSize);
  // More threads than CPUs only makes ggml's spinning barrier wait on busy cores (512 threads: a 22 s createContext on 2 cores).
  const cpus = availableParallelism();
  const threads = integerOption(options.threads, 'threads', defaultThreads(parameterCount), 1, cpus, 'the CPUs available to this process');
  const threadsBatch = integerOption(options.threadsBatch, 'threadsBatch', threads, 1, cpus, 'the CPUs available to this process');
  const threadPoll = integerOption(options.threadPolling, 'threadPolling', 50, 0, 100);
  const fa = options.flashAttention;
  const flashAttention = fa === true ? 'enabled' : fa === false ? 'disabled' : fa === undefined ? 'auto' : fa;
  if (!['auto', 'enabled', 'disabled'].includes(flashAttention)) {
    argumentError('flashAttention', "be 'auto', 'enabled', 'disabled' or a boolean", fa);
  }
  const kvCacheType = optionsObject(options.kvCacheType, 'kvCacheType', ['k', 'v']);
  const typeK = kvType(kvCacheType.k, 'kvCacheType.k');
  const typeV = kvType(kvCacheType.v, 'kvCacheType.v');
  if (!['f32', 'f16', 'bf16'].includes(typeV) && flashAttention === 'disabled') {
    throw invalidArgument(`a quantised V cache (kvCacheType.v = '${typeV}') needs flash attention`);
  }
  optionalBoolean(options.unifiedKvCache, 'unifiedKvCache');
  return {
    contextSize,
    batchSize,
    ubatchSize,
    sequences,
    threads,
    threadsBatch,
    threadPoll,
    flashAttention,
    typeK,
    typeV,
    unifiedKvCache: options.unifiedKvCache ?? sequences > 1,
  };
}

/**
 * A llama.cpp context: a KV cache with one or more sequences, and the compute
 * buffers to run the model. Operations run off the JS thread, one at a time,
 * in the order they were called.
 */
export class Context {
  /** The model this context runs. */
  readonly model: Model;
  /** KV cache size in tokens, over all sequences. */
  readonly contextSize: number;
  /** Most tokens one sequence can hold (`contextSize`, or `contextSize / sequences` without a unified cache). */
  readonly sequenceContextSize: number;
  /** Logical batch size. */
  readonly batchSize: number;
  /** Physical micro-batch size. */
  readonly ubatchSize: number;
  /** Number of sequences; valid ids are `0 .. sequences - 1`. */
  readonly sequences: number;
  /** Threads used for generation. */
  readonly threads: number;
  /** Threads used for prompt processing. */
  readonly threadsBatch: number;
  /** Whether all sequences share one KV buffer. */
  readonly unifiedKvCache: boolean;
  /** The flash attention setting the context was created with. */
  readonly flashAttention: 'auto' | 'enabled' | 'disabled';
  /**
   * How llama.cpp pools this context's embeddings: the GGUF's pooling type,
   * `'none'` for a model that declares none (a generative model; then
   * {@link Context.embed} pools by its `pooling` option), `'rank'` for a reranker.
   */
  readonly pooling: ContextPooling;
  /** Element types of the K and V caches. */
  readonly kvCacheType: Readonly<{
    /** Element type of the K cache. */
    k: KvCacheType;
    /** Element type of the V cache. */
    v: KvCacheType;
  }>;

  readonly #native: NativeContext;
  readonly #queue = new OperationQueue();
  readonly #pool: SequencePool;
  readonly #onDispose: () => void;
  /** Assisted decoding: a context of each draft model, made at its first use and disposed with this one. */
  readonly #drafts = new Map<Model, Promise<Context>>();
  /** `num_assistant_tokens_schedule: 'heuristic'`: the value the last call ended with, per draft model (as transformers keeps it on the assistant). */
  readonly #assistantTokens = new Map<Model, number>();

  /**
   * Not for direct use: contexts come from {@link Model.createContext}.
   * @hidden
   */
  constructor(model: Model, handle: NativeContext, options: NativeContextOptions, onDispose: () => void) {
    nativeHandle<NativeContext>(handle, ['info', 'evaluate', 'generate', 'dispose', 'isDisposed'], 'contexts come from Model.createContext()');
    const info = handle.info();
    this.model = model;
    this.#native = handle;
    this.#onDispose = onDispose;
    this.contextSize = info.contextSize;
    this.sequenceContextSize = info.sequenceContextSize;
    this.batchSize = info.batchSize;
    this.ubatchSize = info.ubatchSize;
    this.sequences = info.sequences;
    this.threads = info.threads;
    this.threadsBatch = info.threadsBatch;
    this.unifiedKvCache = info.unifiedKvCache;
    this.flashAttention = options.flashAttention;
    this.pooling = info.pooling ?? 'none';
    this.kvCacheType = Object.freeze({ k: options.typeK as KvCacheType, v: options.typeV as KvCacheType });
    this.#pool = new SequencePool(info.sequences);
  }

  /** Whether {@link Context.dispose} has been called (directly or by the model). */
  get disposed(): boolean {
    return this.#native.isDisposed();
  }

  /** Number of operations queued or running on this context. */
  get pendingOperations(): number {
    return this.#queue.size;
  }

  /**
   * Generates from `input` (text, token ids, or chat `messages` rendered with
   * the model's chat template) with a transformers-style `config` (over the
   * model's GGUF sampling defaults), in the native decode loop. Returns at
   * once: iterate the {@link Generation} for chunks as they come, or await
   * its `result`.
   *
   * Several generations on one context (created with `sequences > 1`) run
   * together, batched into one decode per step; more than `sequences` wait
   * their turn in call order. A new generation on a sequence reuses the
   * cached prefix it shares with what the sequence holds (multi-turn chat does
   * not evaluate the history again). KV-cache operations called meanwhile
   * (`evaluate`, `clear`...) wait until running generations end.
   *
   * Throws at once, before anything runs: `INVALID_ARGUMENT` (config, input,
   * options; a beam search needs `sequences >= num_beams`), `NOT_IMPLEMENTED`
   * (assisted decoding, `stop_strings` with beam search...),
   * `CONTEXT_OVERFLOW` (the prompt does not fit a sequence), `DISPOSED`.
   */
  generate<C extends GenerationConfigInput | ResolvedGenerationConfig = GenerationConfigInput>(
    input: GenerationInput,
    config: C = {} as C,
    options: GenerateOptions = {},
  ): Generation<JsonOfConfig<C>> {
    if (this.#native.isDisposed()) throw new LlamaError('DISPOSED', 'the context has been disposed');
    options = checkGenerateOptions(options);
    const resolved = isResolvedConfig(config) ? config : resolveConfig(modelConfigLayer(this.model.samplingMetadata), config);
    const { tokens: prompt, chat } = preparePrompt(this.model, input, options);
    const output = chatOutputPlan(this.model, chat, resolved, options);
    const count = sequencesNeeded(resolved.values); // one per returned sequence, or per beam
    checkSequences(resolved.values, this.sequences);
    const fixed = optionalInteger(options.sequence, 'sequence', 0, this.sequences - 1);
    if (prompt.length > this.sequenceContextSize) {
      throw new LlamaError('CONTEXT_OVERFLOW', `the prompt has ${prompt.length} tokens; a sequence of this context holds at most ${this.sequenceContextSize}`);
    }
    const signal = options.signal;
    const request = buildRequest(this.model, resolved, prompt, Array.from({ length: count }, (_, i) => i), 0, options, {
      toolGrammar: output?.grammar,
      parsed: output?.spec !== undefined,
    });
    const generation = new Generation<JsonOfConfig<C>>(resolved, options.onProgress, request.queueCapacity, (token) => tokenText(this.model, token));
    generation.chatPrompt = chat;
    generation.outputSpec = output?.spec;

    const onAbort = (): void => generation.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) generation.abort();
    void generation.whenDone().then(() => signal?.removeEventListener('abort', onAbort));

    this.#queue
      .run(async () => {
        if (this.#native.isDisposed()) throw new LlamaError('DISPOSED', 'the context has been disposed');
        const { lease, cancel } = this.#pool.acquire(count, prompt, fixed);
        generation.waitingFor(cancel);
        const { sequences, keep } = await lease;
        if (generation.abortRequested) {
          this.#pool.giveBack(sequences);
          throw new LlamaError('ABORTED', 'aborted before it started');
        }
        let handle;
        try {
          const speculation = speculationOf(resolved.values);
          if (speculation?.kind === 'draft') request.speculative = await this.#draftRequest(speculation, generation);
          request.keep = keep;
          request.outputs.forEach((output, i) => (output.sequence = sequences[i]));
          handle = this.#native.generate(request, () => generation.readable());
        } catch (err) {
          this.#pool.release(sequences, sequences.map(() => null));
          throw err;
        }
        const warnings = lengthWarnings(resolved, prompt.length);
        for (const warning of warnings) logWarning(warning);
        generation.started({ handle, sequences, prompt, warnings, release: (cached) => this.#pool.release(sequences, cached) });
      })
      .catch((err: unknown) => generation.failedToStart(err instanceof Error ? err : new LlamaError('INTERNAL', String(err))));
    return generation;
  }

  /**
   * Runs the model over `tokens`, appended to `sequence` after the positions
   * it already holds, and returns logits: one row of `vocabSize` floats for
   * the last token (default), one row per token (`logits: 'all'`), or none.
   * Rejects with `INVALID_ARGUMENT` (bad token id, sequence or empty input),
   * `CONTEXT_OVERFLOW`, `ABORTED` or `DISPOSED`; on failure the sequence is
   * left as it was.
   */
  async evaluate(tokens: Tokens, options: EvaluateOptions = {}): Promise<Float32Array> {
    const ids = toTokenArray(tokens);
    const { sequence: seq, logits: which, signal } = optionsObject(options, 'evaluate options', EVALUATE_KEYS);
    const sequence = seq === undefined ? 0 : this.#sequenceId(seq);
    const logits = which === undefined ? 'last' : choice(which, 'logits', ['last', 'all', 'none'] as const);
    return this.#enqueue(() => {
      this.#pool.invalidate(sequence);
      return runAbortable(() => this.#native.evaluate(ids, sequence, logits), signal, 'evaluation');
    });
  }

  /**
   * Embeddings of one text or a list of texts (or token id lists): the
   * model's final hidden states pooled into one vector per input, by the
   * GGUF's pooling type (mean for a model that declares none), L2-normalised
   * unless `normalize: false`. Inputs are batched over the context's
   * sequences, several per decode, off the JS thread. Like the other
   * KV-cache operations it waits for running generations and empties every
   * sequence's cache.
   *
   * Rejects with `UNSUPPORTED` on a reranker (use {@link Context.rank}) or an
   * encoder-decoder model, `INVALID_ARGUMENT` for a pooling the GGUF does not
   * declare, `CONTEXT_OVERFLOW` for an input longer than a sequence (or, for
   * a model pooled by llama.cpp, than `ubatchSize`), `ABORTED`, `DISPOSED`.
   */
  async embed(input: EmbedInput, options: EmbedOptions = {}): Promise<EmbeddingResult> {
    if (this.#native.isDisposed()) throw new LlamaError('DISPOSED', 'the context has been disposed');
    const prepared = prepareEmbedding(this.model, input, options, this.pooling);
    const out = await this.#enqueue(() => {
      this.#pool.markEmpty(); // the worker empties the cache
      return runAbortable(() => this.#native.embed(prepared.tokens, prepared.pooling, prepared.normalize), prepared.signal, 'embedding');
    });
    return embeddingResult(prepared, out.data, out.dimension);
  }

  /**
   * Reranking with a reranker GGUF (`pooling_type` rank): the relevance of
   * each document to `query`, one score per document in input order (sort
   * them yourself). Pairs are formatted as llama.cpp's server does (the
   * GGUF's `rerank` template, else `[BOS] query [EOS] [SEP] document [EOS]`).
   * Rejects with `UNSUPPORTED` on a model that is not a reranker.
   */
  async rank(query: string, documents: readonly string[], options: RankOptions = {}): Promise<RankResult> {
    if (this.#native.isDisposed()) throw new LlamaError('DISPOSED', 'the context has been disposed');
    const prepared = prepareRank(this.model, query, documents, options, this.pooling);
    const out = await this.#enqueue(() => {
      this.#pool.markEmpty();
      return runAbortable(() => this.#native.embed(prepared.tokens, 'rank', false), prepared.signal, 'reranking');
    });
    return rankResult(prepared, out.data, out.dimension);
  }

  /** Empties every sequence. */
  async clear(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#native.clearAll();
      this.#pool.markEmpty();
    });
  }

  /** Empties one sequence. */
  async clearSequence(sequence: number): Promise<void> {
    this.#sequenceId(sequence);
    return this.#enqueue(() => {
      this.#native.clearSequence(sequence);
      this.#pool.markEmpty(sequence);
    });
  }

  /**
   * Removes the positions `[start, end)` of `sequence` (to its end when `end`
   * is omitted), e.g. to roll back tokens before evaluating others.
   */
  async removeTokens(sequence: number, start: number, end?: number): Promise<void> {
    this.#sequenceId(sequence);
    integer(start, 'start', 0, MAX_POSITION);
    checkRange(start, end);
    return this.#enqueue(() => this.#changing(sequence, () => this.#native.removeTokens(sequence, start, end)));
  }

  /**
   * Makes `destination` hold the positions of `source` in `range` (default:
   * all), replacing what it held. No data is copied in a unified cache: the
   * cells are shared, which is how a common prompt prefix is evaluated once
   * for many sequences.
   */
  async copySequence(source: number, destination: number, range: PositionRange = {}): Promise<void> {
    this.#sequenceId(source, 'source');
    this.#sequenceId(destination, 'destination');
    range = optionsObject(range, 'range', RANGE_KEYS);
    checkRange(range.start, range.end);
    return this.#enqueue(() => this.#changing(destination, () => this.#native.copySequence(source, destination, range.start, range.end)));
  }

  /** Removes every sequence but `sequence`. */
  async keepSequence(sequence: number): Promise<void> {
    this.#sequenceId(sequence);
    return this.#enqueue(() => this.#changing(undefined, () => this.#native.keepSequence(sequence)));
  }

  /**
   * Adds `delta` to the positions of `sequence` in `range` (RoPE shift), e.g.
   * to slide a window after removing old tokens. Positions pushed below 0 are removed.
   */
  async shiftPositions(sequence: number, delta: number, range: PositionRange = {}): Promise<void> {
    this.#sequenceId(sequence);
    integer(delta, 'delta', -MAX_POSITION, MAX_POSITION);
    range = optionsObject(range, 'range', RANGE_KEYS);
    checkRange(range.start, range.end);
    return this.#enqueue(() => this.#changing(sequence, () => this.#native.shiftPositions(sequence, range.start, range.end, delta)));
  }

  /** The positions `sequence` holds, or `null` when it is empty. */
  async sequencePositions(sequence: number): Promise<SequencePositions | null> {
    this.#sequenceId(sequence);
    return this.#enqueue(() => this.#native.sequencePositions(sequence));
  }

  /** The context's state (all sequences), or one sequence's, as a Buffer. */
  async saveState(options: { sequence?: number } = {}): Promise<Buffer> {
    const sequence = this.#optionalSequence(optionsObject(options, 'saveState options', ['sequence']).sequence);
    return this.#enqueue(async () => (await this.#native.saveState(sequence, undefined, undefined)) as Buffer);
  }

  /** Writes the state (or one sequence's) to `path`, with optional `tokens` stored alongside. */
  async saveStateToFile(path: string, options: { sequence?: number; tokens?: Tokens } = {}): Promise<void> {
    checkPath(path);
    options = optionsObject(options, 'saveStateToFile options', ['sequence', 'tokens']);
    const sequence = this.#optionalSequence(options.sequence);
    const tokens = options.tokens === undefined ? undefined : toTokenArray(options.tokens);
    await this.#enqueue(() => this.#native.saveState(sequence, path, tokens));
  }

  /**
   * Restores a state saved by {@link Context.saveState} (into `sequence` for a
   * sequence state). Rejects with `STATE_IO` when the state does not fit this
   * context or model; the target (whole context or sequence) is then empty.
   */
  async loadState(state: Buffer | Uint8Array, options: { sequence?: number } = {}): Promise<void> {
    if (!(state instanceof Uint8Array)) argumentError('state', 'be a Buffer or Uint8Array', state);
    const sequence = this.#optionalSequence(optionsObject(options, 'loadState options', ['sequence']).sequence);
    const buffer = Buffer.isBuffer(state) ? state : Buffer.from(state.buffer, state.byteOffset, state.byteLength);
    await this.#enqueue(() => this.#changing(sequence, () => this.#native.loadState(sequence, buffer)));
  }

  /**
   * Restores a state written by {@link Context.saveStateToFile}; resolves with
   * the tokens stored with it. When those tokens are what the sequence now
   * holds (positions 0 to n - 1), the next generate() on it reuses them as a
   * cached prompt prefix instead of evaluating them again.
   */
  async loadStateFromFile(path: string, options: { sequence?: number } = {}): Promise<Int32Array> {
    checkPath(path);
    const target = this.#optionalSequence(optionsObject(options, 'loadStateFromFile options', ['sequence']).sequence);
    return this.#enqueue(async () => {
      const tokens = (await this.#changing(target, () => this.#native.loadState(target, path))) as Int32Array;
      // A whole-context state of a one-sequence context is that sequence's.
      const sequence = target ?? (this.sequences === 1 ? 0 : undefined);
      if (sequence !== undefined && tokens.length > 0) {
        const held = this.#native.sequencePositions(sequence);
        if (held !== null && held.min === 0 && held.max === tokens.length - 1) this.#pool.remember(sequence, tokens);
      }
      return tokens;
    });
  }

  /**
   * Prompt and generation timings measured by llama.cpp (`llama_perf_context`).
   * llama.cpp counts every decode of more than one token as prompt
   * evaluation, so with several generations batched together their steps
   * show up as prompt tokens: per-generation figures are in each result's
   * `usage` and `timings`.
   */
  async stats(): Promise<ContextStats> {
    return this.#enqueue(() => this.#native.stats());
  }

  /**
   * Frees the KV cache and compute buffers. An operation already running
   * finishes on its thread first; queued ones reject with `DISPOSED`.
   * Idempotent; later calls throw `DISPOSED`.
   */
  dispose(): void {
    if (this.#native.isDisposed()) return;
    this.#native.dispose(); // running generations end with DISPOSED
    for (const draft of this.#drafts.values()) void draft.then((c) => c.dispose(), () => undefined);
    this.#drafts.clear();
    this.#pool.close(new LlamaError('DISPOSED', 'the context was disposed before the generation started'));
    this.#onDispose();
  }

  /**
   * The request part of assisted decoding: the draft model's context (one
   * per draft model, with this context's sequences and sizes, so each
   * sequence drafts on the sequence of the same number), and for the
   * heuristic schedule the value the last call ended with.
   */
  async #draftRequest(s: Extract<Speculation, { kind: 'draft' }>, generation: Generation<unknown>) {
    let pending = this.#drafts.get(s.model);
    if (pending === undefined) {
      pending = s.model.createContext({
        contextSize: this.contextSize,
        batchSize: this.batchSize,
        sequences: this.sequences,
        unifiedKvCache: this.unifiedKvCache,
        threads: this.threads,
        threadsBatch: this.threadsBatch,
      });
      this.#drafts.set(s.model, pending);
    }
    let draft: Context;
    try {
      draft = await pending;
    } catch (err) {
      this.#drafts.delete(s.model);
      throw err;
    }
    if (draft.disposed) {
      this.#drafts.delete(s.model);
      throw new LlamaError('DISPOSED', 'the assistant model (or its context) has been disposed');
    }
    if (this.#native.isDisposed()) {
      draft.dispose();
      throw new LlamaError('DISPOSED', 'the context has been disposed');
    }
    const model = s.model;
    if (s.schedule === 'heuristic') {
      // Read once it has ended: asking for `result` earlier would drain a stream.
      void generation
        .whenDone()
        .then(() => generation.result)
        .then(
          (r) => r.speculative && this.#assistantTokens.set(model, r.speculative.numAssistantTokens),
          () => undefined,
        );
    }
    return speculativeRequest(s, draft.#native, s.schedule === 'heuristic' ? this.#assistantTokens.get(model) : undefined);
  }

  /** Waits for queued operations to settle, then disposes. */
  async disposeAsync(): Promise<void> {
    await this.#queue.idle();
    this.dispose();
  }

  /** `using context = await model.createContext()` */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `await using context = await model.createContext()` */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disposeAsync();
  }

  /** Queues an operation that needs the whole context: it runs once the generations started before it have ended. */
  #enqueue<T>(operation: () => T | Promise<T>): Promise<T> {
    if (this.#native.isDisposed()) {
      return Promise.reject(new LlamaError('DISPOSED', 'the context has been disposed'));
    }
    return withCallSite(() =>
      this.#queue.run(async () => {
        await this.#pool.idle();
        if (this.#native.isDisposed()) throw new LlamaError('DISPOSED', 'the context has been disposed');
        return operation();
      }),
    );
  }

  /** A sequence id argument of this context. */
  #sequenceId(value: unknown, name = 'sequence'): number {
    return integer(value, name, 0, this.sequences - 1);
  }

  #optionalSequence(value: unknown): number | undefined {
    return value === undefined ? undefined : this.#sequenceId(value);
  }

  /** Runs `change`, then forgets what `sequence` (all when undefined) caches, for prefix reuse. */
  async #changing<T>(sequence: number | undefined, change: () => T | Promise<T>): Promise<T> {
    this.#pool.invalidate(sequence);
    return change();
  }
}

/** Largest position (llama_pos is a 32-bit signed integer). */
const MAX_POSITION = 0x7fffffff;
const RANGE_KEYS: ReadonlyArray<keyof PositionRange> = ['start', 'end'];

function checkRange(start: unknown, end: unknown): void {
  if (start !== undefined) integer(start, 'start', 0, MAX_POSITION);
  if (end !== undefined && (typeof end !== 'number' || !Number.isInteger(end) || end < ((start as number | undefined) ?? 0) || end > MAX_POSITION)) {
    argumentError('end', 'be an integer >= start', end);
  }
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) argumentError('path', 'be a non-empty string', path);
  return path;
}

/** Checks {@link GenerateOptions}: an object of known keys, each of its type. */
function checkGenerateOptions(options: GenerateOptions): GenerateOptions {
  const o = optionsObject(options, 'generate options', GENERATE_KEYS);
  optionalFunction(o.onProgress, 'onProgress');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) argumentError('signal', 'be an AbortSignal', o.signal);
  for (const key of ['includeStopString', 'addSpecial', 'parseSpecial', 'addGenerationPrompt', 'renderSpecialTokens', 'parallelToolCalls', 'parseReasoning'] as const) {
    optionalBoolean(o[key], key);
  }
  optionalString(o.chatTemplate, 'chatTemplate', true);
  optionalInteger(o.bufferSize, 'bufferSize', 1, MAX_POSITION);
  chunkIntervalUs(o.chunkInterval);
  const shift = o.contextShift;
  if (shift !== undefined && typeof shift !== 'boolean') optionalInteger(optionsObject(shift, 'contextShift', ['keep']).keep, 'contextShift.keep', 0, MAX_POSITION);
  return o;
}
