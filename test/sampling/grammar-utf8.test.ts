/**
 * The grammar engine refuses invalid UTF-8 whatever the grammar
 * (native/grammar/Utf8.h), where llama.cpp's decoder lets it through. The
 * llama SPM vocabulary has a byte-fallback token for every byte (<0x00> …
 * <0xFF> are ids 3 … 258), so feeding bytes one token at a time shows which
 * bytes each engine allows next: lead bytes C0, C1 and F5-FF, overlong second
 * bytes (E0 80..9F, F0 80..8F), encoded surrogates (ED A0..BF) and code points
 * past U+10FFFF (F4 90..BF) are refused by ours, as is the end of text
 * inside a character, while every valid character split over byte tokens
 * still goes through.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import type { NativeSampler } from '../../lib/native';
import { nativeModelOf } from '../../lib/model';
import { planChain } from '../../lib/sampling/plan';
import { buildNativeSampler } from '../../lib/sampling/sampler';
import { ROOT } from '../support/models';

const VOCAB = join(ROOT, 'vendor', 'llama.cpp', 'models', 'ggml-vocab-llama-spm.gguf');
type Engine = 'llama-generate' | 'llama.cpp';

let model: Model;
beforeAll(async () => {
  model = await loadModel(VOCAB, { vocabOnly: true });
});
afterAll(() => model.dispose());

/** The byte-fallback token of `byte`. */
const byteToken = (byte: number): number => 3 + byte;
const EOS = 2;

function sampler(grammar: string, engine: Engine): NativeSampler {
  const plan = planChain({ grammar }, { vocabSize: model.vocabSize });
  const withEngine = { ...plan, stages: plan.stages.map((s) => (s.kind === 'grammar' ? { ...s, engine } : s)) };
  return buildNativeSampler(withEngine, nativeModelOf(model), new Int32Array(0), 0);
}

/** The bytes (and whether end of text) `engine` allows after `bytes`, each fed as its byte token. */
function allowed(grammar: string, bytes: number[], engine: Engine = 'llama-generate'): { bytes: Set<number>; eos: boolean } {
  const s = sampler(grammar, engine);
  try {
    for (const b of bytes) s.accept(byteToken(b));
    const scores = s.apply(new Float32Array(model.vocabSize), 0, 1);
    const out = new Set<number>();
    for (let b = 0; b < 256; b++) if (scores[byteToken(b)] !== -Infinity) out.add(b);
    return { bytes: out, eos: scores[EOS] !== -Infinity };
  } finally {
    s.dispose();
  }
}

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const hex = (bs: number[]): string => bs.map((b) => b.toString(16).padStart(2, '0')).join(' ');

const GRAMMARS = ['root ::= [^"]*', 'root ::= .*', 'root ::= [^a-z]*'];

describe('the grammar engine refuses invalid UTF-8 (byte-fallback tokens)', () => {
  it('the byte tokens are where this test expects them', () => {
    expect([...model.tokenToPiece(byteToken(0x41))]).toEqual([0x41]);
    expect([...model.tokenToPiece(byteToken(0xc0))]).toEqual([0xc0]);
    expect([...model.tokenToPiece(byteToken(0xff))]).toEqual([0xff]);
  });

  it.each(GRAMMARS)('%s: lead bytes C0, C1, F5-FF and lone continuation bytes are refused, valid leads allowed', (grammar) => {
    const ours = allowed(grammar, []).bytes;
    for (const b of [0xc0, 0xc1, ...range(0xf5, 0xff), ...range(0x80, 0xbf)]) expect(ours.has(b), hex([b])).toBe(false);
    for (const b of [...range(0xc2, 0xdf), ...range(0xe0, 0xef), ...range(0xf0, 0xf4)]) expect(ours.has(b), hex([b])).toBe(true);
    // llama.cpp's decoder takes F5-FF as the lead of a 4-byte sequence
    const llama = allowed(grammar, [], 'llama.cpp').bytes;
    for (const b of range(0xf5, 0xff)) expect(llama.has(b), hex([b])).toBe(true);
  });

  it.each(GRAMMARS)('%s: the second byte after E0, ED, F0 and F4 is refused where it can only be overlong, a surrogate or past U+10FFFF', (grammar) => {
    const cases: [number, number[], number[]][] = [
      [0xe0, range(0x80, 0x9f), range(0xa0, 0xbf)], // overlong below U+0800
      [0xed, range(0xa0, 0xbf), range(0x80, 0x9f)], // U+D800-DFFF
      [0xf0, range(0x80, 0x8f), range(0x90, 0xbf)], // overlong below U+10000
      [0xf4, range(0x90, 0xbf), range(0x80, 0x8f)], // past U+10FFFF
    ];
    for (const [lead, refused, taken] of cases) {
      const ours = allowed(grammar, [lead]).bytes;
      for (const b of refused) expect(ours.has(b), hex([lead, b])).toBe(false);
      for (const b of taken) expect(ours.has(b), hex([lead, b])).toBe(true);
      for (const b of [0x41, 0xc2, 0xe0, 0xf0]) expect(ours.has(b), hex([lead, b])).toBe(false); // not a continuation byte
    }
    // llama.cpp lets the overlong E0 82..9F (U+0080-07FF in 3 bytes) through, and the surrogates after ED
    const llamaE0 = allowed(grammar, [0xe0], 'llama.cpp').bytes;
    for (const b of range(0x82, 0x9f)) expect(llamaE0.has(b), hex([0xe0, b])).toBe(true);
    expect(allowed(grammar, [0xed], 'llama.cpp').bytes.has(0xa0)).toBe(true);
  });

  it.each(GRAMMARS)('%s: valid characters split over byte tokens go through, at the edges of each length', (grammar) => {
    const characters = [
      [0xc2, 0x80], // U+0080
      [0xdf, 0xbf], // U+07FF
      [0xe0, 0xa0, 0x80], // U+0800
      [0xe4, 0xb8, 0xad], // 中
      [0xed, 0x9f, 0xbf], // U+D7FF
      [0xee, 0x80, 0x80], // U+E000
      [0xef, 0xbf, 0xbf], // U+FFFF
      [0xf0, 0x90, 0x80, 0x80], // U+10000
      [0xf0, 0x9f, 0x98, 0x80], // 😀
      [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
    ];
    for (const bytes of characters) {
      for (let k = 1; k < bytes.length; k++) {
        const next = allowed(grammar, bytes.slice(0, k));
        expect(next.bytes.has(bytes[k]!), hex(bytes.slice(0, k + 1))).toBe(true);
        expect(next.eos, `end of text after ${hex(bytes.slice(0, k))}`).toBe(false); // inside a character
      }
      const after = allowed(grammar, bytes);
      expect(after.bytes.has(0x30), `${hex(bytes)} then "0"`).toBe(true);
      expect(after.eos).toBe(true);
    }
  });

  it('the text cannot end inside a character', () => {
    // (llama.cpp refuses it too after a token that is only part of a character: see below for one that is not)
    for (const bytes of [[0xc3], [0xe4, 0xb8], [0xf0, 0x9f, 0x98]]) expect(allowed('root ::= [^"]*', bytes).eos, hex(bytes)).toBe(false);
    expect(allowed('root ::= [^"]*', [0xc3, 0xa9]).eos).toBe(true);
    const s = sampler('root ::= [^"]*', 'llama-generate');
    try {
      s.accept(byteToken(0xc3));
      expect(() => s.accept(EOS)).toThrow(/grammar cannot end here/);
    } finally {
      s.dispose();
    }
  });

  it('a completed overlong form cannot be accepted either (the accept decodes strictly too)', () => {
    const s = sampler('root ::= [^"]*', 'llama-generate');
    try {
      s.accept(byteToken(0xe0));
      expect(() => s.accept(byteToken(0x82))).toThrow(/grammar rejected token/);
    } finally {
      s.dispose();
    }
  });

  it('a class with bounds among the surrogates: completions of a lone ED are U+D000-D7FF only', () => {
    // llama.cpp's range for a lone ED is U+D000-DFFF: it allows ED for a class of surrogates only
    // (no valid character can follow), and refuses it for a class that excludes the surrogates.
    expect(allowed('root ::= [\\uD800-\\uDFFF]', []).bytes.has(0xed)).toBe(false);
    expect(allowed('root ::= [\\uD800-\\uDFFF]', [], 'llama.cpp').bytes.has(0xed)).toBe(true);
    expect(allowed('root ::= [^\\uD800-\\uDFFF]', []).bytes.has(0xed)).toBe(true);
    expect(allowed('root ::= [^\\uD800-\\uDFFF]', [], 'llama.cpp').bytes.has(0xed)).toBe(false);
    expect(allowed('root ::= [\\uD000-\\uD7FF]', []).bytes.has(0xed)).toBe(true);
  });
});

describe('the end of text inside a character (GPT-2 vocabulary)', () => {
  it('after " \\xC3" (a space, then the lead of a 2-byte character) end-of-generation is refused; llama.cpp allows it', async () => {
    const gpt2 = await loadModel(join(ROOT, 'vendor', 'llama.cpp', 'models', 'ggml-vocab-gpt-2.gguf'), { vocabOnly: true });
    try {
      const spaceC3 = 6184;
      expect([...gpt2.tokenToPiece(spaceC3)]).toEqual([0x20, 0xc3]);
      const eog = [...Array(gpt2.vocabSize).keys()].filter((t) => gpt2.isEog(t));
      expect(eog.length).toBeGreaterThan(0);
      const plan = planChain({ grammar: 'root ::= [^"]*' }, { vocabSize: gpt2.vocabSize });
      for (const engine of ['llama-generate', 'llama.cpp'] as const) {
        const withEngine = { ...plan, stages: plan.stages.map((st) => (st.kind === 'grammar' ? { ...st, engine } : st)) };
        const s = buildNativeSampler(withEngine, nativeModelOf(gpt2), new Int32Array(0), 0);
        try {
          s.accept(spaceC3);
          const scores = s.apply(new Float32Array(gpt2.vocabSize), 0, 1);
          for (const t of eog) expect(scores[t] !== -Infinity, `${engine}: end-of-generation token ${t}`).toBe(engine === 'llama.cpp');
        } finally {
          s.dispose();
        }
      }
    } finally {
      gpt2.dispose();
    }
  });
});
