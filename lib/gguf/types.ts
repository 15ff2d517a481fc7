/**
 * Constants and types of the GGUF file format shared by the header reader and the test writer.
 *
 * See `vendor/llama.cpp/ggml/include/gguf.h` for the authoritative description of the layout.
 *
 * @packageDocumentation
 */

/** The four magic bytes every GGUF file starts with. */
export const GGUF_MAGIC = 'GGUF';

/** The GGUF format version written by current llama.cpp (and by the test writer). */
export const GGUF_VERSION = 3;

/** Oldest GGUF version still readable (version 1 used 32-bit counts and is no longer supported by llama.cpp). */
export const GGUF_MIN_SUPPORTED_VERSION = 2;

/** Alignment of the tensor data section when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata key that overrides the data alignment; must be of type {@link GgufValueType.UINT32}. */
export const GGUF_KEY_ALIGNMENT = 'general.alignment';

/** Type tag of a GGUF metadata value, as stored in the file (`enum gguf_type` in gguf.h). */
export enum GgufValueType {
  /** Unsigned 8-bit integer. */
  UINT8 = 0,
  /** Signed 8-bit integer. */
  INT8 = 1,
  /** Unsigned 16-bit integer, little-endian. */
  UINT16 = 2,
  /** Signed 16-bit integer, little-endian. */
  INT16 = 3,
  /** Unsigned 32-bit integer, little-endian. */
  UINT32 = 4,
  /** Signed 32-bit integer, little-endian. */
  INT32 = 5,
  /** IEEE 754 binary32, little-endian. */
  FLOAT32 = 6,
  /** Boolean stored as one byte (0 = false, anything else = true). */
  BOOL = 7,
  /** UTF-8 string: uint64 byte length followed by the bytes, no terminator. */
  STRING = 8,
  /** Array: uint32 item type, uint64 item count, then the items (nested arrays are rejected by llama.cpp). */
  ARRAY = 9,
  /** Unsigned 64-bit integer, little-endian. */
  UINT64 = 10,
  /** Signed 64-bit integer, little-endian. */
  INT64 = 11,
  /** IEEE 754 binary64, little-endian. */
  FLOAT64 = 12,
}

/** Byte size of each fixed-size scalar {@link GgufValueType} (strings and arrays are variable-sized and absent). */
export const GGUF_SCALAR_SIZES: Readonly<Partial<Record<GgufValueType, number>>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** The subset of ggml tensor type ids (`enum ggml_type` in ggml.h) this package knows by name. */
export enum GgmlType {
  /** 32-bit float, 4 bytes per element. */
  F32 = 0,
  /** IEEE half precision float, 2 bytes per element. */
  F16 = 1,
  /** Blocks of 32 elements: one fp16 scale followed by 32 int8 values (34 bytes per block). */
  Q8_0 = 8,
  /** bfloat16, 2 bytes per element. */
  BF16 = 30,
}

/** Number of elements in one Q8_0 block (`QK8_0` in ggml). */
export const Q8_0_BLOCK_SIZE = 32;

/** Byte size of one Q8_0 block: fp16 scale + 32 int8 quants. */
export const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK_SIZE;

/**
 * A decoded metadata value. 64-bit integers are returned as `number` when
 * `Number.isSafeInteger` holds and as `bigint` otherwise; arrays hold decoded items.
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** Type tag of a metadata entry as found in the file; `itemType` is set for arrays only. */
export interface GgufValueTypeInfo {
  /**
   * Stored type of the value, numbered as `enum gguf_type` in gguf.h: 0 UINT8,
   * 1 INT8, 2 UINT16, 3 INT16, 4 UINT32, 5 INT32, 6 FLOAT32, 7 BOOL, 8 STRING,
   * 9 ARRAY, 10 UINT64, 11 INT64, 12 FLOAT64.
   */
  type: GgufValueType;
  /** Stored type of the array items when `type` is `ARRAY` (9). */
  itemType?: GgufValueType;
}

/** Description of one tensor as listed in the GGUF header. */
export interface GgufTensorInfo {
  /** Tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** Dimensions in ggml order (`ne[0]`, the contiguous row length, first). */
  shape: number[];
  /** ggml type id (`enum ggml_type` in ggml.h: 0 F32, 1 F16, 8 Q8_0, ...). */
  type: number;
  /** Byte offset of the tensor data relative to {@link GgufHeader.dataOffset}; `bigint` only beyond 2^53. */
  offset: bigint | number;
}

/** Parsed header of a GGUF file (everything before the tensor data). */
export interface GgufHeader {
  /** GGUF format version (2 or 3). */
  version: number;
  /** Number of tensors described in the header. */
  tensorCount: number;
  /** Metadata values by key, in file order. Arrays above the reader's `maxArrayLength` are absent. */
  metadata: Record<string, GgufValue>;
  /** Stored type of every metadata entry in the file, including skipped arrays. */
  metadataTypes: Record<string, GgufValueTypeInfo>;
  /** Tensor descriptions in file order. */
  tensors: GgufTensorInfo[];
  /** Alignment used for the data section (`general.alignment` or 32). */
  alignment: number;
  /** Absolute file offset where the tensor data section starts. */
  dataOffset: number;
}
