/**
 * Reader for the header (metadata and tensor descriptions) of a GGUF file.
 *
 * Only the header is read, through buffered positioned reads, so the cost does not
 * depend on the size of the tensor data.
 *
 * @packageDocumentation
 */

import { open, stat, type FileHandle } from 'node:fs/promises';
import { argumentError, optionsObject } from '../arguments';
import { LlamaError, invalidArgument } from '../errors';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_KEY_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_MIN_SUPPORTED_VERSION,
  GGUF_SCALAR_SIZES,
  GGUF_VERSION,
  GgufValueType,
  type GgufHeader,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueTypeInfo,
} from './types';

/** Options of {@link readGgufHeader}. */
export interface ReadGgufHeaderOptions {
  /**
   * Arrays with more items than this are skipped: they are absent from `metadata`
   * (their type is still listed in `metadataTypes`). Defaults to `Infinity`.
   */
  maxArrayLength?: number;
}

/**
 * Size of each positioned read. Headers of large-vocabulary models are a few
 * MiB (a few dozen reads); a smaller chunk keeps each load's garbage small
 * (1 MiB chunks made 500 loads hold ~10 MB of buffers awaiting collection).
 */
const READ_CHUNK_BYTES = 64 << 10;

/** ggml's `GGML_MAX_DIMS`. */
const MAX_TENSOR_DIMS = 4;

/** Smallest possible encoding of one string (its uint64 length). */
const MIN_STRING_BYTES = 8;

/**
 * Reads the header of a GGUF file: version, metadata key/value pairs and tensor descriptions.
 *
 * @param path - Path of the `.gguf` file.
 * @param options - See {@link ReadGgufHeaderOptions}.
 * @returns The parsed header; tensor data is not read.
 * @throws LlamaError `MODEL_NOT_FOUND` when there is no such file, `INVALID_ARGUMENT` for a
 *   bad argument or a path that is not a regular file (a directory, a FIFO: never opened, so
 *   nothing waits on it), `INVALID_MODEL` when the file is not a GGUF file, has an unsupported
 *   version, is truncated or has an invalid header or cannot be read.
 */
export async function readGgufHeader(path: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  if (typeof path !== 'string' || path === '') argumentError('path', 'be a non-empty string', path);
  options = optionsObject(options, 'readGgufHeader options', ['maxArrayLength']);
  const maxArrayLength = options.maxArrayLength === undefined ? Infinity : options.maxArrayLength;
  if (typeof maxArrayLength !== 'number' || !(maxArrayLength >= 0)) argumentError('maxArrayLength', 'be a number >= 0', options.maxArrayLength);
  let handle: FileHandle;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw invalidArgument(`${path} is not a regular file`);
    handle = await open(path, 'r');
  } catch (err) {
    if (err instanceof LlamaError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LlamaError('MODEL_NOT_FOUND', `model file not found: ${path}`, { cause: err });
    throw new LlamaError('INVALID_MODEL', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const { size } = await handle.stat();
    return await parseHeader(new FileCursor(handle, size, path), maxArrayLength);
  } catch (err) {
    if (err instanceof LlamaError) throw err;
    throw new LlamaError('INVALID_MODEL', (err as Error).message, { cause: err });
  } finally {
    await handle.close();
  }
}

/** Buffered sequential reader over a file handle that detects reads past the end of the file. */
class FileCursor {
  /** Absolute file position of the next byte to read. */
  position = 0;
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly fileSize: number,
    readonly path: string,
  ) {}

  /** Makes the next `length` bytes available in the buffer; throws if the file ends before. */
  async ensure(length: number): Promise<void> {
    if (!this.isBuffered(length)) {
      await this.fill(length);
    }
  }

  /** Whether the next `length` bytes are already in the buffer. */
  isBuffered(length: number): boolean {
    return this.position + length <= this.bufferStart + this.buffer.length;
  }

  /** Replaces the buffer with at least the next `length` bytes; throws if the file ends before. */
  async fill(length: number): Promise<void> {
    this.assertAvailable(length);
    const readLength = Math.min(Math.max(length, READ_CHUNK_BYTES), this.fileSize - this.position);
    const buffer = Buffer.allocUnsafe(readLength);
    const { bytesRead } = await this.handle.read(buffer, 0, readLength, this.position);
    if (bytesRead < length) {
      throw this.truncatedError(length);
    }
    this.buffer = buffer.subarray(0, bytesRead);
    this.bufferStart = this.position;
  }

  /** Advances past `length` bytes without reading them. */
  skip(length: number): void {
    this.assertAvailable(length);
    this.position += length;
  }

  /** Throws the truncation error unless `length` more bytes exist in the file. */
  assertAvailable(length: number): void {
    if (length > this.fileSize - this.position) {
      throw this.truncatedError(length);
    }
  }

  /** Advances past the next `length` buffered bytes (see {@link ensure}), returning their offset in the buffer. */
  private consume(length: number): number {
    const offset = this.position - this.bufferStart;
    this.position += length;
    return offset;
  }

  /** Decodes the next `size` buffered bytes with `decode` (see {@link ensure}). */
  takeFixed(size: number, decode: FixedDecoder): GgufValue {
    return decode(this.buffer, this.consume(size));
  }

  /** Decodes the next `length` buffered bytes as text in the given encoding (see {@link ensure}). */
  takeText(length: number, encoding: BufferEncoding): string {
    const offset = this.consume(length);
    return this.buffer.toString(encoding, offset, offset + length);
  }

  async u32(): Promise<number> {
    await this.ensure(4);
    return this.buffer.readUInt32LE(this.consume(4));
  }

  async i32(): Promise<number> {
    await this.ensure(4);
    return this.buffer.readInt32LE(this.consume(4));
  }

  async u64(): Promise<bigint> {
    await this.ensure(8);
    return this.buffer.readBigUInt64LE(this.consume(8));
  }

  async i64(): Promise<bigint> {
    await this.ensure(8);
    return this.buffer.readBigInt64LE(this.consume(8));
  }

  /** Reads a length-prefixed UTF-8 string. */
  async string(): Promise<string> {
    await this.ensure(MIN_STRING_BYTES);
    const length = this.peekStringLength();
    await this.ensure(MIN_STRING_BYTES + length);
    return this.takeString(length);
  }

  /**
   * Synchronous fast path of {@link string}: reads the string if it is entirely buffered,
   * otherwise returns `undefined` and consumes nothing.
   */
  tryString(): string | undefined {
    if (!this.isBuffered(MIN_STRING_BYTES)) {
      return undefined;
    }
    const length = this.peekStringLength();
    return this.isBuffered(MIN_STRING_BYTES + length) ? this.takeString(length) : undefined;
  }

  /** Advances past a length-prefixed string without decoding it. */
  async skipString(): Promise<void> {
    await this.ensure(MIN_STRING_BYTES);
    this.skip(MIN_STRING_BYTES + this.peekStringLength());
  }

  /** Synchronous fast path of {@link skipString}: returns false (consuming nothing) unless the string is buffered. */
  trySkipString(): boolean {
    if (!this.isBuffered(MIN_STRING_BYTES)) {
      return false;
    }
    const length = MIN_STRING_BYTES + this.peekStringLength();
    if (!this.isBuffered(length)) {
      return false;
    }
    this.position += length;
    return true;
  }

  /** Byte length of the buffered string at the current position (an absurd length fails the next bounds check). */
  private peekStringLength(): number {
    const offset = this.position - this.bufferStart;
    return this.buffer.readUInt32LE(offset) + this.buffer.readUInt32LE(offset + 4) * 2 ** 32;
  }

  /** Consumes a buffered length prefix and `length` bytes, decoding them as UTF-8. */
  private takeString(length: number): string {
    this.position += MIN_STRING_BYTES;
    return this.takeText(length, 'utf8');
  }

  /** Converts a stored count to a number, throwing if `count * itemBytes` exceeds the rest of the file. */
  checkedLength(count: bigint, itemBytes: number, what: string): number {
    const remaining = BigInt(this.fileSize - this.position);
    if (count * BigInt(itemBytes) > remaining) {
      throw new Error(`${this.path}: truncated GGUF file (${what} ${count} at offset ${this.position} exceeds the file size ${this.fileSize})`);
    }
    return Number(count);
  }

  /** Creates an error describing an attempt to read past the end of the file. */
  truncatedError(length: number): Error {
    return new Error(
      `${this.path}: truncated GGUF file (needed ${length} bytes at offset ${this.position}, file size is ${this.fileSize})`,
    );
  }

  /** Creates an error describing an invalid header. */
  invalid(message: string): Error {
    return new Error(`${this.path}: invalid GGUF header: ${message}`);
  }
}

/** Parses the whole header starting at the beginning of the file. */
async function parseHeader(cursor: FileCursor, maxArrayLength: number): Promise<GgufHeader> {
  await readMagic(cursor);
  const version = await readVersion(cursor);
  const tensorCount = toCount(cursor, await cursor.i64(), 'tensor count');
  const kvCount = toCount(cursor, await cursor.i64(), 'metadata key count');

  const metadata: Record<string, GgufValue> = {};
  const metadataTypes: Record<string, GgufValueTypeInfo> = {};
  for (let i = 0; i < kvCount; i++) {
    await readKeyValue(cursor, maxArrayLength, metadata, metadataTypes);
  }
  const alignment = getAlignment(cursor, metadata, metadataTypes);

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    tensors.push(await readTensorInfo(cursor));
  }
  const dataOffset = tensorCount > 0 ? alignUp(cursor.position, alignment) : cursor.position;
  return { version, tensorCount, metadata, metadataTypes, tensors, alignment, dataOffset };
}

/** Checks the four magic bytes. */
async function readMagic(cursor: FileCursor): Promise<void> {
  const length = Math.min(GGUF_MAGIC.length, cursor.fileSize);
  await cursor.ensure(length);
  const magic = cursor.takeText(length, 'latin1');
  if (magic !== GGUF_MAGIC) {
    throw new Error(`${cursor.path} is not a GGUF file (magic ${JSON.stringify(magic)}, expected "${GGUF_MAGIC}")`);
  }
}

/** Reads and validates the format version. */
async function readVersion(cursor: FileCursor): Promise<number> {
  const version = await cursor.u32();
  if ((version & 0xffff) === 0) {
    throw cursor.invalid(`version ${version} looks byte-swapped (big-endian files are not supported)`);
  }
  if (version < GGUF_MIN_SUPPORTED_VERSION || version > GGUF_VERSION) {
    throw cursor.invalid(`unsupported version ${version} (supported: ${GGUF_MIN_SUPPORTED_VERSION}..${GGUF_VERSION})`);
  }
  return version;
}

/** Reads one key/value pair into `metadata` (unless it is a skipped array) and `metadataTypes`. */
async function readKeyValue(
  cursor: FileCursor,
  maxArrayLength: number,
  metadata: Record<string, GgufValue>,
  metadataTypes: Record<string, GgufValueTypeInfo>,
): Promise<void> {
  const key = await cursor.string();
  if (key.length === 0) {
    throw cursor.invalid('empty metadata key');
  }
  if (Object.prototype.hasOwnProperty.call(metadataTypes, key)) {
    throw cursor.invalid(`duplicate metadata key "${key}"`);
  }
  const type = validValueType(cursor, await cursor.u32(), key);
  if (type !== GgufValueType.ARRAY) {
    setEntry(metadataTypes, key, { type });
    setEntry(metadata, key, await readScalar(cursor, type));
    return;
  }
  const itemType = validValueType(cursor, await cursor.u32(), key);
  if (itemType === GgufValueType.ARRAY) {
    throw cursor.invalid(`metadata key "${key}" is a nested array, which GGUF readers do not support`);
  }
  setEntry(metadataTypes, key, { type, itemType });
  const count = cursor.checkedLength(await cursor.u64(), minItemBytes(itemType), `array length of "${key}"`);
  if (count > maxArrayLength) {
    await skipArray(cursor, itemType, count);
  } else {
    setEntry(metadata, key, await readArray(cursor, itemType, count));
  }
}

/** Adds an own enumerable property, even for keys such as `__proto__` that plain assignment would not create. */
function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Throws unless `type` is a known {@link GgufValueType}. */
function validValueType(cursor: FileCursor, type: number, key: string): GgufValueType {
  if (!(type in GgufValueType)) {
    throw cursor.invalid(`metadata key "${key}" has unknown value type ${type}`);
  }
  return type as GgufValueType;
}

/** Minimum stored size of one item of the given scalar type. */
function minItemBytes(type: GgufValueType): number {
  return GGUF_SCALAR_SIZES[type] ?? MIN_STRING_BYTES;
}

/** Reads the items of an array whose header (item type and count) was already consumed. */
async function readArray(cursor: FileCursor, itemType: GgufValueType, count: number): Promise<GgufValue[]> {
  const items: GgufValue[] = new Array<GgufValue>(count);
  const layout = fixedLayout(itemType);
  if (layout !== undefined) {
    await cursor.ensure(count * layout.size);
    for (let i = 0; i < count; i++) {
      items[i] = cursor.takeFixed(layout.size, layout.decode);
    }
    return items;
  }
  for (let i = 0; i < count; i++) {
    items[i] = cursor.tryString() ?? (await cursor.string());
  }
  return items;
}

/** Advances past the items of an array without decoding them. */
async function skipArray(cursor: FileCursor, itemType: GgufValueType, count: number): Promise<void> {
  const itemBytes = GGUF_SCALAR_SIZES[itemType];
  if (itemBytes !== undefined) {
    cursor.skip(count * itemBytes);
    return;
  }
  for (let i = 0; i < count; i++) {
    if (!cursor.trySkipString()) {
      await cursor.skipString();
    }
  }
}

/** Reads one non-array value. */
async function readScalar(cursor: FileCursor, type: GgufValueType): Promise<GgufValue> {
  const layout = fixedLayout(type);
  if (layout === undefined) {
    return cursor.string();
  }
  await cursor.ensure(layout.size);
  return cursor.takeFixed(layout.size, layout.decode);
}

/** Decodes one fixed-size little-endian scalar at `offset` in `bytes`. */
type FixedDecoder = (bytes: Buffer, offset: number) => GgufValue;

/** Decoder of every fixed-size scalar type (the keys of {@link GGUF_SCALAR_SIZES}). */
const FIXED_DECODERS: Readonly<Partial<Record<GgufValueType, FixedDecoder>>> = {
  [GgufValueType.UINT8]: (bytes, offset) => bytes.readUInt8(offset),
  [GgufValueType.INT8]: (bytes, offset) => bytes.readInt8(offset),
  [GgufValueType.UINT16]: (bytes, offset) => bytes.readUInt16LE(offset),
  [GgufValueType.INT16]: (bytes, offset) => bytes.readInt16LE(offset),
  [GgufValueType.UINT32]: (bytes, offset) => bytes.readUInt32LE(offset),
  [GgufValueType.INT32]: (bytes, offset) => bytes.readInt32LE(offset),
  [GgufValueType.FLOAT32]: (bytes, offset) => bytes.readFloatLE(offset),
  [GgufValueType.BOOL]: (bytes, offset) => bytes.readUInt8(offset) !== 0,
  [GgufValueType.UINT64]: (bytes, offset) => int64ToValue(bytes.readBigUInt64LE(offset)),
  [GgufValueType.INT64]: (bytes, offset) => int64ToValue(bytes.readBigInt64LE(offset)),
  [GgufValueType.FLOAT64]: (bytes, offset) => bytes.readDoubleLE(offset),
};

/** Size and decoder of a fixed-size scalar type, or `undefined` for strings. */
function fixedLayout(type: GgufValueType): { size: number; decode: FixedDecoder } | undefined {
  const size = GGUF_SCALAR_SIZES[type];
  const decode = FIXED_DECODERS[type];
  return size === undefined || decode === undefined ? undefined : { size, decode };
}

/** Returns a 64-bit integer as `number` when it is a safe integer, as `bigint` otherwise. */
function int64ToValue(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

/** Converts a stored signed 64-bit count to a number, rejecting negative or unsafe values. */
function toCount(cursor: FileCursor, value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw cursor.invalid(`${what} ${value} is out of range`);
  }
  return Number(value);
}

/** Returns the data alignment declared by `general.alignment`, or the default. */
function getAlignment(
  cursor: FileCursor,
  metadata: Record<string, GgufValue>,
  metadataTypes: Record<string, GgufValueTypeInfo>,
): number {
  const typeInfo = metadataTypes[GGUF_KEY_ALIGNMENT];
  if (typeInfo === undefined) {
    return GGUF_DEFAULT_ALIGNMENT;
  }
  const alignment = metadata[GGUF_KEY_ALIGNMENT];
  if (typeInfo.type !== GgufValueType.UINT32 || typeof alignment !== 'number') {
    throw cursor.invalid(`"${GGUF_KEY_ALIGNMENT}" must be of type UINT32`);
  }
  if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
    throw cursor.invalid(`"${GGUF_KEY_ALIGNMENT}" = ${alignment} is not a power of two`);
  }
  return alignment;
}

/** Reads one tensor description. */
async function readTensorInfo(cursor: FileCursor): Promise<GgufTensorInfo> {
  const name = await cursor.string();
  const dimCount = await cursor.u32();
  if (dimCount > MAX_TENSOR_DIMS) {
    throw cursor.invalid(`tensor "${name}" has ${dimCount} dimensions (at most ${MAX_TENSOR_DIMS})`);
  }
  const shape: number[] = [];
  for (let i = 0; i < dimCount; i++) {
    shape.push(toCount(cursor, await cursor.i64(), `dimension ${i} of tensor "${name}"`));
  }
  const type = await cursor.i32();
  if (type < 0) {
    throw cursor.invalid(`tensor "${name}" has invalid ggml type ${type}`);
  }
  const offset = int64ToValue(await cursor.u64());
  return { name, shape, type, offset };
}

/** Rounds `value` up to a multiple of the power-of-two `alignment`. */
function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
