/** The committed demo model is the pinned stories260K, byte for byte. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, STORIES_MODEL } from '../support/models';

const SHA256 = '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d';
const SHARED = join(ROOT, '..', 'shared', 'models', 'stories260K.gguf');

if (!existsSync(SHARED)) console.warn(`skipped: no ${SHARED} to compare the committed copy with`);

describe('models/stories260K.gguf', () => {
  it('has the pinned sha256', () => {
    expect(createHash('sha256').update(readFileSync(STORIES_MODEL)).digest('hex')).toBe(SHA256);
  });

  it.skipIf(!existsSync(SHARED))('is the same file as ../shared/models/stories260K.gguf', () => {
    expect(readFileSync(STORIES_MODEL).equals(readFileSync(SHARED))).toBe(true);
  });
});
