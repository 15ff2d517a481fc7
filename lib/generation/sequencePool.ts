/**
 * Which sequences of a context are in use by generations, what each one's KV
 * cache holds (for prefix reuse), and the FIFO queue of generations waiting
 * for free sequences. @internal
 */
import { LlamaError } from '../errors';

/** Sequences handed to one generation. */
export interface Lease {
  /** The sequences, first the one that evaluates the prompt. */
  sequences: number[];
  /** Prompt tokens already cached in `sequences[0]`. */
  keep: number;
}

interface Waiter {
  count: number;
  fixed: number | undefined;
  prompt: Int32Array;
  resolve: (lease: Lease) => void;
  reject: (error: Error) => void;
}

/** Length of the common prefix of `a` and `b`. */
export function commonPrefix(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SequencePool {
  /** Cached tokens per sequence (from position 0), or null when unknown. */
  readonly #cache: Array<Int32Array | null>;
  readonly #busy: boolean[];
  readonly #waiters: Waiter[] = [];
  #idle: Array<() => void> = [];

  constructor(count: number) {
    this.#cache = Array.from({ length: count }, () => new Int32Array(0));
    this.#busy = new Array<boolean>(count).fill(false);
  }

  /** Number of sequences in use. */
  get busyCount(): number {
    return this.#busy.filter(Boolean).length;
  }

  /** Generations waiting for sequences. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves with `count` sequences (`fixed` first when given) once free, in call order. */
  acquire(count: number, prompt: Int32Array, fixed: number | undefined): { lease: Promise<Lease>; cancel: () => void } {
    let waiter!: Waiter;
    const lease = new Promise<Lease>((resolve, reject) => {
      waiter = { count, fixed, prompt, resolve, reject };
    });
    this.#waiters.push(waiter);
    this.#grant();
    const cancel = (): void => {
      const i = this.#waiters.indexOf(waiter);
      if (i >= 0) {
        this.#waiters.splice(i, 1);
        waiter.reject(new LlamaError('ABORTED', 'the generation was aborted while waiting for a free sequence'));
        this.#grant();
      }
    };
    return { lease, cancel };
  }

  /** Frees `sequences`, recording what each now holds (null: unknown). */
  release(sequences: readonly number[], cached: ReadonlyArray<Int32Array | null>): void {
    sequences.forEach((s, i) => {
      this.#busy[s] = false;
      this.#cache[s] = cached[i] ?? null;
    });
    this.#grant();
    if (this.busyCount === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Frees `sequences` that were not used: their caches are as they were. */
  giveBack(sequences: readonly number[]): void {
    this.release(sequences, sequences.map((s) => this.#cache[s]));
  }

  /** Forgets what `sequence` (every sequence when omitted) holds, after an operation changed its cache. */
  invalidate(sequence?: number): void {
    if (sequence === undefined) this.#cache.fill(null);
    else this.#cache[sequence] = null;
  }

  /** Records that `sequence` holds exactly `tokens` from position 0 (a restored state), so generate() reuses them. */
  remember(sequence: number, tokens: Int32Array): void {
    this.#cache[sequence] = tokens.slice();
  }

  /** Records that `sequence` (every sequence when omitted) is empty. */
  markEmpty(sequence?: number): void {
    if (sequence === undefined) this.#cache.fill(new Int32Array(0));
    else this.#cache[sequence] = new Int32Array(0);
  }

  /** Rejects every waiting request with `error` (the context is going away). */
  close(error: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  /** Resolves when no generation holds a sequence. */
  idle(): Promise<void> {
    if (this.busyCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #grant(): void {
    while (this.#waiters.length > 0) {
      const lease = this.#tryLease(this.#waiters[0]);
      if (!lease) return; // strict FIFO: later requests wait behind the first
      this.#waiters.shift()!.resolve(lease);
    }
  }

  #tryLease(w: Waiter): Lease | null {
    const free = this.#busy.flatMap((busy, s) => (busy ? [] : [s]));
    if (w.fixed !== undefined && this.#busy[w.fixed]) return null;
    if (free.length < w.count) return null;
    const reuse = (s: number): number => {
      const cached = this.#cache[s];
      return cached === null ? -1 : commonPrefix(cached, w.prompt);
    };
    // The prompt goes where most of it is cached; the others take what is least worth keeping.
    const first = w.fixed ?? free.reduce((best, s) => (reuse(s) > reuse(best) ? s : best), free[0]);
    const rest = free
      .filter((s) => s !== first)
      .sort((a, b) => (this.#cache[a]?.length ?? 0) - (this.#cache[b]?.length ?? 0))
      .slice(0, w.count - 1);
    const sequences = [first, ...rest];
    for (const s of sequences) this.#busy[s] = true;
    // The last prompt token is evaluated again even when cached: its logits start the generation.
    return { sequences, keep: Math.max(0, Math.min(reuse(first), w.prompt.length - 1)) };
  }
}
