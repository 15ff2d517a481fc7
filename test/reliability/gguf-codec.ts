/**
 * A GGUF file as editable data for the mutator: parse a file into its key/value
 * pairs, tensor descriptions and data blob, serialize it back byte for byte,
 * with the offset of every field (for byte-level mutations at the boundaries),
 * and apply a mutation recipe (JSON: structural edits, then byte edits) to a base file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './child';

/** GGUF value type ids (gguf.h). */
export const T = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;
export type ScalarName = Exclude<keyof typeof T, 'array'>;
const NAMES = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k])) as Record<number, keyof typeof T>;
const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** A scalar: numbers as strings in JSON-able recipes ("NaN", "-1", "18446744073709551615"). */
export type Scalar = string | number | boolean | bigint;

export interface Kv {
  key: string;
  type: number;
  /** Item type of an array. */
  itemType?: number;
  /** The value (an array's items); numbers of 64-bit types as bigint. */
  value: Scalar | Scalar[];
}

export interface TensorInfo {
  name: string;
  dims: bigint[];
  type: number;
  offset: bigint;
}

export interface Gguf {
  version: number;
  kvs: Kv[];
  tensors: TensorInfo[];
  /** The bytes after the header padding (tensor data). */
  data: Buffer;
}

/** A field of the serialized file, for byte-level mutations. */
export interface Field {
  at: number;
  size: number;
  what: string;
  kind: 'magic' | 'version' | 'count' | 'strlen' | 'type' | 'value' | 'ndims' | 'dim' | 'ttype' | 'toffset';
}

export interface Layout {
  fields: Field[];
  /** Offsets where something starts (kv, key, value, tensor info...): truncation points. */
  boundaries: Array<{ at: number; what: string }>;
  dataOffset: number;
  size: number;
}

class Reader {
  at = 0;
  constructor(readonly buf: Buffer) {}
  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }
  str(): string {
    const n = Number(this.u64());
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  scalar(type: number): Scalar {
    const b = this.buf;
    const at = this.at;
    if (type === T.string) return this.str();
    this.at += SIZES[type];
    switch (type) {
      case T.u8: return b.readUInt8(at);
      case T.i8: return b.readInt8(at);
      case T.u16: return b.readUInt16LE(at);
      case T.i16: return b.readInt16LE(at);
      case T.u32: return b.readUInt32LE(at);
      case T.i32: return b.readInt32LE(at);
      case T.f32: return b.readFloatLE(at);
      case T.bool: return b.readUInt8(at) !== 0;
      case T.u64: return b.readBigUInt64LE(at);
      case T.i64: return b.readBigInt64LE(at);
      case T.f64: return b.readDoubleLE(at);
    }
    throw new Error(`bad type ${type}`);
  }
}

/** Parses a well-formed GGUF file (the bases; mutants are never parsed). */
export function parseGguf(buf: Buffer): Gguf {
  const r = new Reader(buf);
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not a GGUF file');
  r.at = 4;
  const version = r.u32();
  const nTensors = Number(r.u64());
  const nKv = Number(r.u64());
  const kvs: Kv[] = [];
  for (let i = 0; i < nKv; i++) {
    const key = r.str();
    const type = r.u32();
    if (type === T.array) {
      const itemType = r.u32();
      const n = Number(r.u64());
      const items: Scalar[] = [];
      for (let j = 0; j < n; j++) items.push(r.scalar(itemType));
      kvs.push({ key, type, itemType, value: items });
    } else {
      kvs.push({ key, type, value: r.scalar(type) });
    }
  }
  const tensors: TensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str();
    const nd = r.u32();
    const dims: bigint[] = [];
    for (let d = 0; d < nd; d++) dims.push(r.u64());
    const type = r.u32();
    tensors.push({ name, dims, type, offset: r.u64() });
  }
  const alignment = alignmentOf(kvs);
  const dataOffset = Math.ceil(r.at / alignment) * alignment;
  return { version, kvs, tensors, data: buf.subarray(dataOffset) };
}

/** The alignment the data is padded to: general.alignment when it is a power of two up to 64 KiB (a mutant may declare 2^31). */
function alignmentOf(kvs: Kv[]): number {
  const a = kvs.find((kv) => kv.key === 'general.alignment');
  const n = a && typeof a.value === 'number' ? a.value : 32;
  return n > 0 && n <= 65536 && (n & (n - 1)) === 0 ? n : 32;
}

/** Encodes one scalar of `type`; numbers may be given as strings ("NaN", "-1", big integers). */
export function encodeScalar(type: number, value: Scalar): Buffer {
  if (type === T.string) {
    const body = Buffer.from(String(value), 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(body.length));
    return Buffer.concat([len, body]);
  }
  const b = Buffer.alloc(SIZES[type]);
  const num = Number(value);
  const big = (): bigint => (typeof value === 'bigint' ? value : BigInt(typeof value === 'string' && /^-?\d+$/.test(value) ? value : Math.trunc(num || 0)));
  switch (type) {
    case T.u8: b.writeUInt8(Number(BigInt.asUintN(8, big()))); break;
    case T.i8: b.writeInt8(Number(BigInt.asIntN(8, big()))); break;
    case T.u16: b.writeUInt16LE(Number(BigInt.asUintN(16, big()))); break;
    case T.i16: b.writeInt16LE(Number(BigInt.asIntN(16, big()))); break;
    case T.u32: b.writeUInt32LE(Number(BigInt.asUintN(32, big()))); break;
    case T.i32: b.writeInt32LE(Number(BigInt.asIntN(32, big()))); break;
    case T.f32: b.writeFloatLE(num); break;
    case T.bool: b.writeUInt8(typeof value === 'boolean' ? Number(value) : Number(BigInt.asUintN(8, big()))); break;
    case T.u64: b.writeBigUInt64LE(BigInt.asUintN(64, big())); break;
    case T.i64: b.writeBigInt64LE(BigInt.asIntN(64, big())); break;
    case T.f64: b.writeDoubleLE(num); break;
    default: throw new Error(`bad scalar type ${type}`);
  }
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function u64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
  return b;
}

/** Serializes `g` (padding the header to its alignment) and returns the bytes with the offset of every field. */
export function serialize(g: Gguf): { bytes: Buffer; layout: Layout } {
  const parts: Buffer[] = [];
  const fields: Field[] = [];
  const boundaries: Layout['boundaries'] = [];
  let at = 0;
  const put = (b: Buffer, field?: Omit<Field, 'at' | 'size'>): void => {
    if (field) fields.push({ at, size: b.length, ...field });
    parts.push(b);
    at += b.length;
  };
  const mark = (what: string): void => {
    boundaries.push({ at, what });
  };
  const putString = (s: string, what: string): void => {
    const body = Buffer.from(s, 'utf8');
    put(u64(body.length), { what: `${what} length`, kind: 'strlen' });
    mark(`${what} text`);
    put(body);
  };
  put(Buffer.from('GGUF', 'latin1'), { what: 'magic', kind: 'magic' });
  mark('version');
  put(u32(g.version), { what: 'version', kind: 'version' });
  mark('tensor count');
  put(u64(g.tensors.length), { what: 'tensor count', kind: 'count' });
  mark('kv count');
  put(u64(g.kvs.length), { what: 'kv count', kind: 'count' });
  for (const kv of g.kvs) {
    mark(`kv ${kv.key}`);
    putString(kv.key, `key ${kv.key}`);
    mark(`type of ${kv.key}`);
    put(u32(kv.type), { what: `type of ${kv.key}`, kind: 'type' });
    mark(`value of ${kv.key}`);
    if (kv.type === T.array) {
      const items = kv.value as Scalar[];
      put(u32(kv.itemType!), { what: `item type of ${kv.key}`, kind: 'type' });
      put(u64(items.length), { what: `length of ${kv.key}`, kind: 'count' });
      items.forEach((item, i) => {
        if (i < 4 || i === items.length - 1) mark(`${kv.key}[${i}]`);
        if (kv.itemType === T.string && i < 8) putString(String(item), `${kv.key}[${i}]`);
        else put(encodeScalar(kv.itemType!, item), i < 4 ? { what: `${kv.key}[${i}]`, kind: 'value' } : undefined);
      });
    } else if (kv.type === T.string) {
      putString(String(kv.value), `value of ${kv.key}`);
    } else {
      put(encodeScalar(kv.type, kv.value as Scalar), { what: `value of ${kv.key}`, kind: 'value' });
    }
  }
  for (const t of g.tensors) {
    mark(`tensor info ${t.name}`);
    putString(t.name, `name of tensor ${t.name}`);
    put(u32(t.dims.length), { what: `dimensions of ${t.name}`, kind: 'ndims' });
    t.dims.forEach((d, i) => put(u64(d), { what: `dimension ${i} of ${t.name}`, kind: 'dim' }));
    put(u32(t.type), { what: `type of tensor ${t.name}`, kind: 'ttype' });
    put(u64(t.offset), { what: `offset of tensor ${t.name}`, kind: 'toffset' });
  }
  const alignment = alignmentOf(g.kvs);
  mark('header padding');
  const dataOffset = Math.ceil(at / alignment) * alignment;
  put(Buffer.alloc(dataOffset - at));
  mark('tensor data');
  for (const t of g.tensors) {
    const o = dataOffset + Number(t.offset);
    if (o > dataOffset && o <= dataOffset + g.data.length) boundaries.push({ at: o, what: `data of ${t.name}` });
  }
  put(g.data);
  return { bytes: Buffer.concat(parts), layout: { fields, boundaries, dataOffset, size: at } };
}

/** A scalar or array value in a recipe. */
export type RecipeValue = { t: ScalarName; v: Scalar } | { t: 'array'; item: ScalarName; v: Scalar[] };

/** One edit of a recipe: structural edits (on the parsed file) come first, byte edits (on its bytes) after. */
export type Edit =
  | { op: 'kv-set'; key: string; value: RecipeValue }
  | { op: 'kv-remove'; key: string }
  | { op: 'kv-rename-prefix'; from: string; to: string }
  | { op: 'array-set'; key: string; index: number; value: Scalar }
  | { op: 'array-length'; key: string; length: number }
  | { op: 'array-item-type'; key: string; item: ScalarName }
  | { op: 'tensor-set'; name: string; type?: number; offset?: string; dims?: string[] }
  | { op: 'tensor-remove'; name: string }
  | { op: 'tensor-duplicate'; name: string }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'write'; at: number; hex: string }
  | { op: 'truncate'; length: number };

/** A mutant: a base file and the edits to make of it. */
export interface Recipe {
  base: BaseName;
  edits: Edit[];
}

export type BaseName = 'stories260K' | 'tiny-bpe';

/** The committed stories260K (the same bytes as /work/shared/models/stories260K.gguf). */
export const STORIES_PATH = join(ROOT, 'models', 'stories260K.gguf');

/** The options of the synthetic BPE model (test/support/random-llama.ts): GPT-2's tokenizer, tiny weights. */
export const TINY_BPE_OPTIONS = { vocab: 'gpt-2', nLayer: 1, nEmbd: 8, nHead: 2, nHeadKv: 1, nFf: 16, contextLength: 128, type: 'f16' } as const;

const BYTE_OPS = new Set(['flip', 'write', 'truncate']);

function scalarValue(type: number, v: Scalar): Scalar {
  if (type === T.string) return String(v);
  if (type === T.bool) return v === true || v === 'true' || (typeof v !== 'boolean' && Number(v) !== 0);
  if (type === T.u64 || type === T.i64) return typeof v === 'bigint' ? v : /^-?\d+$/.test(String(v)) ? BigInt(String(v)) : BigInt(Math.trunc(Number(v) || 0));
  return Number(v);
}

function findKv(g: Gguf, key: string): Kv | undefined {
  return g.kvs.find((kv) => kv.key === key);
}

function uniqueFiller(kv: Kv, i: number): Scalar {
  if (kv.itemType === T.string) return `<extra_${i}>`;
  const items = kv.value as Scalar[];
  return items.length > 0 ? items[items.length - 1] : scalarValue(kv.itemType!, 0);
}

function applyStructural(g: Gguf, edit: Edit): void {
  switch (edit.op) {
    case 'kv-set': {
      const kv: Kv = edit.value.t === 'array'
        ? { key: edit.key, type: T.array, itemType: T[edit.value.item], value: edit.value.v.map((x) => scalarValue(T[(edit.value as { item: ScalarName }).item], x)) }
        : { key: edit.key, type: T[edit.value.t], value: scalarValue(T[edit.value.t], edit.value.v) };
      const i = g.kvs.findIndex((k) => k.key === edit.key);
      if (i >= 0) g.kvs[i] = kv;
      else g.kvs.push(kv);
      return;
    }
    case 'kv-remove':
      g.kvs = g.kvs.filter((kv) => kv.key !== edit.key);
      return;
    case 'kv-rename-prefix':
      g.kvs = g.kvs.map((kv) => (kv.key.startsWith(edit.from) ? { ...kv, key: edit.to + kv.key.slice(edit.from.length) } : kv));
      return;
    case 'array-set': {
      const kv = findKv(g, edit.key);
      if (!kv || kv.type !== T.array) return;
      const items = [...(kv.value as Scalar[])];
      if (edit.index < items.length) items[edit.index] = scalarValue(kv.itemType!, edit.value);
      kv.value = items;
      return;
    }
    case 'array-length': {
      const kv = findKv(g, edit.key);
      if (!kv || kv.type !== T.array) return;
      const items = (kv.value as Scalar[]).slice(0, edit.length);
      for (let i = items.length; i < edit.length; i++) items.push(uniqueFiller(kv, i));
      kv.value = items;
      return;
    }
    case 'array-item-type': {
      const kv = findKv(g, edit.key);
      if (!kv || kv.type !== T.array) return;
      const item = T[edit.item];
      kv.value = (kv.value as Scalar[]).map((x) => scalarValue(item, typeof x === 'string' ? x.length : x));
      kv.itemType = item;
      return;
    }
    case 'tensor-set': {
      const t = g.tensors.find((x) => x.name === edit.name);
      if (!t) return;
      if (edit.type !== undefined) t.type = edit.type;
      if (edit.offset !== undefined) t.offset = BigInt(edit.offset);
      if (edit.dims !== undefined) t.dims = edit.dims.map((d) => BigInt(d));
      return;
    }
    case 'tensor-remove':
      g.tensors = g.tensors.filter((t) => t.name !== edit.name);
      return;
    case 'tensor-duplicate': {
      const t = g.tensors.find((x) => x.name === edit.name);
      if (t) g.tensors.push({ ...t, dims: [...t.dims] });
      return;
    }
    default:
      return;
  }
}

function cloneGguf(g: Gguf): Gguf {
  return {
    version: g.version,
    kvs: g.kvs.map((kv) => ({ ...kv, value: Array.isArray(kv.value) ? kv.value : kv.value })),
    tensors: g.tensors.map((t) => ({ ...t, dims: [...t.dims] })),
    data: g.data,
  };
}

/** The bytes of `recipe` applied to `base`. */
export function applyRecipe(base: Gguf, edits: readonly Edit[]): Buffer {
  const structural = edits.filter((e) => !BYTE_OPS.has(e.op));
  let bytes: Buffer;
  if (structural.length === 0) {
    bytes = Buffer.from(serialize(base).bytes);
  } else {
    const g = cloneGguf(base);
    for (const edit of structural) applyStructural(g, edit);
    bytes = serialize(g).bytes;
  }
  for (const edit of edits) {
    if (edit.op === 'flip') {
      if (edit.at < bytes.length) bytes[edit.at] ^= 1 << (edit.bit & 7);
    } else if (edit.op === 'write') {
      const patch = Buffer.from(edit.hex, 'hex');
      if (edit.at < bytes.length) patch.copy(bytes, edit.at, 0, Math.min(patch.length, bytes.length - edit.at));
    } else if (edit.op === 'truncate') {
      bytes = bytes.subarray(0, Math.min(edit.length, bytes.length));
    }
  }
  return bytes;
}

/** Reads and parses a base file, checking that it serializes back to the same bytes. */
export function loadBase(path: string): Gguf {
  const bytes = readFileSync(path);
  const g = parseGguf(bytes);
  const again = serialize(g).bytes;
  if (!again.equals(bytes)) throw new Error(`${path}: the GGUF codec does not reproduce the file byte for byte`);
  return g;
}

/** A short description of an edit, for reports. */
export function describeEdit(e: Edit): string {
  switch (e.op) {
    case 'kv-set': return `${e.key} = ${e.value.t === 'array' ? `${e.value.item}[${e.value.v.length}]` : `${e.value.t} ${JSON.stringify(String(e.value.v)).slice(0, 40)}`}`;
    case 'kv-remove': return `remove ${e.key}`;
    case 'kv-rename-prefix': return `rename ${e.from}* to ${e.to}*`;
    case 'array-set': return `${e.key}[${e.index}] = ${JSON.stringify(String(e.value)).slice(0, 40)}`;
    case 'array-length': return `${e.key} length ${e.length}`;
    case 'array-item-type': return `${e.key} items as ${e.item}`;
    case 'tensor-set': return `tensor ${e.name}${e.type !== undefined ? ` type ${e.type}` : ''}${e.offset !== undefined ? ` offset ${e.offset}` : ''}${e.dims ? ` dims [${e.dims.join(',')}]` : ''}`;
    case 'tensor-remove': return `remove tensor ${e.name}`;
    case 'tensor-duplicate': return `duplicate tensor ${e.name}`;
    case 'flip': return `flip bit ${e.bit} at ${e.at}`;
    case 'write': return `write ${e.hex} at ${e.at}`;
    case 'truncate': return `truncate to ${e.length}`;
  }
}

export { NAMES as TYPE_NAMES };
