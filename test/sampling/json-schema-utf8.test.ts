/**
 * JSON Schema strings through llama.cpp's grammar sampler, byte by byte:
 * stories260K has a token for every byte (<0x00> … <0xFF> are ids 3 … 258), so
 * the tokens a grammar allows after a partial UTF-8 sequence show whether it
 * lets invalid UTF-8 through. Regression: the `char` rule was a negated class
 * (`[^"\\\x7F\x00-\x1F]`), which llama.cpp matches against any decoded value,
 * so a lone FF byte and an encoded surrogate (ED A0 80) were allowed, and
 * `maxLength` counted them as one character each. Overlong forms (E0 82 80 for
 * U+0080) reach the grammar as their character, so no class can exclude them:
 * the grammar engine refuses them itself (native/grammar/Utf8.h).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampler, loadModel, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';

let model: Model;
beforeAll(async () => {
  model = await loadModel(STORIES_MODEL, { vocabOnly: true });
});
afterAll(() => model.dispose());

/** The byte-fallback token of `byte`. */
const byteToken = (byte: number): number => 3 + byte;

/** Which bytes the grammar of `schema` allows as the next token after `bytes` (each fed as its byte token). */
function allowedBytes(schema: Record<string, unknown>, bytes: number[]): Set<number> {
  const sampler = createSampler({ json_schema: schema }, { model });
  try {
    for (const b of bytes) sampler.accept(byteToken(b));
    const scores = sampler.process(new Float32Array(model.vocabSize));
    const allowed = new Set<number>();
    for (let b = 0; b < 256; b++) if (scores[byteToken(b)] !== -Infinity) allowed.add(b);
    return allowed;
  } finally {
    sampler.dispose();
  }
}

const QUOTE = 0x22;

describe('JSON strings are well-formed UTF-8 under the native grammar sampler', () => {
  it('the byte tokens are where this test expects them', () => {
    expect([...model.tokenToPiece(byteToken(0x41))]).toEqual([0x41]);
    expect([...model.tokenToPiece(byteToken(0xff))]).toEqual([0xff]);
  });

  it.each([
    ['a string', { type: 'string' }],
    ['a string with maxLength', { type: 'string', maxLength: 3 }],
    ['a string with a negated pattern class', { type: 'string', pattern: '^[^a]*$' }],
  ])('%s: no lead byte F5-FF and no lone continuation byte starts a character', (_name, schema) => {
    const allowed = allowedBytes(schema, [QUOTE]);
    for (let b = 0xf5; b <= 0xff; b++) expect(allowed.has(b), `byte ${b.toString(16)}`).toBe(false);
    for (let b = 0x80; b <= 0xbf; b++) expect(allowed.has(b), `byte ${b.toString(16)}`).toBe(false);
    for (const b of [0x41, 0xc3, 0xe2, 0xed, 0xf0, 0xf4]) expect(allowed.has(b), `byte ${b.toString(16)}`).toBe(true);
  });

  it.each([
    ['a string', { type: 'string' }],
    ['a string with maxLength', { type: 'string', maxLength: 3 }],
    ['any object (a key)', { type: 'object' }],
  ])('%s: no encoded surrogate (ED A0..BF) and nothing past U+10FFFF (F4 90..)', (_name, schema) => {
    const prefix = schema.type === 'object' ? [0x7b, QUOTE] : [QUOTE];
    const afterEd = allowedBytes(schema, [...prefix, 0xed]);
    for (let b = 0xa0; b <= 0xbf; b++) expect(afterEd.has(b), `ED ${b.toString(16)}`).toBe(false);
    expect(afterEd.has(0x80)).toBe(true); // ED 80 80 is U+D000
    expect(afterEd.has(0x9f)).toBe(true);
    const afterF4 = allowedBytes(schema, [...prefix, 0xf4]);
    for (let b = 0x90; b <= 0xbf; b++) expect(afterF4.has(b), `F4 ${b.toString(16)}`).toBe(false);
    expect(afterF4.has(0x8f)).toBe(true);
  });

  it.each([
    ['a string', { type: 'string' }],
    ['a string with maxLength', { type: 'string', maxLength: 3 }],
    ['a string with a negated pattern class', { type: 'string', pattern: '^[^a]*$' }],
  ])('%s: overlong forms (C0, C1, E0 80..9F, F0 80..8F) are refused', (_name, schema) => {
    // llama.cpp decodes an overlong form to its character before the grammar sees it (E0 82 80 is
    // U+0080 in 3 bytes), so no character class can exclude it: only the grammar engine can.
    const start = allowedBytes(schema, [QUOTE]);
    expect(start.has(0xc0)).toBe(false);
    expect(start.has(0xc1)).toBe(false);
    expect(start.has(0xc2)).toBe(true);
    const afterE0 = allowedBytes(schema, [QUOTE, 0xe0]);
    for (let b = 0x80; b <= 0x9f; b++) expect(afterE0.has(b), `E0 ${b.toString(16)}`).toBe(false);
    for (let b = 0xa0; b <= 0xbf; b++) expect(afterE0.has(b), `E0 ${b.toString(16)}`).toBe(true);
    const afterF0 = allowedBytes(schema, [QUOTE, 0xf0]);
    for (let b = 0x80; b <= 0x8f; b++) expect(afterF0.has(b), `F0 ${b.toString(16)}`).toBe(false);
    for (let b = 0x90; b <= 0xbf; b++) expect(afterF0.has(b), `F0 ${b.toString(16)}`).toBe(true);
    // the shortest forms of the same code points go on
    expect(allowedBytes(schema, [QUOTE, 0xe0, 0xa0]).has(0x80)).toBe(true); // U+0800
    expect(allowedBytes(schema, [QUOTE, 0xf0, 0x90, 0x80]).has(0x80)).toBe(true); // U+10000
  });

  it('maxLength counts what the grammar lets through as characters', () => {
    // After `"` + one 4-byte character (U+10000) + two ASCII ones, a fourth character is refused: only `"` closes.
    const allowed = allowedBytes({ type: 'string', maxLength: 3 }, [QUOTE, 0xf0, 0x90, 0x80, 0x80, 0x41, 0x42]);
    expect([...allowed]).toEqual([QUOTE]);
  });
});
