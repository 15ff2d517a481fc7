/** A native sampler chain usable from JavaScript: process scores, draw, accept. */
import { LlamaError, invalidArgument } from '../errors';
import { native, type NativeSampler } from '../native';
import type { ChainPlan } from './plan';

/** User hook with transformers' `logits_processor` signature; may modify `scores` in place. */
export type LogitsHook = (inputIds: Int32Array, scores: Float32Array) => void;

/** Options of {@link Sampler.sample}. */
export interface SampleOptions {
  /** Append the drawn token to the history and advance stateful stages (default `true`). */
  accept?: boolean;
}

/**
 * One generation's sampler chain (created by {@link createSampler}). Holds
 * the token history the processors read; not safe to share between
 * generations running at the same time.
 */
export class Sampler {
  /** The stages, in order, and the draw, as built from the config. */
  readonly plan: Readonly<ChainPlan>;
  readonly #native: NativeSampler;
  readonly #hook: LogitsHook | undefined;

  /**
   * Not for direct use: see {@link createSampler}.
   * @hidden
   */
  constructor(plan: ChainPlan, handle: NativeSampler, hook: LogitsHook | undefined) {
    this.plan = plan;
    this.#native = handle;
    this.#hook = hook;
  }

  /** The tokens so far: prompt, then accepted tokens. */
  get inputIds(): Int32Array {
    return this.#native.history();
  }

  /**
   * Runs the chain without the final draw and returns the processed scores
   * for the full vocabulary (a new array; removed tokens are `-Infinity`).
   */
  process(logits: Float32Array): Float32Array {
    if (!(logits instanceof Float32Array)) throw invalidArgument('logits must be a Float32Array');
    const end = this.plan.stages.length;
    if (!this.#hook) return this.#native.apply(logits, 0, end);
    const scores = this.#native.apply(logits, 0, this.plan.hookAt);
    this.#hook(this.inputIds, scores);
    return this.#native.apply(scores, this.plan.hookAt, end);
  }

  /** Processes `logits`, draws a token (argmax, seeded draw, mirostat...) and by default accepts it. */
  sample(logits: Float32Array, options: SampleOptions = {}): number {
    const accept = options.accept ?? true;
    if (!this.#hook) {
      if (!(logits instanceof Float32Array)) throw invalidArgument('logits must be a Float32Array');
      return this.#native.sample(logits, accept); // one native call: stages, draw, accept
    }
    const token = this.#native.pick(this.process(logits));
    if (accept) this.#native.accept(token);
    return token;
  }

  /** Appends `token` to the history (e.g. a token chosen elsewhere). A grammar rejects tokens it does not allow. */
  accept(token: number): void {
    this.#native.accept(token);
  }

  /** Back to the state right after creation: the prompt only, fresh RNG and sampler state. */
  reset(): void {
    this.#native.reset();
  }

  /** Frees the native chain; later calls throw `DISPOSED`. */
  dispose(): void {
    this.#native.dispose();
  }

  /** `using sampler = createSampler(...)` */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** @internal builds the native chain for `plan`. */
export function buildNativeSampler(plan: ChainPlan, model: object | null, inputIds: Int32Array, promptLength: number): NativeSampler {
  const { NativeSampler: Ctor } = native();
  try {
    return new Ctor(plan, model, inputIds, promptLength);
  } catch (err) {
    if (err instanceof LlamaError) throw err;
    throw new LlamaError('INTERNAL', String(err), { cause: err });
  }
}
