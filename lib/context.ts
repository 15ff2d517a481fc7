/** An inference context: evaluation, the KV cache per sequence, saved state. */
import { availableParallelism } from 'node:os';
import { runAbortable } from './abort';
import { isResolvedConfig, modelConfigLayer, resolveConfig, type GenerationConfigInput, type ResolvedGenerationConfig } from './config';
import { Generation } from './generation/generation';
import { promptTokens } from './generation/prompt';
import { buildRequest, lengthWarnings } from './generation/request';
import { logWarning } from './logging';
import { SequencePool } from './generation/sequencePool';
import type { GenerateOptions, GenerationInput } from './generation/types';
import { LlamaError, invalidArgument, withCallSite } from './errors';
import type { Model } from './model';
import type { NativeContext, NativeContextOptions, NativeContextStats } from './native';
import { OperationQueue } from './operationQueue';
import { physicalCoreCount } from './system';
import { toTokenArray, type Tokens } from './tokens';

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
  /** CPU threads for generation (default: the physical cores, hyper-threads not counted). */
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
 * evaluation). Times in milliseconds.
 */
export type ContextStats = Readonly<NativeContextStats>;

function integerOption(value: unknown, name: string, fallback: number, min: number, max: number, maxIs?: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${name} must be an integer in [${min}, ${max}]${maxIs ? ` (${max}: ${maxIs})` : ''}, got ${String(value)}`);
  }
  return value;
}

function kvType(value: unknown, name: string): KvCacheType {
  if (value === undefined) return 'f16';
  if (!KV_TYPES.includes(value as KvCacheType)) throw invalidArgument(`${name} must be one of ${KV_TYPES.join(', ')}, got ${String(value)}`);
  return value as KvCacheType;
}

/** Validates {@link ContextOptions} and fills in defaults. @internal */
export function resolveContextOptions(options: ContextOptions, trainContextSize: number): NativeContextOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('context options must be an object');
  const known = new Set(['contextSize', 'batchSize', 'ubatchSize', 'sequences', 'threads', 'threadsBatch', 'threadPolling', 'flashAttention', 'kvCacheType', 'unifiedKvCache']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw invalidArgument(`unknown context option '${key}'`);
  const contextSize = integerOption(options.contextSize, 'contextSize', Math.min(trainContextSize > 0 ? trainContextSize : 4096, 4096), 1, 1 << 24);
  const batchSize = integerOption(options.batchSize, 'batchSize', Math.min(512, contextSize), 1, 1 << 24);
  const ubatchSize = integerOption(options.ubatchSize, 'ubatchSize', Math.min(512, batchSize), 1, batchSize);
  const sequences = integerOption(options.sequences, 'sequences', 1, 1, 256);
  // More threads than CPUs only makes ggml's spinning barrier wait on busy cores (512 threads: a 22 s createContext on 2 cores).
  const cpus = availableParallelism();
  const threads = integerOption(options.threads, 'threads', physicalCoreCount(), 1, cpus, 'the CPUs available to this process');
  const threadsBatch = integerOption(options.threadsBatch, 'threadsBatch', threads, 1, cpus, 'the CPUs available to this process');
  const threadPoll = integerOption(options.threadPolling, 'threadPolling', 50, 0, 100);
  const fa = options.flashAttention;
  const flashAttention = fa === true ? 'enabled' : fa === false ? 'disabled' : fa ?? 'auto';
  if (!['auto', 'enabled', 'disabled'].includes(flashAttention)) {
    throw invalidArgument(`flashAttention must be 'auto', 'enabled', 'disabled' or a boolean, got ${String(fa)}`);
  }
  const typeK = kvType(options.kvCacheType?.k, 'kvCacheType.k');
  const typeV = kvType(options.kvCacheType?.v, 'kvCacheType.v');
  if (!['f32', 'f16', 'bf16'].includes(typeV) && flashAttention === 'disabled') {
    throw invalidArgument(`a quantised V cache (kvCacheType.v = '${typeV}') needs flash attention`);
  }
  if (options.unifiedKvCache !== undefined && typeof options.unifiedKvCache !== 'boolean') {
    throw invalidArgument('unifiedKvCache must be a boolean');
  }
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

  /**
   * Not for direct use: contexts come from {@link Model.createContext}.
   * @hidden
   */
  constructor(model: Model, handle: NativeContext, options: NativeContextOptions, onDispose: () => void) {
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
   * options), `NOT_IMPLEMENTED` (beam search...), `CONTEXT_OVERFLOW` (the
   * prompt does not fit a sequence), `DISPOSED`.
   */
  generate(input: GenerationInput, config: GenerationConfigInput | ResolvedGenerationConfig = {}, options: GenerateOptions = {}): Generation {
    if (this.#native.isDisposed()) throw new LlamaError('DISPOSED', 'the context has been disposed');
    if (options === null || typeof options !== 'object') throw invalidArgument('options must be an object');
    const resolved = isResolvedConfig(config) ? config : resolveConfig(modelConfigLayer(this.model.samplingMetadata), config);
    const prompt = promptTokens(this.model, input, options);
    const count = resolved.values.num_return_sequences;
    if (count > this.sequences) {
      throw invalidArgument(`num_return_sequences (${count}) needs a context with at least ${count} sequences (this one has ${this.sequences})`);
    }
    const fixed = options.sequence;
    if (fixed !== undefined && (!Number.isInteger(fixed) || fixed < 0 || fixed >= this.sequences)) {
      throw invalidArgument(`sequence must be an integer in [0, ${this.sequences - 1}], got ${String(fixed)}`);
    }
    if (prompt.length > this.sequenceContextSize) {
      throw new LlamaError('CONTEXT_OVERFLOW', `the prompt has ${prompt.length} tokens; a sequence of this context holds at most ${this.sequenceContextSize}`);
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArgument('onProgress must be a function');
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgument('signal must be an AbortSignal');
    const request = buildRequest(this.model, resolved, prompt, Array.from({ length: count }, (_, i) => i), 0, options);
    const generation = new Generation(resolved, options.onProgress, request.queueCapacity);

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
    const sequence = options.sequence ?? 0;
    const logits = options.logits ?? 'last';
    return this.#enqueue(() => {
      this.#pool.invalidate(sequence);
      return runAbortable(() => this.#native.evaluate(ids, sequence, logits), options.signal, 'evaluation');
    });
  }

  /** Empties every sequence. */
  async clear(): Promise<void> {
    return this.#enqueue(() => {
      this.#native.clearAll();
      this.#pool.markEmpty();
    });
  }

  /** Empties one sequence. */
  async clearSequence(sequence: number): Promise<void> {
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
    checkRange(range.start, range.end);
    return this.#enqueue(() => this.#changing(destination, () => this.#native.copySequence(source, destination, range.start, range.end)));
  }

  /** Removes every sequence but `sequence`. */
  async keepSequence(sequence: number): Promise<void> {
    return this.#enqueue(() => this.#changing(undefined, () => this.#native.keepSequence(sequence)));
  }

  /**
   * Adds `delta` to the positions of `sequence` in `range` (RoPE shift), e.g.
   * to slide a window after removing old tokens. Positions pushed below 0 are removed.
   */
  async shiftPositions(sequence: number, delta: number, range: PositionRange = {}): Promise<void> {
    checkRange(range.start, range.end);
    return this.#enqueue(() => this.#changing(sequence, () => this.#native.shiftPositions(sequence, range.start, range.end, delta)));
  }

  /** The positions `sequence` holds, or `null` when it is empty. */
  async sequencePositions(sequence: number): Promise<SequencePositions | null> {
    return this.#enqueue(() => this.#native.sequencePositions(sequence));
  }

  /** The context's state (all sequences), or one sequence's, as a Buffer. */
  async saveState(options: { sequence?: number } = {}): Promise<Buffer> {
    return this.#enqueue(async () => (await this.#native.saveState(options.sequence, undefined, undefined)) as Buffer);
  }

  /** Writes the state (or one sequence's) to `path`, with optional `tokens` stored alongside. */
  async saveStateToFile(path: string, options: { sequence?: number; tokens?: Tokens } = {}): Promise<void> {
    const tokens = options.tokens === undefined ? undefined : toTokenArray(options.tokens);
    await this.#enqueue(() => this.#native.saveState(options.sequence, checkPath(path), tokens));
  }

  /**
   * Restores a state saved by {@link Context.saveState} (into `sequence` for a
   * sequence state). Rejects with `STATE_IO` when the state does not fit this
   * context or model; the target (whole context or sequence) is then empty.
   */
  async loadState(state: Buffer | Uint8Array, options: { sequence?: number } = {}): Promise<void> {
    if (!(state instanceof Uint8Array)) throw invalidArgument('state must be a Buffer or Uint8Array');
    const buffer = Buffer.isBuffer(state) ? state : Buffer.from(state.buffer, state.byteOffset, state.byteLength);
    await this.#enqueue(() => this.#changing(options.sequence, () => this.#native.loadState(options.sequence, buffer)));
  }

  /**
   * Restores a state written by {@link Context.saveStateToFile}; resolves with
   * the tokens stored with it. When those tokens are what the sequence now
   * holds (positions 0 to n - 1), the next generate() on it reuses them as a
   * cached prompt prefix instead of evaluating them again.
   */
  async loadStateFromFile(path: string, options: { sequence?: number } = {}): Promise<Int32Array> {
    return this.#enqueue(async () => {
      const tokens = (await this.#changing(options.sequence, () => this.#native.loadState(options.sequence, checkPath(path)))) as Int32Array;
      // A whole-context state of a one-sequence context is that sequence's.
      const sequence = options.sequence ?? (this.sequences === 1 ? 0 : undefined);
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
    this.#pool.close(new LlamaError('DISPOSED', 'the context was disposed before the generation started'));
    this.#onDispose();
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

  /** Runs `change`, then forgets what `sequence` (all when undefined) caches, for prefix reuse. */
  async #changing<T>(sequence: number | undefined, change: () => T | Promise<T>): Promise<T> {
    this.#pool.invalidate(sequence);
    return change();
  }
}

function checkRange(start: number | undefined, end: number | undefined): void {
  if (start !== undefined && (!Number.isInteger(start) || start < 0)) throw invalidArgument(`start must be a non-negative integer, got ${String(start)}`);
  if (end !== undefined && (!Number.isInteger(end) || end < (start ?? 0))) throw invalidArgument(`end must be an integer >= start, got ${String(end)}`);
}

function checkPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path must be a non-empty string');
  return path;
}
