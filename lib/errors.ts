/**
 * The one error type of llama-generate. Every failure, from TypeScript
 * validation or from the native layer, is a {@link LlamaError} with a stable
 * {@link LlamaError.code}; messages may change between versions, codes do not.
 */

/** Every error code, in one place (native/Errors.h mirrors this list). */
export const ErrorCodes = [
  /** The model file does not exist. */
  'MODEL_NOT_FOUND',
  /** The file exists but is not a model llama.cpp can load. */
  'INVALID_MODEL',
  /** An argument or option is out of range, of the wrong type or contradicts another. */
  'INVALID_ARGUMENT',
  /** Memory for weights, the KV cache or compute buffers could not be allocated. */
  'OUT_OF_MEMORY',
  /** More tokens than the context (or one sequence of it) can hold. */
  'CONTEXT_OVERFLOW',
  /** The object was disposed before or during the call. */
  'DISPOSED',
  /** The operation was cancelled through its AbortSignal. */
  'ABORTED',
  /** The native addon could not be loaded, or a backend is missing. */
  'BACKEND_UNAVAILABLE',
  /** A synchronous native call found another operation running on the context. */
  'BUSY',
  /** llama_decode failed for a reason other than the above. */
  'DECODE_FAILED',
  /** Saving or restoring state failed (bad file, bad buffer, I/O error). */
  'STATE_IO',
  /** The operation is valid but this model or configuration cannot do it. */
  'UNSUPPORTED',
  /**
   * A constrained output is not a complete value: reading `json` of a
   * generation that stopped (max_new_tokens, a stop string, max_time, an
   * abort) before its JSON value ended.
   */
  'INCOMPLETE_OUTPUT',
  /** Accepted but not implemented yet in this version. */
  'NOT_IMPLEMENTED',
  /** A bug: an unexpected native failure. Please report it. */
  'INTERNAL',
] as const;

/** A stable error code; see {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** Error thrown (or rejected with) by every llama-generate API. */
export class LlamaError extends Error {
  /** The stable, machine-readable reason. */
  readonly code: ErrorCode;

  /**
   * @param code - the stable code
   * @param message - a human-readable description (the native message where there is one)
   * @param options - standard error options (`cause`)
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LlamaError';
    this.code = code;
  }
}

/** Whether `value` is a {@link LlamaError}, optionally with the given code. */
export function isLlamaError(value: unknown, code?: ErrorCode): value is LlamaError {
  return value instanceof LlamaError && (code === undefined || value.code === code);
}

/**
 * Runs `operation` and, if it rejects with a LlamaError created by native code
 * (whose stack is empty of user frames), gives the error the caller's stack.
 * @internal
 */
export async function withCallSite<T>(operation: () => Promise<T>): Promise<T> {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, withCallSite);
  try {
    return await operation();
  } catch (err) {
    if (err instanceof LlamaError && site.stack) {
      const frames = site.stack.split('\n').slice(1).join('\n');
      err.stack = `${err.name} [${err.code}]: ${err.message}\n${frames}`;
    }
    throw err;
  }
}

/** @internal */
export function invalidArgument(message: string): LlamaError {
  return new LlamaError('INVALID_ARGUMENT', message);
}
