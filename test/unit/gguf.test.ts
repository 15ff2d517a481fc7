import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader } from '../../lib/gguf/reader';
import { GgmlType, GgufValueType } from '../../lib/gguf/types';
import { encodeQ8_0, float32ToFloat16Bits, writeGguf, type GgufFileSpec, type GgufTypedValue } from '../support/gguf-writer';
import { getTinyModelPath, tinyLlamaOptions, writeRandomLlama, type RandomLlamaOptions } from '../support/random-llama';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One entry per value type, with edge values; `expected` is what the reader must return. */
const SCALAR_CASES: Array<{ key: string; typed: GgufTypedValue; expected: unknown; type: GgufValueType }> = [
  { key: 't.u8', typed: { type: 'u8', value: 255 }, expected: 255, type: GgufValueType.UINT8 },
  { key: 't.i8', typed: { type: 'i8', value: -128 }, expected: -128, type: GgufValueType.INT8 },
  { key: 't.u16', typed: { type: 'u16', value: 65535 }, expected: 65535, type: GgufValueType.UINT16 },
  { key: 't.i16', typed: { type: 'i16', value: -32768 }, expected: -32768, type: GgufValueType.INT16 },
  { key: 't.u32', typed: { type: 'u32', value: 4294967295 }, expected: 4294967295, type: GgufValueType.UINT32 },
  { key: 't.i32', typed: { type: 'i32', value: -2147483648 }, expected: -2147483648, type: GgufValueType.INT32 },
  { key: 't.f32', typed: { type: 'f32', value: 0.1 }, expected: Math.fround(0.1), type: GgufValueType.FLOAT32 },
  { key: 't.bool', typed: { type: 'bool', value: true }, expected: true, type: GgufValueType.BOOL },
  { key: 't.string', typed: { type: 'string', value: 'héllo — 日本語 🦙' }, expected: 'héllo — 日本語 🦙', type: GgufValueType.STRING },
  { key: 't.u64.safe', typed: { type: 'u64', value: 2 ** 53 - 1 }, expected: 2 ** 53 - 1, type: GgufValueType.UINT64 },
  { key: 't.u64.big', typed: { type: 'u64', value: 2n ** 64n - 1n }, expected: 2n ** 64n - 1n, type: GgufValueType.UINT64 },
  { key: 't.u64.2^53+1', typed: { type: 'u64', value: 2n ** 53n + 1n }, expected: 2n ** 53n + 1n, type: GgufValueType.UINT64 },
  { key: 't.i64.small', typed: { type: 'i64', value: -5n }, expected: -5, type: GgufValueType.INT64 },
  { key: 't.i64.min', typed: { type: 'i64', value: -(2n ** 63n) }, expected: -(2n ** 63n), type: GgufValueType.INT64 },
  { key: 't.f64', typed: { type: 'f64', value: Math.PI }, expected: Math.PI, type: GgufValueType.FLOAT64 },
];

const ARRAY_CASES: Array<{ key: string; typed: GgufTypedValue; expected: unknown[]; itemType: GgufValueType }> = [
  { key: 'a.u8', typed: { type: 'array', itemType: 'u8', value: [0, 1, 255] }, expected: [0, 1, 255], itemType: GgufValueType.UINT8 },
  { key: 'a.i8', typed: { type: 'array', itemType: 'i8', value: [-128, 127] }, expected: [-128, 127], itemType: GgufValueType.INT8 },
  { key: 'a.u16', typed: { type: 'array', itemType: 'u16', value: [7, 65535] }, expected: [7, 65535], itemType: GgufValueType.UINT16 },
  { key: 'a.i16', typed: { type: 'array', itemType: 'i16', value: [-1, 300] }, expected: [-1, 300], itemType: GgufValueType.INT16 },
  { key: 'a.u32', typed: { type: 'array', itemType: 'u32', value: [1, 2, 3] }, expected: [1, 2, 3], itemType: GgufValueType.UINT32 },
  { key: 'a.i32', typed: { type: 'array', itemType: 'i32', value: [-7, 8] }, expected: [-7, 8], itemType: GgufValueType.INT32 },
  { key: 'a.f32', typed: { type: 'array', itemType: 'f32', value: [1.5, -0.25] }, expected: [1.5, -0.25], itemType: GgufValueType.FLOAT32 },
  { key: 'a.bool', typed: { type: 'array', itemType: 'bool', value: [true, false] }, expected: [true, false], itemType: GgufValueType.BOOL },
  {
    key: 'a.string',
    typed: { type: 'array', itemType: 'string', value: ['', 'ä', '▁the', '🦙🦙'] },
    expected: ['', 'ä', '▁the', '🦙🦙'],
    itemType: GgufValueType.STRING,
  },
  { key: 'a.u64', typed: { type: 'array', itemType: 'u64', value: [1, 2n ** 60n] }, expected: [1, 2n ** 60n], itemType: GgufValueType.UINT64 },
  { key: 'a.i64', typed: { type: 'array', itemType: 'i64', value: [-1n, -(2n ** 62n)] }, expected: [-1, -(2n ** 62n)], itemType: GgufValueType.INT64 },
  { key: 'a.f64', typed: { type: 'array', itemType: 'f64', value: [Math.E] }, expected: [Math.E], itemType: GgufValueType.FLOAT64 },
  { key: 'a.empty', typed: { type: 'array', itemType: 'u32', value: [] }, expected: [], itemType: GgufValueType.UINT32 },
];

/** Three small tensors, one per type; the q8_0 row length is one block. */
const TENSORS: GgufFileSpec['tensors'] = [
  { name: 'a.f32', shape: [3, 2], type: 'f32', data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  { name: 'b.f16', shape: [5], type: 'f16', data: () => Float32Array.from([1, -2, 0.5, 65504, 0]) },
  { name: 'c.q8_0', shape: [32, 2], type: 'q8_0', data: () => new Float32Array(64).fill(0.5) },
];

function roundTripSpec(extraMetadata: GgufFileSpec['metadata'] = []): GgufFileSpec {
  return {
    metadata: [...extraMetadata, ...[...SCALAR_CASES, ...ARRAY_CASES].map(({ key, typed }) => [key, typed] as const)],
    tensors: TENSORS,
  };
}

async function readBytes(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, position);
    return buffer;
  } finally {
    await handle.close();
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('GGUF writer → reader round trip', () => {
  it('preserves every scalar value type and its stored type', async () => {
    const path = join(dir, 'scalars.gguf');
    await writeGguf(path, roundTripSpec());
    const header = await readGgufHeader(path);
    expect(header.version).toBe(3);
    for (const { key, expected, type } of SCALAR_CASES) {
      expect(header.metadata[key], key).toStrictEqual(expected);
      expect(header.metadataTypes[key], key).toEqual({ type });
    }
  });

  it('preserves arrays of every item type', async () => {
    const path = join(dir, 'arrays.gguf');
    await writeGguf(path, roundTripSpec());
    const header = await readGgufHeader(path);
    for (const { key, expected, itemType } of ARRAY_CASES) {
      expect(header.metadata[key], key).toStrictEqual(expected);
      expect(header.metadataTypes[key], key).toEqual({ type: GgufValueType.ARRAY, itemType });
    }
  });

  it('stores keys such as __proto__ as ordinary own properties', async () => {
    const path = join(dir, 'proto.gguf');
    await writeGguf(path, { metadata: [['__proto__', { type: 'array', itemType: 'u8', value: [1] }]], tensors: [] });
    const { metadata } = await readGgufHeader(path);
    expect(Object.keys(metadata)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toEqual([1]);
  });

  it('describes tensors with aligned offsets and writes their data there', async () => {
    const path = join(dir, 'tensors.gguf');
    const fileSize = await writeGguf(path, roundTripSpec());
    const header = await readGgufHeader(path);
    expect(header.tensorCount).toBe(3);
    expect(header.alignment).toBe(32);
    expect(header.dataOffset % 32).toBe(0);
    expect(header.tensors).toEqual([
      { name: 'a.f32', shape: [3, 2], type: GgmlType.F32, offset: 0 },
      { name: 'b.f16', shape: [5], type: GgmlType.F16, offset: 32 },
      { name: 'c.q8_0', shape: [32, 2], type: GgmlType.Q8_0, offset: 64 },
    ]);
    // The last tensor (2 blocks of 34 bytes) is padded to the alignment as well.
    expect(fileSize).toBe(header.dataOffset + 64 + 96);
    expect((await readFile(path)).length).toBe(fileSize);

    const f32 = await readBytes(path, header.dataOffset, 24);
    expect(Array.from({ length: 6 }, (_, i) => f32.readFloatLE(i * 4))).toEqual([1, 2, 3, 4, 5, 6]);
    const f16 = await readBytes(path, header.dataOffset + 32, 10);
    expect(Array.from({ length: 5 }, (_, i) => f16.readUInt16LE(i * 2))).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff, 0]);
  });

  it('honours general.alignment', async () => {
    const path = join(dir, 'aligned.gguf');
    await writeGguf(path, roundTripSpec([['general.alignment', { type: 'u32', value: 256 }]]));
    const header = await readGgufHeader(path);
    expect(header.alignment).toBe(256);
    expect(header.dataOffset % 256).toBe(0);
    expect(header.tensors.map((tensor) => tensor.offset)).toEqual([0, 256, 512]);
  });

  it('skips arrays longer than maxArrayLength but keeps reading after them', async () => {
    const path = join(dir, 'skip.gguf');
    await writeGguf(path, roundTripSpec());
    const header = await readGgufHeader(path, { maxArrayLength: 2 });
    expect(header.metadata['a.string']).toBeUndefined();
    expect(header.metadata['a.u32']).toBeUndefined();
    expect(header.metadataTypes['a.string']).toEqual({ type: GgufValueType.ARRAY, itemType: GgufValueType.STRING });
    expect(header.metadata['a.i8']).toEqual([-128, 127]);
    expect(header.metadata['a.f64']).toEqual([Math.E]);
    expect(header.tensors).toHaveLength(3);
  });
});

describe('readGgufHeader errors', () => {
  it('rejects a file that is not GGUF', async () => {
    const path = join(dir, 'not-gguf.txt');
    await writeFile(path, 'hello world, this is not a model');
    await expect(readGgufHeader(path)).rejects.toThrow(/is not a GGUF file/);
    await expect(readGgufHeader(path)).rejects.toMatchObject({ name: 'LlamaError', code: 'INVALID_MODEL' });
  });

  it('types every failure: missing file, directory, FIFO (never opened, so nothing blocks), bad arguments', async () => {
    await expect(readGgufHeader(join(dir, 'missing.gguf'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(readGgufHeader(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/not a regular file/) });
    const fifo = join(dir, 'model.fifo');
    execFileSync('mkfifo', [fifo]);
    // Regression: opening a FIFO blocked a libuv pool thread forever (four of them starved every later load).
    for (let i = 0; i < 6; i++) await expect(readGgufHeader(fifo)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(readGgufHeader(5 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(readGgufHeader(fifo, null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(readGgufHeader(fifo, { maxArrayLength: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects an empty file', async () => {
    const path = join(dir, 'empty.gguf');
    await writeFile(path, '');
    await expect(readGgufHeader(path)).rejects.toThrow(/is not a GGUF file/);
  });

  it('rejects a file truncated anywhere in the header', async () => {
    const source = join(dir, 'full.gguf');
    await writeGguf(source, roundTripSpec());
    const { dataOffset } = await readGgufHeader(source);
    const bytes = await readFile(source);
    const path = join(dir, 'truncated.gguf');
    // The header ends with padding, which is not needed to parse it; cut before the padding.
    const headerEnd = dataOffset - 32;
    for (let cut = 5; cut < headerEnd; cut += 37) {
      await writeFile(path, bytes.subarray(0, cut));
      await expect(readGgufHeader(path), `cut at ${cut}`).rejects.toThrow(/truncated GGUF file/);
    }
  });

  it('rejects an unsupported version', async () => {
    const path = join(dir, 'v1.gguf');
    await writeGguf(path, roundTripSpec());
    const handle = await open(path, 'r+');
    await handle.write(Buffer.from([1, 0, 0, 0]), 0, 4, 4);
    await handle.close();
    await expect(readGgufHeader(path)).rejects.toThrow(/unsupported version 1/);
  });
});

describe('float32ToFloat16Bits', () => {
  const hex16 = (bits: number): string => `0x${bits.toString(16).padStart(4, '0')}`;

  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [65504, 0x7bff], // largest finite half
    [65519, 0x7bff], // below the midpoint to infinity
    [65520, 0x7c00], // midpoint: ties to even rounds up to infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [NaN, 0x7e00],
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [-(2 ** -24), 0x8001],
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal: even is 0
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal units: even is 2
    [2 ** -26, 0x0000],
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [1e-10, 0x0000],
    [1e10, 0x7c00],
  ].map(([value, bits]) => [value, hex16(bits)] as const))('%s → %s', (value, bits) => {
    expect(hex16(float32ToFloat16Bits(value))).toBe(bits);
  });
});

describe('Q8_0 encoding', () => {
  it('matches hand-computed blocks', () => {
    // Block 1: amax 127 ⇒ d = 1 (fp16 0x3c00), q = round half away from zero of x.
    const block1 = [127, -127, 0.5, -0.5, 1.49, 2.5, -2.5, 0, ...new Array<number>(24).fill(3)];
    // Block 2: amax 63.5 ⇒ d = 0.5 (fp16 0x3800), q = round(2x).
    const block2 = [63.5, -1.25, 0.2, ...new Array<number>(29).fill(-0.3)];
    // Block 3: all zeros ⇒ d = 0, q = 0.
    const block3 = new Array<number>(32).fill(0);
    const encoded = encodeQ8_0(Float32Array.from([...block1, ...block2, ...block3]));

    const expected = Buffer.alloc(3 * 34);
    expected.writeUInt16LE(0x3c00, 0);
    Int8Array.from([127, -127, 1, -1, 1, 3, -3, 0, ...new Array<number>(24).fill(3)]).forEach((q, j) => expected.writeInt8(q, 2 + j));
    expected.writeUInt16LE(0x3800, 34);
    Int8Array.from([127, -3, 0, ...new Array<number>(29).fill(-1)]).forEach((q, j) => expected.writeInt8(q, 36 + j));
    expect(encoded.toString('hex')).toBe(expected.toString('hex'));
  });

  it('rejects a length that is not a multiple of 32', () => {
    expect(() => encodeQ8_0(new Float32Array(33))).toThrow(/multiple of 32/);
  });
});

describe('random llama models', () => {
  const small: RandomLlamaOptions = { ...tinyLlamaOptions, nLayer: 1, nEmbd: 32, nHead: 2, nHeadKv: 1, nFf: 32, type: 'q8_0', seed: 7 };

  it('is deterministic for a seed and differs between seeds', async () => {
    const paths = [join(dir, 'r1.gguf'), join(dir, 'r2.gguf'), join(dir, 'r3.gguf')];
    await writeRandomLlama(paths[0], small);
    await writeRandomLlama(paths[1], small);
    await writeRandomLlama(paths[2], { ...small, seed: 8 });
    const [a, b, c] = await Promise.all(paths.map(async (path) => sha256(await readFile(path))));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('rejects q8_0 dimensions that are not multiples of 32', async () => {
    await expect(writeRandomLlama(join(dir, 'bad.gguf'), { ...small, nFf: 48 })).rejects.toThrow(/multiples of 32/);
  });

  it('copies the tokenizer verbatim and writes llama hyper-parameters', async () => {
    const path = await getTinyModelPath({ samplingDefaults: { top_k: 40, temp: 0.7, sequence: 'top_k;temperature' } });
    expect(await getTinyModelPath({ samplingDefaults: { sequence: 'top_k;temperature', temp: 0.7, top_k: 40 } })).toBe(path);

    const vocab = await readGgufHeader(resolve(__dirname, '../../vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf'));
    const model = await readGgufHeader(path);
    const tokenizerKeys = Object.keys(vocab.metadataTypes).filter((key) => key.startsWith('tokenizer.'));
    expect(tokenizerKeys).toContain('tokenizer.ggml.tokens');
    for (const key of tokenizerKeys) {
      expect(model.metadataTypes[key], key).toEqual(vocab.metadataTypes[key]);
      expect(model.metadata[key], key).toStrictEqual(vocab.metadata[key]);
    }

    const vocabSize = (vocab.metadata['tokenizer.ggml.tokens'] as string[]).length;
    expect(model.metadata).toMatchObject({
      'general.architecture': 'llama',
      'llama.vocab_size': vocabSize,
      'llama.embedding_length': tinyLlamaOptions.nEmbd,
      'llama.block_count': tinyLlamaOptions.nLayer,
      'llama.attention.head_count_kv': tinyLlamaOptions.nHeadKv,
      'general.sampling.top_k': 40,
      'general.sampling.temp': Math.fround(0.7),
      'general.sampling.sequence': 'top_k;temperature',
    });
    expect(model.metadataTypes['general.sampling.top_k']).toEqual({ type: GgufValueType.INT32 });
    expect(model.metadataTypes['general.sampling.temp']).toEqual({ type: GgufValueType.FLOAT32 });
    expect(model.tensors.find((tensor) => tensor.name === 'token_embd.weight')?.shape).toEqual([tinyLlamaOptions.nEmbd, vocabSize]);
    expect(model.tensorCount).toBe(3 + 9 * tinyLlamaOptions.nLayer);
  });
});
