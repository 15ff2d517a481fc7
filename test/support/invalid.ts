/** Assertions that a call fails with a typed INVALID_ARGUMENT, whether it throws or rejects. */
import { expect } from 'vitest';
import { LlamaError } from '../../lib/index';

/** Runs `call` (sync or async) and returns the error it throws or rejects with (fails when it succeeds). */
export async function errorOf(call: () => unknown): Promise<unknown> {
  try {
    const value = call();
    if (value && typeof (value as Promise<unknown>).then === 'function') await value;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Expects `call` to fail with a LlamaError INVALID_ARGUMENT whose message matches `message`. */
export async function expectInvalid(call: () => unknown, message?: RegExp): Promise<void> {
  const err = await errorOf(call);
  expect(err, String(err)).toBeInstanceOf(LlamaError);
  expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
  if (message) expect((err as LlamaError).message).toMatch(message);
}
