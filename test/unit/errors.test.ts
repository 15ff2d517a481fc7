/** The error codes are one list, shared by TypeScript and C++. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, LlamaError, isLlamaError } from '../../lib/index';
import { ROOT } from '../support/models';

describe('LlamaError', () => {
  it('carries a stable code, a name and a cause', () => {
    const cause = new Error('root');
    const err = new LlamaError('INVALID_ARGUMENT', 'bad', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('LlamaError');
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('bad');
    expect(err.cause).toBe(cause);
    expect(isLlamaError(err)).toBe(true);
    expect(isLlamaError(err, 'DISPOSED')).toBe(false);
    expect(isLlamaError(new Error('x'))).toBe(false);
  });

  it('has at least the codes the API promises', () => {
    for (const code of ['MODEL_NOT_FOUND', 'INVALID_MODEL', 'INVALID_ARGUMENT', 'OUT_OF_MEMORY', 'CONTEXT_OVERFLOW', 'DISPOSED', 'ABORTED', 'BACKEND_UNAVAILABLE']) {
      expect(ErrorCodes).toContain(code);
    }
  });

  it('every code the native layer can produce is a known TypeScript code', () => {
    const header = readFileSync(join(ROOT, 'native', 'Errors.h'), 'utf8');
    const nativeCodes = [...header.matchAll(/inline constexpr const char\* k\w+ = "(\w+)";/g)].map((m) => m[1]);
    expect(nativeCodes.length).toBeGreaterThan(8);
    for (const code of nativeCodes) expect(ErrorCodes).toContain(code);
    // And native/Errors.h lists every TypeScript code: one table of codes on both sides.
    expect(ErrorCodes.filter((c) => !nativeCodes.includes(c))).toEqual([]);
  });
});
