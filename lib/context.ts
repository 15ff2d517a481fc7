/** An inference context: evaluation, the KV cache per sequence, saved state. */
import * as os from 'node:os';
import { runAbortable } from './abort';
import { LlamaError, invalidArgument, withCallSite } from './errors';
import type { Model } from './model';
import type { NativeContext, NativeContextOptions, NativeContextStats } from './native';
import { OperationQueue } from './operationQueue';
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
  /** CPU threads for generation (default: all available cores). */
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
  kvCacheType?: { k?: KvCacheType; v?: KvCacheType };
  /**
   * One KV buffer shared by all sequences (default `true`). Needed to copy part
   * of a sequence into another (prefix sharing); `false` gives each sequence
   * `contextSize / sequences` cells of its own.
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
  readonly min: number;
  readonly max: number;
}

/** Timings kept by llama.cpp for a context since its creation. */
export type ContextStats = Readonly<NativeContextStats>;

function integerOption(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
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
  const threads = integerOption(options.threads, 'threads', os.availableParallelism(), 1, 512);
  const threadsBatch = integerOption(options.threadsBatch, 'threadsBatch', threads, 1, 512);
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
    unifiedKvCache: options.unifiedKvCache ?? true,
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
  readonly kvCacheType: Readonly<{ k: KvCacheType; v: KvCacheType }>;

  readonly #native: NativeContext;
  readonly #queue = new OperationQueue();
  readonly #onDispose: () => void;

  /** Not for direct use: contexts come from {@link Model.createContext}. */
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
    return this.#enqueue(() =>
      runAbortable(() => this.#native.evaluate(ids, sequence, logits), options.signal, 'evaluation'),
    );
  }

  /** Empties every sequence. */
  async clear(): Promise<void> {
    return this.#enqueue(() => this.#native.clearAll());
  }

  /** Empties one sequence. */
  async clearSequence(sequence: number): Promise<void> {
    return this.#enqueue(() => this.#native.clearSequence(sequence));
  }

  /**
   * Removes the positions `[start, end)` of `sequence` (to its end when `end`
   * is omitted), e.g. to roll back tokens before evaluating others.
   */
  async removeTokens(sequence: number, start: number, end?: number): Promise<void> {
    checkRange(start, end);
    return this.#enqueue(() => this.#native.removeTokens(sequence, start, end));
  }

  /**
   * Makes `destination` hold the positions of `source` in `range` (default:
   * all), replacing what it held. No data is copied in a unified cache: the
   * cells are shared, which is how a common prompt prefix is evaluated once
   * for many sequences.
   */
  async copySequence(source: number, destination: number, range: PositionRange = {}): Promise<void> {
    checkRange(range.start, range.end);
    return this.#enqueue(() => this.#native.copySequence(source, destination, range.start, range.end));
  }

  /** Removes every sequence but `sequence`. */
  async keepSequence(sequence: number): Promise<void> {
    return this.#enqueue(() => this.#native.keepSequence(sequence));
  }

  /**
   * Adds `delta` to the positions of `sequence` in `range` (RoPE shift), e.g.
   * to slide a window after removing old tokens. Positions pushed below 0 are removed.
   */
  async shiftPositions(sequence: number, delta: number, range: PositionRange = {}): Promise<void> {
    checkRange(range.start, range.end);
    return this.#enqueue(() => this.#native.shiftPositions(sequence, range.start, range.end, delta));
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
    await this.#enqueue(() => this.#native.loadState(options.sequence, buffer));
  }

  /** Restores a state written by {@link Context.saveStateToFile}; resolves with the tokens stored with it. */
  async loadStateFromFile(path: string, options: { sequence?: number } = {}): Promise<Int32Array> {
    const tokens = await this.#enqueue(() => this.#native.loadState(options.sequence, checkPath(path)));
    return tokens as Int32Array;
  }

  /** Prompt and generation timings measured by llama.cpp. */
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
    this.#native.dispose();
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

  #enqueue<T>(operation: () => T | Promise<T>): Promise<T> {
    if (this.#native.isDisposed()) {
      return Promise.reject(new LlamaError('DISPOSED', 'the context has been disposed'));
    }
    return withCallSite(() => this.#queue.run(operation));
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
