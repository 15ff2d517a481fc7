/** Tokenizer round trips on the real stories260K and on generated models with real vocabularies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';

const TEXTS = {
  ascii: 'Hello, world! The quick brown fox jumps over the lazy dog 0123456789.',
  multibyte: 'Grüße aus Köln — naïve café, Ελληνικά, русский, 日本語のテキスト',
  emoji: 'llamas 🦙 and rockets 🚀, flags 🇫🇷, family 👩‍👩‍👧',
  whitespace: '  leading spaces\n\ttabs and\r\nnewlines  ',
};

/** Vocabularies to test: the real model, and random models carrying llama.cpp's SPM and BPE vocab files. */
const VOCABS: Array<{ name: string; path: () => Promise<string> }> = [
  { name: 'stories260K (spm, 512 tokens)', path: async () => STORIES_MODEL },
  { name: 'llama-spm (32000 tokens)', path: () => getTinyModelPath({ vocab: 'llama-spm' }) },
  { name: 'gpt-2 (bpe)', path: () => getTinyModelPath({ vocab: 'gpt-2' }) },
];

describe.each(VOCABS)('$name', ({ path }) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(await path(), { vocabOnly: true });
  });
  afterAll(() => model.dispose());

  it.each(Object.entries(TEXTS))('round-trips %s text', (_kind, text) => {
    const tokens = model.tokenize(text, { addSpecial: false });
    expect(tokens).toBeInstanceOf(Int32Array);
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) expect(t >= 0 && t < model.vocabSize).toBe(true);
    expect(model.detokenize(tokens)).toBe(text);
  });

  it('pieces are raw bytes that concatenate to the UTF-8 text', () => {
    const text = TEXTS.emoji + TEXTS.multibyte;
    const tokens = model.tokenize(text, { addSpecial: false });
    const bytes = Buffer.concat([...tokens].map((t) => Buffer.from(model.tokenToPiece(t))));
    // SPM marks word starts with a space; the detokenizer drops the one leading space.
    expect(bytes.toString('utf8').replace(/^ /, '')).toBe(text);
  });

  it('adds BOS only when asked and when the vocabulary wants it', () => {
    const withSpecial = model.tokenize('Hi', { addSpecial: true });
    const without = model.tokenize('Hi', { addSpecial: false });
    if (model.addsBos) {
      expect(withSpecial[0]).toBe(model.specialTokens.bos);
      expect([...withSpecial.slice(1)]).toEqual([...without]);
    } else {
      expect([...withSpecial]).toEqual([...without]);
    }
    // llama.cpp keeps SPM's word-start space after a removed BOS, so compare trimmed.
    const text = model.detokenize(withSpecial, { removeSpecial: true });
    expect(text.trimStart()).toBe('Hi');
    if (model.addsBos) expect(model.detokenize(withSpecial, { unparseSpecial: true }).startsWith(model.detokenize([model.specialTokens.bos!], { unparseSpecial: true }))).toBe(true);
  });

  it('parses special-token text only with parseSpecial', () => {
    const eos = model.specialTokens.eos!;
    const eosText = model.detokenize([eos], { unparseSpecial: true });
    expect(eosText.length).toBeGreaterThan(0);
    const parsed = model.tokenize(`a${eosText}`, { addSpecial: false, parseSpecial: true });
    expect(parsed[parsed.length - 1]).toBe(eos);
    const literal = model.tokenize(`a${eosText}`, { addSpecial: false, parseSpecial: false });
    expect([...literal]).not.toContain(eos);
    expect(model.detokenize(parsed, { unparseSpecial: true })).toBe(`a${eosText}`);
    expect(model.detokenize(parsed)).toBe('a');
  });

  it('knows its end-of-generation tokens', () => {
    expect(model.isEog(model.specialTokens.eos!)).toBe(true);
    expect(model.isEog(model.tokenize('a', { addSpecial: false })[0])).toBe(false);
  });

  it('rejects token ids outside the vocabulary with INVALID_ARGUMENT', () => {
    for (const bad of [-1, model.vocabSize, 2 ** 31 - 1]) {
      expect(() => model.detokenize([bad])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => model.tokenToPiece(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => model.isEog(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => model.detokenize([1.5])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => model.tokenize(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => model.detokenize('abc' as unknown as number[])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('handles empty input', () => {
    expect(model.tokenize('', { addSpecial: false }).length).toBe(0);
    expect(model.detokenize([])).toBe('');
  });
});

describe('stories260K pieces', () => {
  it('splits an emoji into byte tokens whose pieces are not valid UTF-8 alone', async () => {
    const model = await loadModel(STORIES_MODEL, { vocabOnly: true });
    try {
      const tokens = model.tokenize('🦙', { addSpecial: false });
      const pieces = [...tokens].map((t) => Buffer.from(model.tokenToPiece(t)));
      const partial = pieces.filter((p) => p.length === 1 && p[0] >= 0x80);
      expect(partial.length).toBeGreaterThanOrEqual(4);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(partial[0])).toThrow();
      expect(Buffer.concat(pieces).toString('utf8').trim()).toBe('🦙');
    } finally {
      model.dispose();
    }
  });
});
