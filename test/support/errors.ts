/** Assertions on LlamaError rejections. */
import { expect } from 'vitest';
import { LlamaError } from '../../lib/index';

/** Awaits `promise`, expects it to reject with a LlamaError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<LlamaError> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) throw new Error('expected a rejection');
  expect(outcome.error).toBeInstanceOf(LlamaError);
  return outcome.error as LlamaError;
}

/** The code of the LlamaError `promise` rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).code;
}

/** Calls `fn`, expects it to throw a LlamaError of `code` whose message matches `message`. */
export function expectLlamaError(fn: () => unknown, code: string, message?: RegExp): LlamaError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a LlamaError to be thrown').toBeInstanceOf(LlamaError);
  const error = thrown as LlamaError;
  expect(error.code, error.message).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}
