/**
 * Minimal GGUF v3 writer for tests and benchmarks: typed metadata plus F32, F16 and Q8_0
 * tensors, streamed to disk one tensor (and one chunk) at a time.
 *
 * Layout and padding follow `gguf_write_out` in vendor/llama.cpp/ggml/src/gguf.cpp; F16
 * rounding follows `ggml_compute_fp32_to_fp16` and Q8_0 follows `quantize_row_q8_0_ref`.
 */

import { open, type FileHandle } from 'node:fs/promises';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_KEY_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  GgufValueType,
  Q8_0_BLOCK_BYTES,
  Q8_0_BLOCK_SIZE,
  type GgufValue,
  type GgufValueTypeInfo,
} from '../../lib/gguf/types';

/** Name of a GGUF numeric type whose values fit a JS `number`. */
export type GgufNumberTypeName = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';

/** Name of a 64-bit integer GGUF type (values may be `number` or `bigint`). */
export type GgufBigIntTypeName = 'u64' | 'i64';

/** Name of any non-array GGUF value type. */
export type GgufScalarTypeName = GgufNumberTypeName | GgufBigIntTypeName | 'bool' | 'string';

/** A metadata value together with the GGUF type it is written as. */
export type GgufTypedValue =
  | { type: GgufNumberTypeName; value: number }
  | { type: GgufBigIntTypeName; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufNumberTypeName; value: readonly number[] }
  | { type: 'array'; itemType: GgufBigIntTypeName; value: readonly (number | bigint)[] }
  | { type: 'array'; itemType: 'bool'; value: readonly boolean[] }
  | { type: 'array'; itemType: 'string'; value: readonly string[] };

/** Storage type of a written tensor. */
export type GgufTensorTypeName = 'f32' | 'f16' | 'q8_0';

/** One tensor to write. */
export interface GgufTensorSpec {
  /** Tensor name (at most 63 bytes, as in ggml). */
  name: string;
  /** Dimensions in ggml order: `ne[0]` (the contiguous row length) first. */
  shape: readonly number[];
  /** Storage type; for `q8_0` the row length `shape[0]` must be a multiple of 32. */
  type: GgufTensorTypeName;
  /** Values in ggml order, or a function producing them when the tensor is written. */
  data: Float32Array | (() => Float32Array);
}

/** Contents of a GGUF file to write. */
export interface GgufFileSpec {
  /** Key/value pairs in file order. A `general.alignment` entry (u32) changes the data alignment. */
  metadata: ReadonlyArray<readonly [string, GgufTypedValue]>;
  /** Tensors in file order. */
  tensors: readonly GgufTensorSpec[];
}

/** Encoding of one scalar type: its GGUF id and how to serialize a value. */
interface ScalarCodec {
  id: GgufValueType;
  encode(value: number | bigint | boolean | string): Buffer;
}

/** Creates the codec of a fixed-size scalar written by `write` into a buffer of `size` bytes. */
function fixedCodec<T>(id: GgufValueType, size: number, write: (buffer: Buffer, value: T) => void): ScalarCodec {
  return {
    id,
    encode(value) {
      const buffer = Buffer.alloc(size);
      write(buffer, value as T);
      return buffer;
    },
  };
}

/** Like {@link fixedCodec} for integers of at most 32 bits, rejecting non-integers (which `Buffer` would truncate). */
function intCodec(id: GgufValueType, size: number, write: (buffer: Buffer, value: number) => void): ScalarCodec {
  return fixedCodec<number>(id, size, (buffer, value) => {
    if (!Number.isInteger(value)) {
      throw new RangeError(`GGUF ${GgufValueType[id]} value must be an integer, got ${value}`);
    }
    write(buffer, value);
  });
}

/** Codec of every scalar type name; Node's `Buffer.write*` methods reject out-of-range integers. */
const SCALAR_CODECS: Readonly<Record<GgufScalarTypeName, ScalarCodec>> = {
  u8: intCodec(GgufValueType.UINT8, 1, (b, v) => b.writeUInt8(v)),
  i8: intCodec(GgufValueType.INT8, 1, (b, v) => b.writeInt8(v)),
  u16: intCodec(GgufValueType.UINT16, 2, (b, v) => b.writeUInt16LE(v)),
  i16: intCodec(GgufValueType.INT16, 2, (b, v) => b.writeInt16LE(v)),
  u32: intCodec(GgufValueType.UINT32, 4, (b, v) => b.writeUInt32LE(v)),
  i32: intCodec(GgufValueType.INT32, 4, (b, v) => b.writeInt32LE(v)),
  f32: fixedCodec<number>(GgufValueType.FLOAT32, 4, (b, v) => b.writeFloatLE(v)),
  f64: fixedCodec<number>(GgufValueType.FLOAT64, 8, (b, v) => b.writeDoubleLE(v)),
  u64: fixedCodec<number | bigint>(GgufValueType.UINT64, 8, (b, v) => b.writeBigUInt64LE(BigInt(v))),
  i64: fixedCodec<number | bigint>(GgufValueType.INT64, 8, (b, v) => b.writeBigInt64LE(BigInt(v))),
  bool: fixedCodec<boolean>(GgufValueType.BOOL, 1, (b, v) => b.writeUInt8(v ? 1 : 0)),
  string: { id: GgufValueType.STRING, encode: (value) => encodeString(value as string) },
};

/** Type name of each GGUF scalar type id (the inverse of the `id` fields of {@link SCALAR_CODECS}). */
const SCALAR_TYPE_NAMES: ReadonlyMap<GgufValueType, GgufScalarTypeName> = new Map(
  (Object.keys(SCALAR_CODECS) as GgufScalarTypeName[]).map((name) => [SCALAR_CODECS[name].id, name]),
);

/** ggml type id, bytes per block and elements per block of each tensor type. */
const TENSOR_LAYOUTS: Readonly<Record<GgufTensorTypeName, { id: GgmlType; blockBytes: number; blockSize: number }>> = {
  f32: { id: GgmlType.F32, blockBytes: 4, blockSize: 1 },
  f16: { id: GgmlType.F16, blockBytes: 2, blockSize: 1 },
  q8_0: { id: GgmlType.Q8_0, blockBytes: Q8_0_BLOCK_BYTES, blockSize: Q8_0_BLOCK_SIZE },
};

/** Elements converted and written per chunk (a multiple of the Q8_0 block size). */
const WRITE_CHUNK_ELEMENTS = 1 << 20;

/** ggml's `GGML_MAX_NAME`, including the terminating NUL. */
const MAX_TENSOR_NAME_BYTES = 64;

/**
 * Writes a GGUF v3 file. Tensor data is produced (if `data` is a function), converted and
 * written one tensor at a time, so only one tensor's floats are in memory at once.
 *
 * @param path - Destination file (overwritten).
 * @param spec - Metadata and tensors, see {@link GgufFileSpec}.
 * @returns The number of bytes written.
 */
export async function writeGguf(path: string, spec: GgufFileSpec): Promise<number> {
  const alignment = alignmentOf(spec.metadata);
  const header = encodeHeader(spec, alignment);
  const handle = await open(path, 'w');
  try {
    let written = await writeAll(handle, header);
    written += await writePadding(handle, written, alignment);
    for (const tensor of spec.tensors) {
      written += await writeTensorData(handle, tensor);
      written += await writePadding(handle, written, alignment);
    }
    return written;
  } finally {
    await handle.close();
  }
}

/**
 * Converts a value read by `readGgufHeader` back into a typed value, so that metadata can be
 * copied from one file to another with its exact GGUF types.
 *
 * @param value - The decoded value from `GgufHeader.metadata`.
 * @param typeInfo - Its entry in `GgufHeader.metadataTypes`.
 */
export function typedValueFromHeader(value: GgufValue, typeInfo: GgufValueTypeInfo): GgufTypedValue {
  if (typeInfo.type !== GgufValueType.ARRAY) {
    return { type: scalarTypeName(typeInfo.type), value } as GgufTypedValue;
  }
  if (typeInfo.itemType === undefined || !Array.isArray(value)) {
    throw new Error('array metadata needs an item type and an array value');
  }
  return { type: 'array', itemType: scalarTypeName(typeInfo.itemType), value } as GgufTypedValue;
}

/** Returns the writer's name of a scalar GGUF type id. */
function scalarTypeName(type: GgufValueType): GgufScalarTypeName {
  const name = SCALAR_TYPE_NAMES.get(type);
  if (name === undefined) {
    throw new Error(`GGUF value type ${type} is not a scalar type`);
  }
  return name;
}

/** Scratch views used to read the float32 bits of a number. */
const F32_SCRATCH = new Float32Array(1);
const U32_SCRATCH = new Uint32Array(F32_SCRATCH.buffer);

/**
 * Converts a number to the bits of the nearest IEEE half-precision float (round to nearest,
 * ties to even; subnormals kept; overflow to ±infinity; NaN to the quiet NaN 0x7e00), matching
 * ggml's `GGML_FP32_TO_FP16`. The number is first rounded to float32, as in C.
 */
export function float32ToFloat16Bits(value: number): number {
  F32_SCRATCH[0] = value;
  const bits = U32_SCRATCH[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    return sign | (mantissa === 0 ? 0x7c00 : 0x7e00);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) {
    return sign | 0x7c00;
  }
  if (halfExponent > 0) {
    // Normal: a mantissa carry correctly bumps the exponent (up to infinity).
    return sign | shiftRightRoundEven((halfExponent << 23) | mantissa, 13);
  }
  // Subnormal (or zero): value = significand * 2^(halfExponent - 14 - 10) in units of 2^-24.
  const shift = 14 - halfExponent;
  return shift > 25 ? sign : sign | shiftRightRoundEven(mantissa | 0x800000, shift);
}

/** `value / 2^shift` rounded to nearest, ties to even (for 1 <= shift <= 30 and non-negative int32 values). */
function shiftRightRoundEven(value: number, shift: number): number {
  const quotient = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return remainder > half || (remainder === half && (quotient & 1) === 1) ? quotient + 1 : quotient;
}

/** Encodes values as little-endian float32. */
export function encodeF32(data: Float32Array): Buffer {
  const out = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) {
    out.writeFloatLE(data[i], i * 4);
  }
  return out;
}

/** Encodes values as little-endian IEEE half floats (see {@link float32ToFloat16Bits}). */
export function encodeF16(data: Float32Array): Buffer {
  const out = Buffer.alloc(data.length * 2);
  for (let i = 0; i < data.length; i++) {
    out.writeUInt16LE(float32ToFloat16Bits(data[i]), i * 2);
  }
  return out;
}

/**
 * Quantizes values to Q8_0 blocks exactly like ggml's `quantize_row_q8_0_ref`: per block of 32,
 * `d = amax / 127` stored as fp16, then `q = roundf(x * (1 / d))` as int8 (float32 arithmetic).
 *
 * @param data - Values; the length must be a multiple of 32.
 */
export function encodeQ8_0(data: Float32Array): Buffer {
  if (data.length % Q8_0_BLOCK_SIZE !== 0) {
    throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK_SIZE} values, got ${data.length}`);
  }
  const blockCount = data.length / Q8_0_BLOCK_SIZE;
  const out = Buffer.alloc(blockCount * Q8_0_BLOCK_BYTES);
  for (let block = 0; block < blockCount; block++) {
    encodeQ8_0Block(data.subarray(block * Q8_0_BLOCK_SIZE, (block + 1) * Q8_0_BLOCK_SIZE), out, block * Q8_0_BLOCK_BYTES);
  }
  return out;
}

/** Writes one Q8_0 block of 32 values at `offset` in `out`. */
function encodeQ8_0Block(values: Float32Array, out: Buffer, offset: number): void {
  let amax = 0;
  for (let j = 0; j < values.length; j++) {
    amax = Math.max(amax, Math.abs(values[j]));
  }
  const d = Math.fround(amax / 127);
  const inverse = d === 0 ? 0 : Math.fround(1 / d);
  out.writeUInt16LE(float32ToFloat16Bits(d), offset);
  for (let j = 0; j < values.length; j++) {
    out.writeInt8(roundHalfAwayFromZero(Math.fround(values[j] * inverse)), offset + 2 + j);
  }
}

/** C `roundf`: rounds to the nearest integer, halfway cases away from zero. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.floor(Math.abs(value) + 0.5);
}

/** Serializes a UTF-8 string with its uint64 byte-length prefix. */
function encodeString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const out = Buffer.alloc(8 + bytes.length);
  out.writeBigUInt64LE(BigInt(bytes.length), 0);
  bytes.copy(out, 8);
  return out;
}

/** Serializes an unsigned 32-bit integer. */
function u32(value: number): Buffer {
  return SCALAR_CODECS.u32.encode(value);
}

/** Serializes an unsigned 64-bit integer. */
function u64(value: number): Buffer {
  return SCALAR_CODECS.u64.encode(value);
}

/** Returns the alignment declared by a `general.alignment` u32 entry, or the default. */
function alignmentOf(metadata: GgufFileSpec['metadata']): number {
  const entry = metadata.find(([key]) => key === GGUF_KEY_ALIGNMENT);
  if (entry === undefined) {
    return GGUF_DEFAULT_ALIGNMENT;
  }
  const [, typed] = entry;
  if (typed.type !== 'u32' || typed.value <= 0 || (typed.value & (typed.value - 1)) !== 0) {
    throw new Error(`"${GGUF_KEY_ALIGNMENT}" must be a u32 power of two`);
  }
  return typed.value;
}

/** Serializes everything before the tensor data: magic, counts, metadata and tensor infos. */
function encodeHeader(spec: GgufFileSpec, alignment: number): Buffer {
  const parts: Buffer[] = [
    Buffer.from(GGUF_MAGIC, 'latin1'),
    u32(GGUF_VERSION),
    u64(spec.tensors.length),
    u64(spec.metadata.length),
  ];
  for (const [key, typed] of spec.metadata) {
    parts.push(encodeString(key), ...encodeTypedValue(typed));
  }
  let offset = 0;
  for (const tensor of spec.tensors) {
    parts.push(encodeTensorInfo(tensor, offset));
    offset += alignUp(tensorByteSize(tensor), alignment);
  }
  return Buffer.concat(parts);
}

/** Serializes the type tag(s) and value of one metadata entry. */
function encodeTypedValue(typed: GgufTypedValue): Buffer[] {
  if (typed.type !== 'array') {
    const codec = SCALAR_CODECS[typed.type];
    return [u32(codec.id), codec.encode(typed.value)];
  }
  const codec = SCALAR_CODECS[typed.itemType];
  const items: readonly (number | bigint | boolean | string)[] = typed.value;
  return [u32(GgufValueType.ARRAY), u32(codec.id), u64(items.length), ...items.map((item) => codec.encode(item))];
}

/** Serializes one tensor info: name, dimensions, ggml type and data offset. */
function encodeTensorInfo(tensor: GgufTensorSpec, offset: number): Buffer {
  const name = encodeString(tensor.name);
  if (name.length - 8 >= MAX_TENSOR_NAME_BYTES) {
    throw new Error(`tensor name "${tensor.name}" is longer than ${MAX_TENSOR_NAME_BYTES - 1} bytes`);
  }
  const dims = tensor.shape.map((dim) => SCALAR_CODECS.i64.encode(dim));
  return Buffer.concat([name, u32(tensor.shape.length), ...dims, u32(TENSOR_LAYOUTS[tensor.type].id), u64(offset)]);
}

/** Byte size of a tensor's data, validating that rows split into whole blocks. */
function tensorByteSize(tensor: GgufTensorSpec): number {
  const { blockBytes, blockSize } = TENSOR_LAYOUTS[tensor.type];
  const rowLength = tensor.shape[0] ?? 1;
  if (rowLength % blockSize !== 0) {
    throw new Error(`tensor "${tensor.name}": row length ${rowLength} is not a multiple of ${blockSize} (${tensor.type})`);
  }
  return (elementCount(tensor.shape) / blockSize) * blockBytes;
}

/** Number of elements of a tensor with the given shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Data encoder of each tensor type. */
const ENCODERS: Readonly<Record<GgufTensorTypeName, (data: Float32Array) => Buffer>> = {
  f32: encodeF32,
  f16: encodeF16,
  q8_0: encodeQ8_0,
};

/** Produces, converts and writes one tensor's data in chunks; returns the bytes written. */
async function writeTensorData(handle: FileHandle, tensor: GgufTensorSpec): Promise<number> {
  const data = typeof tensor.data === 'function' ? tensor.data() : tensor.data;
  if (data.length !== elementCount(tensor.shape)) {
    throw new Error(`tensor "${tensor.name}": expected ${elementCount(tensor.shape)} values, got ${data.length}`);
  }
  const encode = ENCODERS[tensor.type];
  let written = 0;
  for (let start = 0; start < data.length; start += WRITE_CHUNK_ELEMENTS) {
    written += await writeAll(handle, encode(data.subarray(start, start + WRITE_CHUNK_ELEMENTS)));
  }
  return written;
}

/** Writes zero bytes up to the next multiple of `alignment`; returns how many were written. */
async function writePadding(handle: FileHandle, position: number, alignment: number): Promise<number> {
  return writeAll(handle, Buffer.alloc(alignUp(position, alignment) - position));
}

/** Writes the whole buffer at the current position; returns its length. */
async function writeAll(handle: FileHandle, buffer: Buffer): Promise<number> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
  return buffer.length;
}

/** Rounds `value` up to a multiple of `alignment`. */
function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
