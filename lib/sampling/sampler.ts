/** A native sampler chain usable from JavaScript: process scores, draw, accept. */
import { argumentError, nativeHandle, optionalBoolean, optionsObject } from '../arguments';
import { LlamaError } from '../errors';
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
    nativeHandle<NativeSampler>(handle, ['apply', 'sample', 'accept', 'dispose'], 'samplers come from createSampler()');
    if (plan === null || typeof plan !== 'object') argumentError('plan', 'be a chain plan', plan);
    if (hook !== undefined && typeof hook !== 'function') argumentError('hook', 'be a function', hook);
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
    if (!(logits instanceof Float32Array)) argumentError('logits', 'be a Float32Array', logits);
    const end = this.plan.stages.length;
    if (!this.#hook) return this.#native.apply(logits, 0, end);
    const scores = this.#native.apply(logits, 0, this.plan.hookAt);
    this.#hook(this.inputIds, scores);
    return this.#native.apply(scores, this.plan.hookAt, end);
  }

  /** Processes `logits`, draws a token (argmax, seeded draw, mirostat...) and by default accepts it. */
  sample(logits: Float32Array, options: SampleOptions = {}): number {
    const accept = optionalBoolean(optionsObject(options, 'sample options', ['accept']).accept, 'accept') ?? true;
    if (!this.#hook) {
      if (!(logits instanceof Float32Array)) argumentError('logits', 'be a Float32Array', logits);
      return this.#native.sample(logits, accept); // one native call: stages, draw, accept
    }
    const token = this.#native.pick(this.process(logits));
    if (accept) this.#native.accept(token);
    return token;
  }

  /** Appends `token` to the history (e.g. a token chosen elsewhere). A grammar rejects tokens it does not allow. */
  accept(token: number): void {
    if (typeof token !== 'number' || !Number.isInteger(token)) argumentError('token', 'be a token id (an integer)', token);
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
