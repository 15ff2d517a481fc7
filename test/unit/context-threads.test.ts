/** Context option defaults and cross-checks (issue 12). */
import { describe, expect, it } from 'vitest';
import { resolveContextOptions } from '../../lib/context';
import { physicalCoreCount } from '../../lib/system';

describe('default threads', () => {
  it('is 1 for a model under 20M parameters', () => {
    const r = resolveContextOptions({}, 256, 260_000);
    expect([r.threads, r.threadsBatch]).toEqual([1, 1]);
  });

  it('is the physical cores for larger models, and what the caller asks for otherwise', () => {
    const r = resolveContextOptions({}, 256, 100e6);
    expect([r.threads, r.threadsBatch]).toEqual([physicalCoreCount(), physicalCoreCount()]);
    expect(resolveContextOptions({ threads: 1, threadsBatch: 1 }, 256, 100e6).threads).toBe(1);
  });
});

describe('batchSize and sequences', () => {
  it('refuses fewer batch rows than sequences (llama.cpp aborted at the first decode) and defaults to enough', () => {
    expect(() => resolveContextOptions({ sequences: 4, batchSize: 2 }, 256)).toThrow(/batchSize \(2\) must be at least sequences \(4\)/);
    expect(() => resolveContextOptions({ sequences: 8, contextSize: 4 }, 256)).toThrow(/contextSize \(4\) must be at least sequences \(8\)/);
    expect(resolveContextOptions({ sequences: 8, contextSize: 8, batchSize: 8 }, 256).batchSize).toBe(8);
    expect(resolveContextOptions({ sequences: 4 }, 256).batchSize).toBe(256);
  });
});
