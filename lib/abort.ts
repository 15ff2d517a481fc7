/** Bridges an AbortSignal to a native operation's abort(). @internal */
import { LlamaError, invalidArgument } from './errors';
import type { NativeAbortable } from './native';

/** Throws INVALID_ARGUMENT when `signal` is not an AbortSignal, ABORTED when it is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument(`signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  if (signal?.aborted) throw new LlamaError('ABORTED', `${what} aborted`, { cause: signal.reason });
}

/**
 * Starts a native operation and cancels it when `signal` aborts. The
 * returned promise settles only when the native side has finished, so no
 * work outlives the call.
 */
export async function runAbortable<T>(
  start: () => NativeAbortable<T>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  throwIfAborted(signal, what);
  const op = start();
  if (!signal) return op.promise;
  const onAbort = (): void => op.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await op.promise;
  } catch (err) {
    if (err instanceof LlamaError && err.code === 'ABORTED' && signal.aborted) err.cause ??= signal.reason;
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
