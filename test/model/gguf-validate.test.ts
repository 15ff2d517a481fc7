/**
 * lib/gguf/validate.ts: files llama.cpp would abort on are INVALID_MODEL
 * before llama.cpp sees them (issue 12's GGUF reproducers).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LlamaError } from '../../lib/errors';
import { readGgufHeader } from '../../lib/gguf/reader';
import { GgmlType, type GgufHeader } from '../../lib/gguf/types';
import { validateForLlama, validateLoaded } from '../../lib/gguf/validate';
import { runChild } from '../support/child';
import { rewriteModel } from '../support/gguf-rewrite';
import { getTinyModelPath } from '../support/random-llama';

let path: string;
let header: GgufHeader;

beforeAll(async () => {
  path = await getTinyModelPath();
  header = await readGgufHeader(path);
});

/** The header with `edit` applied to a deep copy. */
function edited(edit: (h: GgufHeader) => void): GgufHeader {
  const copy: GgufHeader = { ...header, metadata: { ...header.metadata }, tensors: header.tensors.map((t) => ({ ...t })) };
  edit(copy);
  return copy;
}

function messageOf(h: GgufHeader): string {
  try {
    validateForLlama(h, 'model.gguf');
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    expect((err as LlamaError).code).toBe('INVALID_MODEL');
    return (err as LlamaError).message;
  }
  return 'valid';
}

describe('validateForLlama', () => {
  it('accepts the tiny model and a vocabulary-only file', () => {
    expect(messageOf(header)).toBe('valid');
    expect(messageOf(edited((h) => { h.tensorCount = 0; h.tensors = []; }))).toBe('valid');
  });

  it.each([
    ['alignment below 32', (h: GgufHeader) => { h.alignment = 16; }, /general.alignment is 16/],
    ['block_count 0', (h: GgufHeader) => { h.metadata['llama.block_count'] = 0; }, /llama.block_count is 0/],
    ['block_count beyond the tensors', (h: GgufHeader) => { h.metadata['llama.block_count'] = 100000; }, /llama.block_count is 100000/],
    ['rms epsilon NaN', (h: GgufHeader) => { h.metadata['llama.attention.layer_norm_rms_epsilon'] = NaN; }, /layer_norm_rms_epsilon is NaN/],
    ['rms epsilon negative', (h: GgufHeader) => { h.metadata['llama.attention.layer_norm_rms_epsilon'] = -1e-5; }, /finite number >= 0/],
    ['a 0 in head_count_kv', (h: GgufHeader) => { h.metadata['llama.attention.head_count_kv'] = [2, 0]; }, /head_count_kv is 0 for layer 1/],
    ['heads not a multiple of kv heads', (h: GgufHeader) => { h.metadata['llama.attention.head_count_kv'] = 3; }, /not a multiple/],
    ['more experts used than there are', (h: GgufHeader) => { h.metadata['llama.expert_count'] = 4; h.metadata['llama.expert_used_count'] = 8; }, /expert_used_count/],
    ['experts without any used', (h: GgufHeader) => { h.metadata['llama.expert_count'] = 4; h.metadata['llama.expert_used_count'] = 0; }, /expert_used_count/],
    ['a quantized norm weight', (h: GgufHeader) => { h.tensors.find((t) => t.name.endsWith('attn_norm.weight'))!.type = GgmlType.Q8_0; }, /attn_norm.weight has type Q8_0/],
    ['an F16 norm weight', (h: GgufHeader) => { h.tensors.find((t) => t.name.endsWith('ffn_norm.weight'))!.type = GgmlType.F16; }, /ffn_norm.weight has type F16; norm weights and biases must be F32/],
    ['a BF16 bias', (h: GgufHeader) => { h.tensors[1] = { ...h.tensors[1], name: 'blk.0.attn_q.bias', type: GgmlType.BF16 }; }, /attn_q.bias has type BF16/],
    ['token texts equal up to a NUL', (h: GgufHeader) => { const t = [...(h.metadata['tokenizer.ggml.tokens'] as string[])]; t[9] = `${t[8]}\0x`; h.metadata['tokenizer.ggml.tokens'] = t; }, /tokens 8 and 9 of tokenizer.ggml.tokens/],
    ['a duplicate token text', (h: GgufHeader) => { const t = [...(h.metadata['tokenizer.ggml.tokens'] as string[])]; t[7] = t[5]; h.metadata['tokenizer.ggml.tokens'] = t; }, /tokens 5 and 7 of tokenizer.ggml.tokens/],
  ])('%s', (_name, edit, message) => {
    expect(messageOf(edited(edit))).toMatch(message);
  });

  it('a multi-section rope without its sections is INVALID_MODEL once llama.cpp says the rope type', () => {
    expect(() => validateLoaded(header, 8, 'model.gguf')).toThrow(/rope.dimension_sections needs a positive entry/);
    expect(() => validateLoaded(header, 40, 'model.gguf')).toThrow(LlamaError);
    const withSections = edited((h) => { h.metadata[`${h.metadata['general.architecture']}.rope.dimension_sections`] = [0, 16, 0, 0]; });
    expect(() => validateLoaded(withSections, 8, 'model.gguf')).not.toThrow();
    expect(() => validateLoaded(header, 0, 'model.gguf')).not.toThrow();
  });

  it('hybrid layers without attention (0 heads and 0 kv heads) are fine', () => {
    expect(messageOf(edited((h) => { h.metadata['llama.attention.head_count'] = [4, 0]; h.metadata['llama.attention.head_count_kv'] = [2, 0]; }))).toBe('valid');
  });
});

describe('loadModel on a file llama.cpp asserts on', () => {
  it('a duplicate token text (one flipped bit) is INVALID_MODEL, not an abort', async () => {
    // Regression: llama-vocab.cpp's id/token size assert aborted the process.
    const tokens = header.metadata['tokenizer.ggml.tokens'] as string[];
    // two different tokens of the same byte length; write the first's bytes over the second's
    const byLength = new Map<number, number>();
    let pair: [number, number] | undefined;
    for (let i = 3; i < tokens.length && !pair; i++) {
      const n = Buffer.byteLength(tokens[i]);
      const j = byLength.get(n);
      if (j !== undefined) pair = [j, i];
      else byLength.set(n, i);
    }
    const [a, b] = pair!;
    const bytes = readFileSync(path);
    const encoded = (text: string): Buffer => {
      const body = Buffer.from(text, 'utf8');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(body.length));
      return Buffer.concat([len, body]);
    };
    const at = bytes.indexOf(encoded(tokens[b]));
    expect(at).toBeGreaterThan(0);
    encoded(tokens[a]).copy(bytes, at);
    const file = join(mkdtempSync(join(tmpdir(), 'gguf-validate-')), 'duplicate.gguf');
    writeFileSync(file, bytes);
    const r = runChild(`
      require('./dist').loadModel(${JSON.stringify(file)}).then(
        () => console.log('loaded'),
        (e) => console.log(e.code + ' ' + e.message),
      );
    `);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout).toMatch(new RegExp(`^INVALID_MODEL .*tokens ${a} and ${b} of tokenizer.ggml.tokens`));
  });
});

describe('load-time asserts of llama.cpp', () => {
  it.each([
    ['nextn_predict_layers beyond block_count', { 'llama.nextn_predict_layers': { type: 'u32', value: 99 } }, /n_layer_nextn <= hparams.n_layer_all/],
    ['an unknown rope scaling type', { 'llama.rope.scaling.type': { type: 'string', value: 'x' } }, /rope_scaling_type_train/],
    ['expert groups without experts', { 'llama.expert_group_count': { type: 'u32', value: 2 } }, /n_expert_groups == 0/],
  ] as const)('%s is INVALID_MODEL, not an abort', async (name, metadata, message) => {
    // Regression: GGML_ASSERT in llama.cpp's hyperparameter loading aborted the process; the
    // addon's AssertGuard turns asserts on the loading thread into a failed load.
    const file = join(mkdtempSync(join(tmpdir(), 'gguf-assert-')), 'model.gguf');
    await rewriteModel(path, file, { metadata: metadata as never });
    const r = runChild(`
      require('./dist').loadModel(${JSON.stringify(file)}).then(
        () => console.log('loaded'),
        (e) => console.log(e.code + ' ' + e.message),
      );
    `, [], { GGML_NO_BACKTRACE: '1' });
    expect(r.signal, `${name}: ${r.stderr}`).toBeNull();
    expect(r.stdout).toMatch(/^INVALID_MODEL .*llama.cpp assertion failed/);
    expect(r.stdout).toMatch(message);
  });
});

describe('vocabularies llama.cpp asserts on', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gguf-vocab-'));
  });

  /** Loads `file` in a child process and runs `body` (with `m` the model), printing its lines. */
  function inChild(file: string, body: string) {
    return runChild(`
      const { loadModel } = require('./dist');
      const show = (e) => console.log(e.code + ' ' + e.message);
      loadModel(${JSON.stringify(file)}).then(async (m) => { ${body} }, show);
    `);
  }

  it('a WordPiece (bert) vocabulary with byte tokens is INVALID_MODEL, not an abort', async () => {
    // Regression: llama-vocab.cpp's token_to_byte aborted for a bert vocabulary with byte tokens.
    const file = join(dir, 'bert-bytes.gguf');
    await rewriteModel(path, file, { metadata: { 'tokenizer.ggml.model': { type: 'string', value: 'bert' } } });
    const r = inChild(file, `console.log('loaded')`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout).toMatch(/^INVALID_MODEL .*token \d+ is a byte token/);
  });

  it('a model without a vocabulary refuses text but generates from token ids (empty text)', async () => {
    const file = join(dir, 'no-vocab.gguf');
    await rewriteModel(path, file, { metadata: { 'tokenizer.ggml.model': { type: 'string', value: 'no_vocab' } } });
    const r = inChild(file, `
      try { m.tokenize('hi'); } catch (e) { show(e); }
      console.log(JSON.stringify(m.detokenize([1, 2])), m.tokenToPiece(5).length);
      const c = await m.createContext({ contextSize: 64 });
      const result = await c.generate(new Int32Array([1, 2, 3]), { max_new_tokens: 3, ignore_eos: true }).result;
      console.log('generated', result.tokens.length, JSON.stringify(result.text));
      try { await c.generate('hi').result; } catch (e) { show(e); }
    `);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^UNSUPPORTED the model has no vocabulary/),
      '"" 0',
      'generated 3 ""',
      expect.stringMatching(/^UNSUPPORTED the model has no vocabulary/),
    ]);
  });

  it('a special token the vocabulary must add but lacks is UNSUPPORTED, not an abort', async () => {
    // A bert vocabulary of 100 tokens: CLS (101) and SEP (102) are out of range, so
    // llama.cpp disables them and then asserts when tokenizing with special tokens.
    const n = 100;
    const file = join(dir, 'bert-small.gguf');
    const tokens = (header.metadata['tokenizer.ggml.tokens'] as string[]).slice(0, n);
    const embd = Number(header.tensors.find((t) => t.name === 'token_embd.weight')!.shape[0]);
    await rewriteModel(path, file, {
      metadata: {
        'tokenizer.ggml.model': { type: 'string', value: 'bert' },
        'tokenizer.ggml.tokens': { type: 'array', itemType: 'string', value: tokens },
        'tokenizer.ggml.token_type': { type: 'array', itemType: 'i32', value: tokens.map(() => 1) },
        'tokenizer.ggml.scores': undefined,
        'tokenizer.ggml.bos_token_id': undefined,
        'tokenizer.ggml.eos_token_id': undefined,
        'tokenizer.ggml.unknown_token_id': undefined,
        'tokenizer.ggml.padding_token_id': undefined,
      },
      tensors: (ts) => ts.map((t) => t.name === 'token_embd.weight' || t.name === 'output.weight'
        ? { ...t, shape: [embd, n], data: (t.data as Float32Array).slice(0, embd * n) }
        : t),
    });
    const r = inChild(file, `
      try { m.tokenize('hi'); } catch (e) { show(e); }
      console.log('plain', m.tokenize('hi', { addSpecial: false }).length >= 0);
    `);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^UNSUPPORTED the model adds a BOS token but has none/),
      'plain true',
    ]);
  });
});
