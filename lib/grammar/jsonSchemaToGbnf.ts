/**
 * JSON Schema → GBNF conversion: turns a generation config's `json_schema`
 * into a grammar for llama.cpp's grammar sampler, so that sampled text is a
 * JSON document the schema accepts.
 *
 * The approach follows llama.cpp's own converter (common/json-schema-to-grammar.cpp)
 * and grammar conventions (grammars/json.gbnf), with stricter guarantees:
 *
 * - Sound: every string the grammar accepts parses with `JSON.parse` and is
 *   valid under the schema (given the caveats documented on
 *   {@link jsonSchemaToGbnf}, e.g. `oneOf` treated as `anyOf`).
 * - Never looser than the schema: a keyword the converter cannot express
 *   exactly throws `LlamaError('INVALID_ARGUMENT')` instead of being skipped.
 * - Complete up to serialization and a few caps: every valid value has an
 *   accepted serialization (compact or with the bounded whitespace policy,
 *   object keys in schema order, numbers in plain decimal form), unless it
 *   exceeds a documented limit (e.g. more than 16 integer digits).
 * - Only GBNF that llama.cpp's parser accepts: no left recursion, no repetition
 *   of something that can match the empty string, and no repetition count
 *   beyond llama.cpp's limit of 2000 (larger counts are split into chunks).
 */
import { LlamaError } from '../errors';

/** Options of {@link jsonSchemaToGbnf}. */
export interface JsonSchemaToGbnfOptions {
  /**
   * Whether `.` in a `pattern` also matches line terminators (`\n`, `\r`,
   * U+2028, U+2029), like the regex `s` flag. Default `false`: JSON Schema
   * patterns are ECMAScript regexes with the `u` flag only, as ajv runs them.
   */
  dotall?: boolean;
}

// ---------------------------------------------------------------------------
// Grammar expressions
// ---------------------------------------------------------------------------

/** A GBNF expression; `lit` and `cls` work on Unicode code points. */
type Expr =
  | { readonly k: 'lit'; readonly cps: readonly number[] }
  | { readonly k: 'cls'; readonly ranges: readonly Range[]; readonly neg: boolean }
  | { readonly k: 'ref'; readonly name: string }
  | { readonly k: 'seq'; readonly items: readonly Expr[] }
  | { readonly k: 'alt'; readonly items: readonly Expr[] }
  | { readonly k: 'rep'; readonly item: Expr; readonly min: number; readonly max: number | null };

/** An inclusive code point interval. */
type Range = readonly [number, number];

/** A rule whose body is written out by hand (the fixed primitives). */
interface RawRule {
  readonly raw: string;
  readonly nullable: boolean;
  readonly deps: readonly string[];
}

const EPSILON: Expr = { k: 'seq', items: [] };

/** llama.cpp rejects `{m,}` with m > 2000 and turns `{m,n}` with n > 2000 into `{m,}`. */
const MAX_REPETITION = 2000;
/** Chunk size used to express repetition counts above {@link MAX_REPETITION}. */
const REPETITION_CHUNK = 1000;
/** Digit caps that keep numbers bounded (as llama.cpp's json.gbnf does). */
const MAX_INTEGER_DIGITS = 16;
const MAX_FRACTION_DIGITS = 16;
const MAX_CODE_POINT = 0x10ffff;

function cpsOf(text: string): number[] {
  return Array.from(text, (ch) => ch.codePointAt(0)!);
}

function lit(text: string): Expr {
  return { k: 'lit', cps: cpsOf(text) };
}

function cls(ranges: readonly Range[], neg = false): Expr {
  return { k: 'cls', ranges, neg };
}

function ref(name: string): Expr {
  return { k: 'ref', name };
}

/** A sequence, flattening nested sequences and merging adjacent literals. */
function seq(...parts: Expr[]): Expr {
  const items: Expr[] = [];
  const push = (e: Expr): void => {
    if (e.k === 'seq') {
      for (const item of e.items) push(item);
      return;
    }
    if (e.k === 'lit') {
      if (e.cps.length === 0) return;
      const last = items[items.length - 1];
      if (last !== undefined && last.k === 'lit') {
        items[items.length - 1] = { k: 'lit', cps: [...last.cps, ...e.cps] };
        return;
      }
    }
    items.push(e);
  };
  for (const part of parts) push(part);
  return items.length === 1 ? items[0]! : { k: 'seq', items };
}

/** Alternatives, flattening nested alternatives and dropping duplicates. */
function alt(...parts: Expr[]): Expr {
  const items: Expr[] = [];
  const seen = new Set<string>();
  const push = (e: Expr): void => {
    if (e.k === 'alt') {
      for (const item of e.items) push(item);
      return;
    }
    const key = printExpr(e, 0);
    if (seen.has(key)) return;
    seen.add(key);
    items.push(e);
  };
  for (const part of parts) push(part);
  if (items.length === 0) throw new Error('alt() of nothing');
  return items.length === 1 ? items[0]! : { k: 'alt', items };
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

function hex(cp: number, width: number): string {
  return cp.toString(16).toUpperCase().padStart(width, '0');
}

function escapeCodePoint(cp: number): string {
  if (cp === 0x0a) return '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp === 0x09) return '\\t';
  if (cp < 0x100) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

function printLiteralChar(cp: number): string {
  if (cp === 0x22) return '\\"';
  if (cp === 0x5c) return '\\\\';
  if (cp >= 0x20 && cp < 0x7f) return String.fromCodePoint(cp);
  return escapeCodePoint(cp);
}

function printClassChar(cp: number): string {
  switch (cp) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x5b:
      return '\\[';
    case 0x5d:
      return '\\]';
    case 0x2d:
      return '\\-';
    case 0x5e:
      return '\\x5E'; // `^` cannot be backslash-escaped in GBNF
    default:
      if (cp >= 0x20 && cp < 0x7f) return String.fromCodePoint(cp);
      return escapeCodePoint(cp);
  }
}

/** Prints `e` at precedence `prec`: 0 = alternatives, 1 = sequence item, 2 = repeated item. */
function printExpr(e: Expr, prec: number): string {
  switch (e.k) {
    case 'lit': {
      const text = `"${e.cps.map(printLiteralChar).join('')}"`;
      return prec >= 2 && e.cps.length > 1 ? `(${text})` : text;
    }
    case 'cls':
      return `[${e.neg ? '^' : ''}${e.ranges.map(([lo, hi]) => (lo === hi ? printClassChar(lo) : `${printClassChar(lo)}-${printClassChar(hi)}`)).join('')}]`;
    case 'ref':
      return e.name;
    case 'seq': {
      if (e.items.length === 0) return prec >= 1 ? '("")' : '""';
      const text = e.items.map((item) => printExpr(item, 1)).join(' ');
      return prec >= 2 ? `(${text})` : text;
    }
    case 'alt': {
      const hasEmpty = e.items.some((item) => item.k === 'seq' && item.items.length === 0);
      if (hasEmpty) {
        const rest = e.items.filter((item) => !(item.k === 'seq' && item.items.length === 0));
        const inner = rest.length === 1 ? rest[0]! : { k: 'alt' as const, items: rest };
        const text = `${printExpr(inner, 2)}?`;
        return prec >= 2 ? `(${text})` : text;
      }
      const text = e.items.map((item) => printExpr(item, 0)).join(' | ');
      return prec >= 1 ? `(${text})` : text;
    }
    case 'rep': {
      const item = printExpr(e.item, 2);
      const { min, max } = e;
      if (min === 0 && max === 1) return `${item}?`;
      if (min === 0 && max === null) return `${item}*`;
      if (min === 1 && max === null) return `${item}+`;
      if (max === null) return `${item}{${min},}`;
      if (min === max) return `${item}{${min}}`;
      return `${item}{${min},${max}}`;
    }
  }
}

/**
 * The number of symbols llama.cpp's parser creates while parsing `e` inside a
 * group (counting every rule reference as possibly new), used to stay under
 * its "rules × repetitions ≤ 2000" limit.
 */
function groupCost(e: Expr): number {
  switch (e.k) {
    case 'lit':
    case 'cls':
      return 0;
    case 'ref':
      return 1;
    case 'seq':
    case 'alt': {
      const optional = optionalInner(e);
      if (optional) return groupCost({ k: 'rep', item: optional, min: 0, max: 1 });
      return e.items.reduce((sum, item) => sum + (item.k === 'seq' || item.k === 'alt' ? 1 : 0) + groupCost(item), 0);
    }
    case 'rep': {
      const inner = e.item.k === 'cls' || e.item.k === 'ref' ? groupCost(e.item) : 1 + groupCost(e.item);
      return inner + (e.max === null ? 1 : e.max - e.min);
    }
  }
}

/** For alternatives that include the empty sequence (printed as `(…)?`), the other alternatives. */
function optionalInner(e: Expr): Expr | undefined {
  if (e.k !== 'alt' || !e.items.some((item) => item.k === 'seq' && item.items.length === 0)) return undefined;
  const rest = e.items.filter((item) => !(item.k === 'seq' && item.items.length === 0));
  return rest.length === 1 ? rest[0]! : { k: 'alt', items: rest };
}

/** Whether printing `e` involves a repetition operator (llama.cpp then creates rules inside the group). */
function containsRep(e: Expr): boolean {
  switch (e.k) {
    case 'rep':
      return true;
    case 'seq':
    case 'alt':
      return optionalInner(e) !== undefined || e.items.some(containsRep);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Code point sets
// ---------------------------------------------------------------------------

/** Sorted, disjoint, non-adjacent inclusive intervals. */
type CharSet = Range[];

function normalizeSet(ranges: readonly Range[]): CharSet {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complementSet(set: CharSet): CharSet {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function intersectSets(a: CharSet, b: CharSet): CharSet {
  return complementSet(normalizeSet([...complementSet(a), ...complementSet(b)]));
}

function setHas(set: CharSet, cp: number): boolean {
  return set.some(([lo, hi]) => lo <= cp && cp <= hi);
}

const DIGIT_SET: CharSet = [[0x30, 0x39]];
const WORD_SET: CharSet = normalizeSet([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** ECMAScript WhiteSpace and LineTerminator. */
const SPACE_SET: CharSet = normalizeSet([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
const LINE_TERMINATORS: CharSet = normalizeSet([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);
const ALL_SET: CharSet = [[0, MAX_CODE_POINT]];
/** Code points a JSON string may hold unescaped in our grammars: no `"`, `\`, controls, DEL or surrogates. */
const RAW_STRING_SET: CharSet = complementSet(
  normalizeSet([
    [0x00, 0x1f],
    [0x22, 0x22],
    [0x5c, 0x5c],
    [0x7f, 0x7f],
    [0xd800, 0xdfff],
  ]),
);
const SHORT_ESCAPES = new Map<number, string>([
  [0x22, '\\"'],
  [0x5c, '\\\\'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
]);

/** Hex digit class (both cases) for the hex digits in `digits` (0..15). */
function hexDigitClass(digits: number[]): Expr {
  const ranges: Range[] = [];
  for (const d of digits) {
    if (d < 10) ranges.push([0x30 + d, 0x30 + d]);
    else {
      ranges.push([0x61 + d - 10, 0x61 + d - 10]);
      ranges.push([0x41 + d - 10, 0x41 + d - 10]);
    }
  }
  return cls(normalizeSet(ranges));
}

/**
 * The JSON string content (inside the quotes) encoding exactly one code point
 * of `set`: unescaped where JSON allows it, otherwise its escape. Returns null
 * for an empty set. Lone surrogates are never produced.
 */
function encodeSet(set: CharSet): Expr | null {
  const parts: Expr[] = [];
  const raw = intersectSets(set, RAW_STRING_SET);
  if (raw.length > 0) parts.push(raw.length === 1 && raw[0]![0] === raw[0]![1] ? { k: 'lit', cps: [raw[0]![0]] } : cls(raw));
  const unicodeEscapes = new Map<number, number[]>();
  for (const cp of [...Array(0x20).keys(), 0x22, 0x5c, 0x7f]) {
    if (!setHas(set, cp)) continue;
    const short = SHORT_ESCAPES.get(cp);
    if (short !== undefined) parts.push(lit(short));
    else {
      const high = cp >> 4;
      unicodeEscapes.set(high, [...(unicodeEscapes.get(high) ?? []), cp & 0xf]);
    }
  }
  if (unicodeEscapes.size > 0) {
    const groups = [...unicodeEscapes].map(([high, lows]) => seq(lit(high.toString(16)), hexDigitClass(lows)));
    parts.push(seq(lit('\\u00'), alt(...groups)));
  }
  return parts.length === 0 ? null : alt(...parts);
}

// ---------------------------------------------------------------------------
// Primitive rules (written out; their names are reserved)
// ---------------------------------------------------------------------------

const PRIMITIVES: Record<string, RawRule> = {
  space: { raw: '| " " | "\\n" [ \\t]{0,20}', nullable: true, deps: [] },
  // One JSON string character = one code point: `\u` escapes of surrogates are excluded.
  char: {
    raw: '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))',
    nullable: false,
    deps: [],
  },
  string: { raw: '"\\"" char* "\\""', nullable: false, deps: ['char'] },
  'integral-part': { raw: `"0" | [1-9] [0-9]{0,${MAX_INTEGER_DIGITS - 1}}`, nullable: false, deps: [] },
  integer: { raw: '"-"? integral-part', nullable: false, deps: ['integral-part'] },
  number: {
    raw: `"-"? integral-part ("." [0-9]{1,${MAX_FRACTION_DIGITS}})? ([eE] [-+]? [0-9]{1,2})?`,
    nullable: false,
    deps: ['integral-part'],
  },
  boolean: { raw: '"true" | "false"', nullable: false, deps: [] },
  null: { raw: '"null"', nullable: false, deps: [] },
  value: { raw: 'object | array | string | number | boolean | null', nullable: false, deps: ['object', 'array', 'string', 'number', 'boolean', 'null'] },
  object: {
    raw: '"{" space (string space ":" space value ("," space string space ":" space value)* space)? "}"',
    nullable: false,
    deps: ['space', 'string', 'value'],
  },
  array: { raw: '"[" space (value ("," space value)* space)? "]"', nullable: false, deps: ['space', 'value'] },
  // RFC 3339 full-date with the days of each month, leap years included (as ajv-formats checks).
  'leap-year': {
    raw: '[0-9] [0-9] ("0" [48] | [2468] [048] | [13579] [26]) | ([02468] [048] | [13579] [26]) "00"',
    nullable: false,
    deps: [],
  },
  'day-28': { raw: '"0" [1-9] | "1" [0-9] | "2" [0-8]', nullable: false, deps: [] },
  date: {
    raw:
      '[0-9]{4} "-" (("0" [13578] | "1" [02]) "-" (day-28 | "29" | "3" [01]) | ("0" [469] | "11") "-" (day-28 | "29" | "30") | "02-" day-28)' +
      ' | leap-year "-02-29"',
    nullable: false,
    deps: ['day-28', 'leap-year'],
  },
  time: {
    raw: '([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,9})? ("Z" | [-+] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])',
    nullable: false,
    deps: [],
  },
  'date-time': { raw: 'date "T" time', nullable: false, deps: ['date', 'time'] },
  uuid: {
    raw: '[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}',
    nullable: false,
    deps: [],
  },
};

const STRING_FORMATS = ['date', 'time', 'date-time', 'uuid'] as const;
/** ajv-formats' numeric formats: int32 and int64 are integers, int32 within ±2^31; float and double constrain nothing. */
const NUMBER_FORMATS: readonly string[] = ['int32', 'int64', 'float', 'double'];
type StringFormat = (typeof STRING_FORMATS)[number];

/** JS checks mirroring the format rules above (used to filter `enum` values). */
const FORMAT_CHECKS: Record<StringFormat, (s: string) => boolean> = {
  date: isDate,
  time: (s) => /^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[-+]([01][0-9]|2[0-3]):[0-5][0-9])$/.test(s),
  'date-time': (s) => {
    const t = s.indexOf('T');
    return t === 10 && isDate(s.slice(0, t)) && FORMAT_CHECKS.time(s.slice(t + 1));
  },
  uuid: (s) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s),
};

function isDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1]!;
}

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaObject = { [key: string]: unknown };
type Schema = boolean | SchemaObject;

/** Keywords without effect on validation. */
const ANNOTATIONS = new Set([
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$defs',
  'definitions',
  'contentEncoding',
  'contentMediaType',
]);
const OBJECT_KEYWORDS = ['properties', 'required', 'additionalProperties'];
const ARRAY_KEYWORDS = ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems'];
const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern', 'format'];
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const STRUCTURE_KEYWORDS = ['type', 'enum', 'const', '$ref', 'allOf', 'anyOf', 'oneOf'];
const SUPPORTED = new Set([...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS, ...STRING_KEYWORDS, ...NUMBER_KEYWORDS, ...STRUCTURE_KEYWORDS]);
const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
type JsonType = (typeof TYPES)[number];

function fail(message: string): never {
  throw new LlamaError('INVALID_ARGUMENT', `json_schema: ${message}`);
}

function unsupported(what: string): never {
  fail(`${what} not supported`);
}

/** Thrown inside the converter when a subschema admits no value at all. */
class Unsatisfiable extends Error {}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && jsonEqual((a as SchemaObject)[k], (b as SchemaObject)[k]));
}

function isJson(value: unknown, depth = 0): value is Json {
  if (depth > 1000) return false;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (isObject(value)) return Object.values(value).every((v) => isJson(v, depth + 1));
  return false;
}

/** JSON text as our grammars spell it: `JSON.stringify`, with DEL escaped (never raw, as in llama.cpp's `char`). */
function jsonText(value: Json): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007f');
}

function typeOfValue(value: Json): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'object' | 'string' | 'boolean';
}

function nonNegativeInteger(schema: SchemaObject, key: string): number | undefined {
  const value = schema[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(`${key} must be a non-negative integer`);
  return value;
}

function finiteNumber(schema: SchemaObject, key: string): number | undefined {
  const value = schema[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${key} must be a finite number`);
  return value;
}

function schemaTypes(schema: SchemaObject): JsonType[] | undefined {
  const type = schema.type;
  if (type === undefined) return undefined;
  const list = Array.isArray(type) ? type : [type];
  for (const t of list) {
    if (typeof t !== 'string' || !(TYPES as readonly string[]).includes(t)) fail(`unknown type ${JSON.stringify(t)}`);
  }
  return [...new Set(list as JsonType[])];
}

function intersectTypes(a: JsonType[] | undefined, b: JsonType[] | undefined): JsonType[] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = new Set<JsonType>();
  for (const t of a) {
    if (b.includes(t)) out.add(t);
    else if (t === 'integer' && b.includes('number')) out.add('integer');
    else if (t === 'number' && b.includes('integer')) out.add('integer');
  }
  return [...out];
}

/** Whether `value` has type `t` in the JSON Schema sense. */
function hasType(value: Json, t: JsonType): boolean {
  const actual = typeOfValue(value);
  return actual === t || (t === 'number' && actual === 'integer');
}

// ---------------------------------------------------------------------------
// Integer ranges
// ---------------------------------------------------------------------------

const DIGITS = (from: number, to: number): Expr => (from === to ? lit(String(from)) : cls([[0x30 + from, 0x30 + to]]));

/** Decimal strings of the integers in [a, b], both with the same number of digits. */
function sameLengthRange(a: string, b: string, rep: (item: Expr, min: number, max: number) => Expr): Expr {
  if (a === b) return lit(a);
  let i = 0;
  while (a[i] === b[i]) i++;
  const prefix = lit(a.slice(0, i));
  const d1 = Number(a[i]);
  const d2 = Number(b[i]);
  const restA = a.slice(i + 1);
  const restB = b.slice(i + 1);
  const n = restA.length;
  if (n === 0) return seq(prefix, DIGITS(d1, d2));
  const anyDigits = rep(cls([[0x30, 0x39]]), n, n);
  const parts: Expr[] = [];
  let low = d1;
  if (!/^0*$/.test(restA)) {
    parts.push(seq(DIGITS(d1, d1), sameLengthRange(restA, '9'.repeat(n), rep)));
    low = d1 + 1;
  }
  let high = d2;
  const lastPart: Expr[] = [];
  if (!/^9*$/.test(restB)) {
    lastPart.push(seq(DIGITS(d2, d2), sameLengthRange('0'.repeat(n), restB, rep)));
    high = d2 - 1;
  }
  if (low <= high) parts.push(seq(DIGITS(low, high), anyDigits));
  parts.push(...lastPart);
  return seq(prefix, alt(...parts));
}

/** Decimal strings (no leading zeros) of the integers in [lo, hi]; null if empty. */
function nonNegativeRange(lo: bigint, hi: bigint, rep: (item: Expr, min: number, max: number) => Expr): Expr | null {
  if (lo < 0n) lo = 0n;
  if (lo > hi) return null;
  const parts: Expr[] = [];
  const loLen = lo.toString().length;
  const hiLen = hi.toString().length;
  let fullFrom: number | null = null; // start of a run of lengths whose every number is in range
  let withZero = false;
  const flushFull = (until: number): void => {
    if (fullFrom === null) return;
    if (withZero) parts.push(lit('0'));
    parts.push(seq(cls([[0x31, 0x39]]), rep(cls([[0x30, 0x39]]), fullFrom - 1, until - 1)));
    fullFrom = null;
  };
  for (let len = loLen; len <= hiLen; len++) {
    const first = len === 1 ? 0n : 10n ** BigInt(len - 1);
    const last = 10n ** BigInt(len) - 1n;
    const a = lo > first ? lo : first;
    const b = hi < last ? hi : last;
    if ((a === first || (len === 1 && a === 1n)) && b === last) {
      if (fullFrom === null) {
        fullFrom = len;
        withZero = len === 1 && a === 0n;
      }
      continue;
    }
    flushFull(len - 1);
    if (a <= b) parts.push(sameLengthRange(a.toString(), b.toString(), rep));
  }
  flushFull(hiLen);
  return parts.length === 0 ? null : alt(...parts);
}

// ---------------------------------------------------------------------------
// Regular expressions (the `pattern` subset)
// ---------------------------------------------------------------------------

type Regex =
  | { readonly k: 'set'; readonly set: CharSet }
  | { readonly k: 'seq'; readonly items: readonly Regex[] }
  | { readonly k: 'alt'; readonly items: readonly Regex[] }
  | { readonly k: 'rep'; readonly item: Regex; readonly min: number; readonly max: number | null }
  | { readonly k: 'bol' }
  | { readonly k: 'eol' };

class RegexParser {
  private pos = 0;
  private readonly cps: number[];

  constructor(
    private readonly pattern: string,
    private readonly dotall: boolean,
  ) {
    this.cps = cpsOf(pattern);
  }

  private invalid(why: string): never {
    fail(`invalid pattern ${JSON.stringify(this.pattern)}: ${why}`);
  }

  private unsupported(what: string): never {
    unsupported(`pattern ${JSON.stringify(this.pattern)}: ${what}`);
  }

  private peek(offset = 0): string | undefined {
    const cp = this.cps[this.pos + offset];
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  parse(): Regex {
    const result = this.alternation();
    if (this.pos < this.cps.length) this.invalid(`unmatched ${this.peek()}`);
    return result;
  }

  private alternation(): Regex {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? branches[0]! : { k: 'alt', items: branches };
  }

  private sequence(): Regex {
    const items: Regex[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { k: 'seq', items };
  }

  private quantified(atom: Regex): Regex {
    let result = atom;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number | null;
      if (c === '*') [min, max] = [0, null];
      else if (c === '+') [min, max] = [1, null];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.offsetOf(this.pos)));
        if (!m) this.invalid('lone {');
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? null : Number(m[3]);
        if (max !== null && max < min) this.invalid('numbers out of order in {} quantifier');
        this.pos += m[0].length - 1;
      } else return result;
      this.pos++;
      if (this.peek() === '?') this.pos++; // lazy: the same language
      if (result.k === 'bol' || result.k === 'eol') this.invalid('nothing to repeat');
      if (result.k === 'rep') this.invalid('nothing to repeat');
      result = { k: 'rep', item: result, min, max };
    }
  }

  /** String offset (UTF-16) of code point index `i`. */
  private offsetOf(i: number): number {
    let offset = 0;
    for (let j = 0; j < i; j++) offset += this.cps[j]! > 0xffff ? 2 : 1;
    return offset;
  }

  private atom(): Regex {
    const c = this.peek()!;
    this.pos++;
    switch (c) {
      case '^':
        return { k: 'bol' };
      case '$':
        return { k: 'eol' };
      case '.':
        return { k: 'set', set: this.dotall ? ALL_SET : complementSet(LINE_TERMINATORS) };
      case '(': {
        if (this.peek() === '?') {
          if (this.peek(1) === ':') this.pos += 2;
          else if (this.peek(1) === '<' && this.peek(2) !== '=' && this.peek(2) !== '!') {
            const close = this.cps.indexOf(0x3e, this.pos);
            if (close < 0) this.invalid('unterminated group name');
            this.pos = close + 1;
          } else this.unsupported('lookaround assertions and group modifiers are');
        }
        const inner = this.alternation();
        if (this.peek() !== ')') this.invalid('unterminated group');
        this.pos++;
        return inner;
      }
      case '[':
        return { k: 'set', set: this.characterClass() };
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
        return this.invalid('nothing to repeat');
      case '{':
      case '}':
      case ']':
        return this.invalid(`lone ${c}`);
      default:
        return { k: 'set', set: [[c.codePointAt(0)!, c.codePointAt(0)!]] };
    }
  }

  private hexDigits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const c = this.peek();
      if (c === undefined || !/[0-9a-fA-F]/.test(c)) this.invalid('invalid escape');
      value = value * 16 + parseInt(c, 16);
      this.pos++;
    }
    return value;
  }

  /** Parses an escape (after the backslash) to a set. */
  private escape(inClass: boolean): Regex & { k: 'set' } {
    const c = this.peek();
    if (c === undefined) this.invalid('\\ at end of pattern');
    this.pos++;
    const one = (cp: number): Regex & { k: 'set' } => ({ k: 'set', set: [[cp, cp]] });
    switch (c) {
      case 'd':
        return { k: 'set', set: DIGIT_SET };
      case 'D':
        return { k: 'set', set: complementSet(DIGIT_SET) };
      case 'w':
        return { k: 'set', set: WORD_SET };
      case 'W':
        return { k: 'set', set: complementSet(WORD_SET) };
      case 's':
        return { k: 'set', set: SPACE_SET };
      case 'S':
        return { k: 'set', set: complementSet(SPACE_SET) };
      case 't':
        return one(0x09);
      case 'n':
        return one(0x0a);
      case 'r':
        return one(0x0d);
      case 'f':
        return one(0x0c);
      case 'v':
        return one(0x0b);
      case '0':
        if (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) this.invalid('invalid escape');
        return one(0);
      case 'x':
        return one(this.hexDigits(2));
      case 'u': {
        if (this.peek() === '{') {
          const close = this.cps.indexOf(0x7d, this.pos);
          const digits = close < 0 ? '' : String.fromCodePoint(...this.cps.slice(this.pos + 1, close));
          if (!/^[0-9a-fA-F]+$/.test(digits) || parseInt(digits, 16) > MAX_CODE_POINT) this.invalid('invalid unicode escape');
          this.pos = close + 1;
          return one(parseInt(digits, 16));
        }
        const cp = this.hexDigits(4);
        if (cp >= 0xd800 && cp <= 0xdbff && this.peek() === '\\' && this.peek(1) === 'u') {
          const save = this.pos;
          this.pos += 2;
          const low = this.hexDigits(4);
          if (low >= 0xdc00 && low <= 0xdfff) return one(0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00));
          this.pos = save;
        }
        return one(cp);
      }
      case 'c': {
        const letter = this.peek();
        if (letter === undefined || !/[a-zA-Z]/.test(letter)) this.invalid('invalid escape');
        this.pos++;
        return one(letter.codePointAt(0)! % 32);
      }
      case 'b':
        if (inClass) return one(0x08);
        return this.unsupported('word boundaries (\\b) are');
      case 'B':
        return this.unsupported('word boundaries (\\B) are');
      case 'p':
      case 'P':
        return this.unsupported('Unicode property escapes are');
      case 'k':
        return this.unsupported('backreferences are');
      default:
        if (/[1-9]/.test(c)) this.unsupported('backreferences are');
        if (/[\^$\\.*+?()[\]{}|/]/.test(c) || (inClass && c === '-')) return one(c.codePointAt(0)!);
        return this.invalid(`invalid escape \\${c}`);
    }
  }

  private characterClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const classAtom = (): CharSet => {
      const c = this.peek();
      if (c === undefined) this.invalid('unterminated character class');
      this.pos++;
      if (c === '\\') return this.escape(true).set;
      const cp = c.codePointAt(0)!;
      return [[cp, cp]];
    };
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.invalid('unterminated character class');
      if (c === ']') {
        this.pos++;
        break;
      }
      const from = classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const to = classAtom();
        const single = (s: CharSet): boolean => s.length === 1 && s[0]![0] === s[0]![1];
        if (!single(from) || !single(to)) this.invalid('character class escape in a range');
        if (from[0]![0] > to[0]![0]) this.invalid('range out of order in character class');
        ranges.push([from[0]![0], to[0]![0]]);
      } else ranges.push(...from);
    }
    const set = normalizeSet(ranges);
    return negated ? complementSet(set) : set;
  }
}

// ---------------------------------------------------------------------------
// The converter
// ---------------------------------------------------------------------------

class Converter {
  /** Rule name → body, in creation order; `null` while a `$ref` target is being built. */
  private readonly rules = new Map<string, Expr | RawRule | null>();
  private readonly bodyNames = new Map<string, string>();
  private readonly refNames = new Map<string, string>();
  private readonly unsatisfiableRefs = new Set<string>();
  private readonly reserved = new Set(['root', ...Object.keys(PRIMITIVES)]);

  constructor(
    private readonly root: Schema,
    private readonly dotall: boolean,
  ) {}

  convert(): string {
    let body: Expr;
    try {
      body = this.visit(this.root, '');
    } catch (err) {
      if (err instanceof Unsatisfiable) fail('the schema admits no value');
      throw err;
    }
    this.rules.set('root', body);
    this.pruneUnproductive(this.reachable());
    const reachable = this.reachable();
    this.check(reachable);
    return reachable
      .map((name) => {
        const rule = this.rules.get(name)!;
        return `${name} ::= ${'raw' in rule ? rule.raw : printExpr(rule, 0)}\n`;
      })
      .join('');
  }

  /** The rules reachable from root, in depth-first order (failed alternatives may have left others behind). */
  private reachable(): string[] {
    const order: string[] = [];
    const seen = new Set<string>();
    const refsOf = (e: Expr, out: string[]): void => {
      if (e.k === 'ref') out.push(e.name);
      else if (e.k === 'seq' || e.k === 'alt') for (const item of e.items) refsOf(item, out);
      else if (e.k === 'rep') refsOf(e.item, out);
    };
    const walk = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      order.push(name);
      const rule = this.rules.get(name);
      if (rule === undefined || rule === null) throw new Error(`undefined rule ${name}`);
      const next: string[] = [];
      if ('raw' in rule) next.push(...rule.deps);
      else refsOf(rule, next);
      for (const n of next) walk(n);
    };
    walk('root');
    return order;
  }

  /**
   * Removes the alternatives that have no finite derivation (e.g. a recursive
   * `$ref` through required properties only): they add no finite document, and
   * a model sent down one could never finish. Throws if root has none.
   */
  private pruneUnproductive(names: string[]): void {
    const productive = new Map<string, boolean>(names.map((n) => [n, false]));
    const isProductive = (e: Expr): boolean => {
      switch (e.k) {
        case 'lit':
        case 'cls':
          return true;
        case 'ref':
          return productive.get(e.name)!;
        case 'seq':
          return e.items.every(isProductive);
        case 'alt':
          return e.items.some(isProductive);
        case 'rep':
          return e.min === 0 || isProductive(e.item);
      }
    };
    for (let changed = true; changed;) {
      changed = false;
      for (const name of names) {
        const rule = this.rules.get(name)!;
        const p = 'raw' in rule ? true : isProductive(rule);
        if (p !== productive.get(name)) {
          productive.set(name, p);
          changed = true;
        }
      }
    }
    if (!productive.get('root')) fail('the schema has a recursive part that no finite JSON value satisfies');
    const prune = (e: Expr): Expr | null => {
      switch (e.k) {
        case 'lit':
        case 'cls':
          return e;
        case 'ref':
          return productive.get(e.name) ? e : null;
        case 'seq': {
          const items = e.items.map(prune);
          return items.every((i): i is Expr => i !== null) ? { k: 'seq', items } : null;
        }
        case 'alt': {
          const items = e.items.map(prune).filter((i): i is Expr => i !== null);
          return items.length === 0 ? null : items.length === 1 ? items[0]! : { k: 'alt', items };
        }
        case 'rep': {
          const item = prune(e.item);
          if (item === null) return e.min === 0 ? EPSILON : null;
          return { ...e, item };
        }
      }
    };
    for (const name of names) {
      const rule = this.rules.get(name)!;
      if ('raw' in rule || !productive.get(name)) continue;
      this.rules.set(name, prune(rule)!);
    }
  }

  // -- rules ---------------------------------------------------------------

  private freshName(hint: string): string {
    let base = hint.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'rule';
    if (/^[0-9]/.test(base)) base = `r${base}`;
    let name = base;
    for (let i = 1; this.rules.has(name) || this.reserved.has(name); i++) name = `${base}-${i}`;
    return name;
  }

  /** A rule named after `hint` with body `body` (an existing rule if one has that body). */
  private addRule(hint: string, body: Expr): string {
    const key = printExpr(body, 0);
    const existing = this.bodyNames.get(key);
    if (existing !== undefined) return existing;
    const name = this.freshName(hint);
    this.rules.set(name, body);
    this.bodyNames.set(key, name);
    return name;
  }

  /** `body` itself if it is a reference or literal, otherwise a reference to a new rule. */
  private named(hint: string, body: Expr): Expr {
    if (body.k === 'ref' || body.k === 'lit' || hint === 'root') return body;
    return ref(this.addRule(hint, body));
  }

  private primitive(name: keyof typeof PRIMITIVES & string): Expr {
    if (!this.rules.has(name)) {
      const rule = PRIMITIVES[name]!;
      this.rules.set(name, rule);
      for (const dep of rule.deps) this.primitive(dep);
    }
    return ref(name);
  }

  private get space(): Expr {
    return this.primitive('space');
  }

  /** `item` repeated min..max times (max null = unbounded), within llama.cpp's limits. */
  private rep(item: Expr, min: number, max: number | null, hint: string): Expr {
    if (max !== null && max < min) throw new Unsatisfiable();
    if (max === 0) return EPSILON;
    if (min === 1 && max === 1) return item;
    const atomic = item.k === 'lit' || item.k === 'cls' || item.k === 'ref';
    if (min <= MAX_REPETITION && (max === null || max <= MAX_REPETITION)) {
      const total = max !== null ? max : Math.max(min, 1);
      if (!atomic && (containsRep(item) || (1 + groupCost(item)) * total > MAX_REPETITION)) {
        item = ref(this.addRule(hint, item));
      }
      return { k: 'rep', item, min, max };
    }
    if (!atomic) item = ref(this.addRule(hint, item));
    const chunk = ref(this.addRule(`${hint}-chunk`, { k: 'rep', item, min: REPETITION_CHUNK, max: REPETITION_CHUNK }));
    const parts: Expr[] = [];
    // min copies: whole chunks, then the remainder.
    const minChunks = Math.floor(min / REPETITION_CHUNK);
    parts.push(this.rep(chunk, minChunks, minChunks, `${hint}-chunks`), this.rep(item, min % REPETITION_CHUNK, min % REPETITION_CHUNK, hint));
    if (max === null) parts.push(this.rep(item, 0, null, hint));
    else {
      const extra = max - min;
      if (extra <= MAX_REPETITION) parts.push(this.rep(item, 0, extra, hint));
      else {
        // 0..extra copies, unambiguously: fewer than K whole chunks plus up to a
        // chunk less one, or exactly K chunks plus up to R.
        const k = Math.floor(extra / REPETITION_CHUNK);
        const r = extra % REPETITION_CHUNK;
        parts.push(
          alt(
            seq(this.rep(chunk, 0, k - 1, `${hint}-chunks`), this.rep(item, 0, REPETITION_CHUNK - 1, hint)),
            seq(this.rep(chunk, k, k, `${hint}-chunks`), this.rep(item, 0, r, hint)),
          ),
        );
      }
    }
    return seq(...parts);
  }

  private opt(item: Expr, hint: string): Expr {
    return this.rep(item, 0, 1, hint);
  }

  // -- $ref ----------------------------------------------------------------

  private resolvePointer(pointer: string): Schema {
    if (pointer === '#') return this.root;
    if (!pointer.startsWith('#/')) unsupported(`$ref ${JSON.stringify(pointer)} (only local refs like #/$defs/Name are)`);
    let node: unknown = this.root;
    for (const raw of pointer.slice(2).split('/')) {
      let segment: string;
      try {
        segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      } catch {
        fail(`invalid $ref ${JSON.stringify(pointer)}`);
      }
      if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(segment)) node = node[Number(segment)];
      else if (isObject(node) && Object.hasOwn(node, segment)) node = node[segment];
      else fail(`unresolved $ref ${JSON.stringify(pointer)}`);
    }
    if (typeof node !== 'boolean' && !isObject(node)) fail(`$ref ${JSON.stringify(pointer)} does not point to a schema`);
    return node;
  }

  private refRule(pointer: string): Expr {
    const known = this.refNames.get(pointer);
    if (known !== undefined) return ref(known);
    if (this.unsatisfiableRefs.has(pointer)) throw new Unsatisfiable();
    const target = this.resolvePointer(pointer);
    const segments = pointer.split('/');
    const name = this.freshName(pointer === '#' ? 'root-ref' : (segments[segments.length - 1] ?? 'ref'));
    this.rules.set(name, null);
    this.refNames.set(pointer, name);
    let body: Expr;
    try {
      body = this.visit(target, name);
    } catch (err) {
      // Unsatisfiable target: forget the rule (references to it are unreachable).
      this.rules.delete(name);
      this.reserved.add(name);
      this.refNames.delete(pointer);
      if (err instanceof Unsatisfiable) this.unsatisfiableRefs.add(pointer);
      throw err;
    }
    this.rules.set(name, body);
    return ref(name);
  }

  // -- merging (allOf, $ref with siblings, anyOf distribution) -------------

  /**
   * Inlines `$ref` and `allOf` at the top of `schema` (not inside properties or
   * items, which stay lazy so recursive schemas work). Returns `false` if the
   * schema is unsatisfiable.
   */
  private flatten(schema: Schema, refStack: readonly string[] = []): Schema {
    if (typeof schema === 'boolean') return schema;
    this.checkKeywords(schema);
    let rest: Schema = schema;
    if (schema === this.root && schema.$id !== undefined) {
      rest = { ...schema };
      delete rest.$id;
    }
    const parts: Schema[] = [];
    if (schema.$ref !== undefined) {
      if (typeof schema.$ref !== 'string') fail('$ref must be a string');
      if (refStack.includes(schema.$ref)) unsupported(`$ref cycle through ${schema.$ref} without an enclosing object or array is`);
      parts.push(this.flatten(this.resolvePointer(schema.$ref), [...refStack, schema.$ref]));
      rest = { ...rest };
      delete rest.$ref;
    }
    if (schema.allOf !== undefined) {
      if (!Array.isArray(schema.allOf) || schema.allOf.length === 0) fail('allOf must be a non-empty array');
      for (const part of schema.allOf) parts.push(this.flatten(this.asSchema(part, 'allOf'), refStack));
      rest = { ...(rest as SchemaObject) };
      delete rest.allOf;
    }
    return parts.reduce<Schema>((acc, part) => this.merge(acc, part), rest);
  }

  private asSchema(value: unknown, where: string): Schema {
    if (typeof value === 'boolean' || isObject(value)) return value;
    return fail(`${where} must hold schemas (objects or booleans)`);
  }

  /** The schema `a AND b` for flattened schemas (no $ref/allOf at the top). */
  private merge(a: Schema, b: Schema): Schema {
    if (a === false || b === false) return false;
    if (a === true) return b;
    if (b === true) return a;
    const out: SchemaObject = { ...a };
    for (const [key, value] of Object.entries(b)) {
      if (!(key in out) || jsonEqual(out[key], value)) {
        out[key] = value;
        continue;
      }
      const mine = out[key];
      switch (key) {
        case 'type': {
          const types = intersectTypes(schemaTypes(a), schemaTypes(b))!;
          if (types.length === 0) return false;
          out.type = types;
          break;
        }
        case 'required':
          out.required = [...new Set([...(mine as string[]), ...(value as string[])])];
          break;
        case 'minLength':
        case 'minItems':
        case 'minimum':
          out[key] = Math.max(mine as number, value as number);
          break;
        case 'maxLength':
        case 'maxItems':
        case 'maximum':
          out[key] = Math.min(mine as number, value as number);
          break;
        case 'exclusiveMinimum':
        case 'exclusiveMaximum':
          if (typeof mine !== 'number' || typeof value !== 'number') unsupported('draft-04 boolean exclusiveMinimum/exclusiveMaximum in allOf is');
          out[key] = key === 'exclusiveMinimum' ? Math.max(mine, value) : Math.min(mine, value);
          break;
        case 'items':
        case 'additionalItems':
          if (Array.isArray(mine) || Array.isArray(value)) unsupported('merging tuple-form items in allOf is');
          out[key] = { allOf: [mine, value] };
          break;
        case 'enum':
        case 'const': {
          const left = key === 'enum' ? (mine as unknown[]) : [mine];
          const right = key === 'enum' ? (value as unknown[]) : [value];
          const both = left.filter((v) => right.some((w) => jsonEqual(v, w)));
          if (both.length === 0) return false;
          out[key] = key === 'enum' ? both : both[0];
          break;
        }
        case 'anyOf':
        case 'oneOf': {
          const left = mine as unknown[];
          const right = value as unknown[];
          if (left.length * right.length > 64) unsupported(`${key} in more than one allOf component with more than 64 combinations is`);
          out[key] = left.flatMap((x) => right.map((y) => ({ allOf: [x, y] })));
          break;
        }
        case 'properties':
        case 'additionalProperties':
          break; // below
        default:
          if (ANNOTATIONS.has(key) || key.startsWith('x-')) break;
          unsupported(`allOf with different values of ${key} is`);
      }
    }
    if (a.properties !== undefined || b.properties !== undefined || a.additionalProperties !== undefined || b.additionalProperties !== undefined) {
      const propsA = this.properties(a);
      const propsB = this.properties(b);
      const extraA = a.additionalProperties as Schema | undefined;
      const extraB = b.additionalProperties as Schema | undefined;
      const names = [...new Set([...Object.keys(propsA), ...Object.keys(propsB)])];
      const properties: SchemaObject = {};
      for (const name of names) {
        const sa = Object.hasOwn(propsA, name) ? propsA[name] : extraA;
        const sb = Object.hasOwn(propsB, name) ? propsB[name] : extraB;
        properties[name] = sa === undefined ? sb! : sb === undefined ? sa : sa === false || sb === false ? false : { allOf: [sa, sb] };
      }
      if (names.length > 0) out.properties = properties;
      const extra = extraA === undefined ? extraB : extraB === undefined ? extraA : extraA === false || extraB === false ? false : { allOf: [extraA, extraB] };
      if (extra === undefined) delete out.additionalProperties;
      else out.additionalProperties = extra;
    }
    return out;
  }

  private properties(schema: SchemaObject): Record<string, Schema> {
    const props = schema.properties;
    if (props === undefined) return {};
    if (!isObject(props)) fail('properties must be an object');
    for (const [name, value] of Object.entries(props)) this.asSchema(value, `properties.${name}`);
    return props as Record<string, Schema>;
  }

  private checkKeywords(schema: SchemaObject): void {
    for (const key of Object.keys(schema)) {
      if (SUPPORTED.has(key) || ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
      if (key === '$id' && schema === this.root) continue;
      if (key === 'uniqueItems' && schema[key] === false) continue;
      unsupported(`keyword ${key} is`);
    }
    if (schema.required !== undefined && (!Array.isArray(schema.required) || schema.required.some((r) => typeof r !== 'string'))) {
      fail('required must be an array of strings');
    }
    if (schema.enum !== undefined && (!Array.isArray(schema.enum) || !isJson(schema.enum))) fail('enum must be an array of JSON values');
    if (schema.const !== undefined && !isJson(schema.const)) fail('const must be a JSON value');
    for (const key of ['anyOf', 'oneOf']) {
      const value = schema[key];
      if (value !== undefined && (!Array.isArray(value) || value.length === 0)) fail(`${key} must be a non-empty array`);
    }
    for (const key of ['minLength', 'maxLength', 'minItems', 'maxItems']) nonNegativeInteger(schema, key);
    for (const key of ['minimum', 'maximum']) finiteNumber(schema, key);
    for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
      if (typeof schema[key] !== 'boolean') finiteNumber(schema, key);
    }
    if (schema.uniqueItems === true) unsupported('uniqueItems: true is');
  }

  // -- visiting --------------------------------------------------------------

  /** The grammar expression for `schema`; `name` names the rules it creates. */
  private visit(input: Schema, name: string): Expr {
    if (input === true) return this.primitive('value');
    if (input === false) throw new Unsatisfiable();
    this.checkKeywords(input);
    const hint = name || 'root';

    // A plain $ref (annotations aside) becomes a rule reference, which allows recursion.
    if (input.$ref !== undefined && Object.keys(input).every((k) => k === '$ref' || ANNOTATIONS.has(k) || k.startsWith('x-'))) {
      if (typeof input.$ref !== 'string') fail('$ref must be a string');
      return this.refRule(input.$ref);
    }

    const schema = this.flatten(input);
    if (schema === true) return this.primitive('value');
    if (schema === false) throw new Unsatisfiable();

    for (const key of ['anyOf', 'oneOf'] as const) {
      const alternatives = schema[key];
      if (alternatives === undefined) continue;
      const rest: SchemaObject = { ...schema };
      delete rest[key];
      const restIsEmpty = Object.keys(rest).every((k) => ANNOTATIONS.has(k) || k.startsWith('x-') || (k === '$id' && schema === this.root));
      const options: Expr[] = [];
      (alternatives as unknown[]).forEach((alternative, i) => {
        const altSchema = this.asSchema(alternative, key);
        try {
          const body = restIsEmpty ? this.visit(altSchema, `${hint}-${i}`) : this.visit({ allOf: [rest, altSchema] }, `${hint}-${i}`);
          options.push(this.named(`${hint}-${i}`, body));
        } catch (err) {
          if (!(err instanceof Unsatisfiable)) throw err;
        }
      });
      if (options.length === 0) throw new Unsatisfiable();
      return alt(...options);
    }

    if (schema.enum !== undefined || schema.const !== undefined) return this.visitEnum(schema, hint);

    let types = schemaTypes(schema);
    if (types === undefined) {
      // Without `type`, infer it from the keywords (like llama.cpp): narrower than
      // JSON Schema (which would accept any other type), never looser.
      const inferred: JsonType[] = [];
      const has = (keys: string[]): boolean => keys.some((k) => schema[k] !== undefined);
      if (has(OBJECT_KEYWORDS)) inferred.push('object');
      if (has(ARRAY_KEYWORDS.filter((k) => k !== 'uniqueItems'))) inferred.push('array');
      if (has(STRING_KEYWORDS)) inferred.push('string');
      if (has(NUMBER_KEYWORDS)) inferred.push('number');
      if (inferred.length === 0) return this.primitive('value');
      types = inferred;
    }
    if (types.includes('number')) types = types.filter((t) => t !== 'integer');
    if (types.length === 0) throw new Unsatisfiable();
    const options: Expr[] = [];
    for (const type of types) {
      try {
        const body = this.visitType(schema, type, types.length > 1 ? `${hint}-${type}` : hint);
        options.push(types.length > 1 ? this.named(`${hint}-${type}`, body) : body);
      } catch (err) {
        if (!(err instanceof Unsatisfiable)) throw err;
      }
    }
    if (options.length === 0) throw new Unsatisfiable();
    return alt(...options);
  }

  private visitType(schema: SchemaObject, type: JsonType, name: string): Expr {
    switch (type) {
      case 'object':
        return this.visitObject(schema, name);
      case 'array':
        return this.visitArray(schema, name);
      case 'string':
        return this.visitString(schema, name);
      case 'number':
      case 'integer':
        return this.visitNumber(schema, type === 'integer', name);
      case 'boolean':
        return this.primitive('boolean');
      case 'null':
        return this.primitive('null');
    }
  }

  // -- enum / const ------------------------------------------------------------

  private visitEnum(schema: SchemaObject, name: string): Expr {
    let values = (schema.enum as Json[] | undefined) ?? [schema.const as Json];
    if (schema.enum !== undefined && schema.const !== undefined) values = values.filter((v) => jsonEqual(v, schema.const));
    const types = schemaTypes(schema);
    values = values.filter((v) => (types === undefined || types.some((t) => hasType(v, t))) && this.satisfies(schema, v));
    if (values.length === 0) throw new Unsatisfiable();
    const options = values.map((v) => this.constant(v));
    const body = alt(...options);
    return options.length > 1 && name !== 'root' ? this.named(name, body) : body;
  }

  /** Checks the keywords besides type/enum/const for an enum value. */
  private satisfies(schema: SchemaObject, value: Json): boolean {
    for (const key of Object.keys(schema)) {
      if (['type', 'enum', 'const', '$id'].includes(key) || ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
      if (typeof value === 'string') {
        if (!STRING_KEYWORDS.includes(key)) continue;
        const length = cpsOf(value).length;
        if (key === 'minLength' && length < (schema.minLength as number)) return false;
        if (key === 'maxLength' && length > (schema.maxLength as number)) return false;
        if (key === 'pattern') {
          if (typeof schema.pattern !== 'string') fail('pattern must be a string');
          // Validate our way too, so unsupported pattern syntax is still reported.
          new RegexParser(schema.pattern, this.dotall).parse();
          if (!new RegExp(schema.pattern, this.dotall ? 'us' : 'u').test(value)) return false;
        }
        if (key === 'format' && !NUMBER_FORMATS.includes(schema.format as string) && !this.formatCheck(schema.format)(value)) return false;
      } else if (typeof value === 'number') {
        if (key === 'format') {
          const format = schema.format;
          if (format === 'int32' && !(Number.isInteger(value) && value >= -(2 ** 31) && value <= 2 ** 31 - 1)) return false;
          if (format === 'int64' && !Number.isInteger(value)) return false;
          if (!NUMBER_FORMATS.includes(format as string) && !(STRING_FORMATS as readonly unknown[]).includes(format)) {
            unsupported(`format ${JSON.stringify(format)} for numbers is`);
          }
          continue;
        }
        if (!NUMBER_KEYWORDS.includes(key)) continue;
        const bound = schema[key];
        if (typeof bound === 'boolean') unsupported('draft-04 boolean exclusiveMinimum/exclusiveMaximum with enum is');
        const b = bound as number;
        if ((key === 'minimum' && value < b) || (key === 'maximum' && value > b)) return false;
        if ((key === 'exclusiveMinimum' && value <= b) || (key === 'exclusiveMaximum' && value >= b)) return false;
      } else if (value !== null && typeof value === 'object') {
        const kind = Array.isArray(value) ? ARRAY_KEYWORDS : OBJECT_KEYWORDS;
        if (kind.includes(key) && !(key === 'uniqueItems' && schema[key] === false)) unsupported(`enum/const combined with ${key} is`);
      }
    }
    return true;
  }

  private formatCheck(format: unknown): (s: string) => boolean {
    if (typeof format !== 'string' || !(STRING_FORMATS as readonly string[]).includes(format)) {
      unsupported(`format ${JSON.stringify(format)} is`);
    }
    return FORMAT_CHECKS[format as StringFormat];
  }

  /** A JSON value with the same whitespace policy as the rest of the grammar. */
  private constant(value: Json): Expr {
    if (Array.isArray(value)) {
      if (value.length === 0) return seq(lit('['), this.space, lit(']'));
      const items = value.map((v, i) => (i === 0 ? this.constant(v) : seq(lit(','), this.space, this.constant(v))));
      return seq(lit('['), this.space, ...items, this.space, lit(']'));
    }
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.length === 0) return seq(lit('{'), this.space, lit('}'));
      const items = entries.map(([k, v], i) =>
        seq(i === 0 ? EPSILON : seq(lit(','), this.space), lit(jsonText(k)), this.space, lit(':'), this.space, this.constant(v)),
      );
      return seq(lit('{'), this.space, ...items, this.space, lit('}'));
    }
    return lit(jsonText(value));
  }

  // -- objects -------------------------------------------------------------------

  private visitObject(schema: SchemaObject, name: string): Expr {
    const declared = this.properties(schema);
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const extra = schema.additionalProperties;
    if (extra !== undefined) this.asSchema(extra, 'additionalProperties');
    const extraSchema = extra as Schema | undefined;
    const prefix = name === 'root' ? '' : `${name}-`;

    const entries: [string, Schema][] = [];
    for (const [key, value] of Object.entries(declared)) {
      if (value === false) {
        if (required.has(key)) throw new Unsatisfiable();
        continue; // forbidden: simply never produced
      }
      entries.push([key, value]);
    }
    // Required names that are not declared: their value follows additionalProperties.
    for (const key of required) {
      if (Object.hasOwn(declared, key)) continue;
      if (extraSchema === false) throw new Unsatisfiable();
      entries.push([key, extraSchema ?? true]);
    }
    // Every declared name (forbidden ones included) is off limits to additional properties.
    const declaredNames = [...new Set([...Object.keys(declared), ...entries.map(([k]) => k)])];
    if (declaredNames.length === 0 && extraSchema === true) return this.primitive('object');

    const kv = (key: string, value: Schema): Expr => {
      const valueExpr = this.named(`${prefix}${key}`, this.visit(value, `${prefix}${key}`));
      return ref(this.addRule(`${prefix}${key}-kv`, seq(lit(jsonText(key)), this.space, lit(':'), this.space, valueExpr)));
    };
    const requiredKvs: Expr[] = [];
    const optionalKvs: Expr[] = [];
    for (const [key, value] of entries) {
      if (required.has(key)) requiredKvs.push(kv(key, value));
      else {
        try {
          optionalKvs.push(kv(key, value));
        } catch (err) {
          if (!(err instanceof Unsatisfiable)) throw err; // an optional property that can never hold a value is left out
        }
      }
    }
    let additionalKv: Expr | undefined;
    if (extraSchema !== undefined && extraSchema !== false) {
      const valueName = `${prefix}additional-value`;
      const valueExpr = extraSchema === true ? this.primitive('value') : this.named(valueName, this.visit(extraSchema, valueName));
      const keyExpr = declaredNames.length === 0 ? this.primitive('string') : this.named(`${prefix}additional-key`, this.otherKey(declaredNames));
      additionalKv = ref(this.addRule(`${prefix}additional-kv`, seq(keyExpr, this.space, lit(':'), this.space, valueExpr)));
    }

    const open = seq(lit('{'), this.space);
    const close = lit('}');
    const comma = (e: Expr): Expr => seq(lit(','), this.space, e);
    const moreAdditional = additionalKv ? this.rep(comma(additionalKv), 0, null, `${prefix}additional-rest`) : EPSILON;

    if (requiredKvs.length > 0) {
      const body = seq(
        open,
        requiredKvs[0]!,
        ...requiredKvs.slice(1).map(comma),
        ...optionalKvs.map((e, i) => this.opt(comma(e), `${prefix}opt-${i}`)),
        moreAdditional,
        this.space,
        close,
      );
      return body;
    }
    if (optionalKvs.length === 0 && !additionalKv) return seq(open, close);
    // All optional: whichever member comes first has no comma before it.
    // tail(i) = the members after the i-th, each optional, in order.
    const tails: Expr[] = [];
    let tail = moreAdditional;
    for (let i = optionalKvs.length - 1; i >= 0; i--) {
      tails[i] = tail;
      const next = seq(this.opt(comma(optionalKvs[i]!), `${prefix}opt-${i}`), tail);
      tail = i > 0 && optionalKvs.length - i > 1 ? this.named(`${prefix}rest-${i}`, next) : next;
    }
    const firsts = optionalKvs.map((e, i) => seq(e, tails[i]!));
    if (additionalKv) firsts.push(seq(additionalKv, moreAdditional));
    return seq(open, this.opt(seq(alt(...firsts), this.space), `${prefix}members`), close);
  }

  /**
   * A JSON object key (with quotes) other than `names`. Keys are limited to
   * unescaped characters so that a differently escaped spelling of a declared
   * name cannot slip through.
   */
  private otherKey(names: string[]): Expr {
    interface Node {
      terminal: boolean;
      children: Map<number, Node>;
    }
    const trie: Node = { terminal: false, children: new Map() };
    for (const name of names) {
      const cps = cpsOf(name);
      if (cps.some((cp) => !setHas(RAW_STRING_SET, cp))) continue; // cannot be spelled without escapes anyway
      let node = trie;
      for (const cp of cps) {
        let child = node.children.get(cp);
        if (!child) node.children.set(cp, (child = { terminal: false, children: new Map() }));
        node = child;
      }
      node.terminal = true;
    }
    const keyChar = cls(RAW_STRING_SET);
    const build = (node: Node): Expr => {
      if (node.children.size === 0) return node.terminal ? this.rep(keyChar, 1, null, 'key-char') : this.rep(keyChar, 0, null, 'key-char');
      const parts: Expr[] = [];
      if (!node.terminal) parts.push(EPSILON);
      const childCps = [...node.children.keys()].sort((a, b) => a - b);
      for (const cp of childCps) parts.push(seq({ k: 'lit', cps: [cp] }, build(node.children.get(cp)!)));
      const others = intersectSets(RAW_STRING_SET, complementSet(normalizeSet(childCps.map((cp) => [cp, cp]))));
      parts.push(seq(cls(others), this.rep(keyChar, 0, null, 'key-char')));
      return alt(...parts);
    };
    return seq(lit('"'), build(trie), lit('"'));
  }

  // -- arrays --------------------------------------------------------------------

  private visitArray(schema: SchemaObject, name: string): Expr {
    let prefixSchemas: Schema[] = [];
    let rest: Schema | undefined; // schema of items after the prefix; undefined = any
    if (schema.prefixItems !== undefined) {
      if (!Array.isArray(schema.prefixItems)) fail('prefixItems must be an array');
      if (Array.isArray(schema.items)) fail('items must be a schema when prefixItems is given');
      if (schema.additionalItems !== undefined) unsupported('additionalItems with prefixItems is');
      prefixSchemas = schema.prefixItems.map((s) => this.asSchema(s, 'prefixItems'));
      rest = schema.items === undefined ? undefined : this.asSchema(schema.items, 'items');
    } else if (Array.isArray(schema.items)) {
      // Draft 4-7 tuple form.
      prefixSchemas = schema.items.map((s) => this.asSchema(s, 'items'));
      rest = schema.additionalItems === undefined ? undefined : this.asSchema(schema.additionalItems, 'additionalItems');
    } else {
      rest = schema.items === undefined ? undefined : this.asSchema(schema.items, 'items');
    }
    const minItems = (schema.minItems as number | undefined) ?? 0;
    let maxItems = (schema.maxItems as number | undefined) ?? null;
    if (rest === false) maxItems = maxItems === null ? prefixSchemas.length : Math.min(maxItems, prefixSchemas.length);
    if (maxItems !== null && maxItems < minItems) throw new Unsatisfiable();
    if (prefixSchemas.length === 0 && (rest === undefined || rest === true) && minItems === 0 && maxItems === null) return this.primitive('array');

    const prefix = name === 'root' ? 'item' : `${name}-item`;
    // Elements that can never be produced cap the length.
    const prefixExprs: Expr[] = [];
    for (let i = 0; i < prefixSchemas.length && (maxItems === null || i < maxItems); i++) {
      try {
        prefixExprs.push(this.named(`${prefix}-${i}`, this.visit(prefixSchemas[i]!, `${prefix}-${i}`)));
      } catch (err) {
        if (!(err instanceof Unsatisfiable)) throw err;
        maxItems = i;
        break;
      }
    }
    let restExpr: Expr | undefined;
    if (maxItems === null || maxItems > prefixExprs.length) {
      try {
        restExpr = rest === undefined ? this.primitive('value') : this.named(prefix, this.visit(rest, prefix));
      } catch (err) {
        if (!(err instanceof Unsatisfiable)) throw err;
        maxItems = prefixExprs.length;
      }
    }
    if (maxItems !== null && maxItems < minItems) throw new Unsatisfiable();

    const comma = (e: Expr): Expr => seq(lit(','), this.space, e);
    // elements(i): the elements from index i on (i > 0: each preceded by a comma), given min/max.
    const elements = (i: number): Expr => {
      if (maxItems !== null && i >= maxItems) return EPSILON;
      if (i < prefixExprs.length) {
        const item = i === 0 ? prefixExprs[0]! : comma(prefixExprs[i]!);
        const here = seq(item, elements(i + 1));
        return i < minItems || i === 0 ? here : this.opt(here, `${prefix}-from-${i}`);
      }
      if (!restExpr) return EPSILON;
      const minRest = Math.max(0, minItems - i);
      const maxRest = maxItems === null ? null : maxItems - i;
      if (i === 0) {
        return seq(restExpr, this.rep(comma(restExpr), Math.max(0, minRest - 1), maxRest === null ? null : maxRest - 1, `${prefix}-rest`));
      }
      return this.rep(comma(restExpr), minRest, maxRest, `${prefix}-rest`);
    };
    const open = seq(lit('['), this.space);
    const close = lit(']');
    if (maxItems === 0) return seq(open, close);
    const content = seq(elements(0), this.space);
    return minItems === 0 ? seq(open, this.opt(content, `${prefix}s`), close) : seq(open, content, close);
  }

  // -- strings -------------------------------------------------------------------

  private visitString(schema: SchemaObject, name: string): Expr {
    const quote = lit('"');
    const { pattern } = schema;
    // Numeric formats (int32, …) do not apply to strings.
    const format = NUMBER_FORMATS.includes(schema.format as string) ? undefined : schema.format;
    const minLength = (schema.minLength as number | undefined) ?? 0;
    const maxLength = (schema.maxLength as number | undefined) ?? null;
    const hasLength = schema.minLength !== undefined || schema.maxLength !== undefined;
    if (maxLength !== null && maxLength < minLength) throw new Unsatisfiable();
    if (pattern !== undefined) {
      if (typeof pattern !== 'string') fail('pattern must be a string');
      if (format !== undefined) unsupported('pattern combined with format is');
      if (hasLength) unsupported('pattern combined with minLength/maxLength is');
      return this.visitPattern(pattern, name);
    }
    if (format !== undefined) {
      this.formatCheck(format);
      if (hasLength) unsupported('format combined with minLength/maxLength is');
      return seq(quote, this.primitive(format as StringFormat), quote);
    }
    if (!hasLength || (minLength === 0 && maxLength === null)) return this.primitive('string');
    return seq(quote, this.rep(this.primitive('char'), minLength, maxLength, `${name}-chars`), quote);
  }

  private visitPattern(pattern: string, name: string): Expr {
    const regex = new RegexParser(pattern, this.dotall).parse();
    const branches = regex.k === 'alt' ? regex.items : [regex];
    const anyString = this.rep(this.primitive('char'), 0, null, 'chars');
    const options: Expr[] = [];
    for (const branch of branches) {
      const items = branch.k === 'seq' ? [...branch.items] : [branch];
      let anchoredStart = false;
      let anchoredEnd = false;
      while (items[0]?.k === 'bol') {
        items.shift();
        anchoredStart = true;
      }
      while (items[items.length - 1]?.k === 'eol') {
        items.pop();
        anchoredEnd = true;
      }
      const body = this.regexToGrammar({ k: 'seq', items }, `${name}-pattern`, pattern);
      if (body === null) continue;
      const isEmpty = body.k === 'seq' && body.items.length === 0;
      if (!anchoredStart && !anchoredEnd && isEmpty) options.push(anyString);
      else options.push(seq(anchoredStart ? EPSILON : anyString, body, anchoredEnd ? EPSILON : anyString));
    }
    if (options.length === 0) throw new Unsatisfiable();
    return this.named(name, seq(lit('"'), alt(...options), lit('"')));
  }

  /** The JSON-encoded form of the strings `regex` matches; null if none. */
  private regexToGrammar(regex: Regex, hint: string, pattern: string): Expr | null {
    switch (regex.k) {
      case 'bol':
      case 'eol':
        return unsupported(`pattern ${JSON.stringify(pattern)}: anchors (^ $) other than at the start and end are`);
      case 'set':
        return encodeSet(regex.set);
      case 'seq': {
        const parts: Expr[] = [];
        for (const item of regex.items) {
          const part = this.regexToGrammar(item, hint, pattern);
          if (part === null) return null;
          parts.push(part);
        }
        return seq(...parts);
      }
      case 'alt': {
        const parts = regex.items.map((item) => this.regexToGrammar(item, hint, pattern)).filter((p): p is Expr => p !== null);
        return parts.length === 0 ? null : alt(...parts);
      }
      case 'rep': {
        const item = this.regexToGrammar(regex.item, hint, pattern);
        if (item === null) return regex.min === 0 ? EPSILON : null;
        if (this.nullable(item) && regex.max === null) {
          unsupported(`pattern ${JSON.stringify(pattern)}: unbounded repetition of something that can match the empty string is`);
        }
        return this.rep(item, regex.min, regex.max, hint);
      }
    }
  }

  // -- numbers ---------------------------------------------------------------------

  private visitNumber(schema: SchemaObject, integer: boolean, name: string): Expr {
    // (`integer` may become true below, for the int32/int64 formats)
    // Bounds as [value, exclusive]; draft-04 boolean exclusive* modify minimum/maximum.
    const bound = (
      plain: 'minimum' | 'maximum',
      exclusive: 'exclusiveMinimum' | 'exclusiveMaximum',
      tighter: (a: number, b: number) => boolean,
    ): [number, boolean] | null => {
      let result: [number, boolean] | null = null;
      const value = schema[plain] as number | undefined;
      const excl = schema[exclusive];
      if (value !== undefined) result = [value, excl === true];
      if (typeof excl === 'number' && (result === null || tighter(excl, result[0]) || excl === result[0])) result = [excl, true];
      if (typeof excl === 'boolean' && value === undefined && excl) fail(`${exclusive}: true needs ${plain}`);
      return result;
    };
    let lower = bound('minimum', 'exclusiveMinimum', (a, b) => a > b);
    let upper = bound('maximum', 'exclusiveMaximum', (a, b) => a < b);
    // The numeric formats of ajv-formats (OpenAPI): int32 and int64 are integers, int32 in range.
    const format = schema.format;
    if (format === 'int32' || format === 'int64') {
      integer = true;
      if (format === 'int32') {
        if (lower === null || lower[0] < -(2 ** 31)) lower = [-(2 ** 31), false];
        if (upper === null || upper[0] > 2 ** 31 - 1) upper = [2 ** 31 - 1, false];
      }
    } else if (format !== undefined && !NUMBER_FORMATS.includes(format as string) && !(STRING_FORMATS as readonly unknown[]).includes(format)) {
      unsupported(`format ${JSON.stringify(format)} for numbers is`); // string formats do not apply to numbers
    }
    if (lower === null && upper === null) return this.primitive(integer ? 'integer' : 'number');
    const cap = 10n ** BigInt(MAX_INTEGER_DIGITS) - 1n;
    // Doubles hold integers exactly up to 2^53: beyond, JSON.parse could round a
    // value onto an exclusive bound. Bounds are clamped there (a subset, never more).
    const safe = 2n ** 53n;
    const toBig = (n: number): bigint => BigInt(n);
    const repFn = (item: Expr, min: number, max: number): Expr => this.rep(item, min, max, `${name}-digits`);
    for (const b of [lower, upper]) {
      if (b && Math.abs(b[0]) > Number(safe)) {
        if ((b === lower && b[0] > 0) || (b === upper && b[0] < 0)) unsupported(`minimum/maximum beyond ±2^53 (${b[0]}) is`);
      }
    }

    if (integer) {
      let lo: bigint | null = null;
      let hi: bigint | null = null;
      if (lower) lo = lower[1] ? toBig(Math.floor(lower[0])) + 1n : toBig(Math.ceil(lower[0]));
      if (upper) hi = upper[1] ? toBig(Math.ceil(upper[0])) - 1n : toBig(Math.floor(upper[0]));
      if (lo !== null && lo < 1n - safe) lo = 1n - safe;
      if (hi !== null && hi > safe - 1n) hi = safe - 1n;
      if (lo !== null && hi !== null && lo > hi) throw new Unsatisfiable();
      const parts: Expr[] = [];
      const positive = nonNegativeRange(lo === null ? 0n : lo, hi === null ? cap : hi, repFn);
      if (positive) parts.push(positive);
      const negative = nonNegativeRange(hi === null ? 1n : hi >= 0n ? 1n : -hi, lo === null ? cap : -lo, repFn);
      if (negative) parts.push(seq(lit('-'), negative));
      if (parts.length === 0) throw new Unsatisfiable();
      return this.named(name, alt(...parts));
    }

    for (const b of [lower, upper]) {
      if (b && !Number.isInteger(b[0])) unsupported(`non-integer minimum/maximum (${b[0]}) for type number is`);
    }
    const digit = cls([[0x30, 0x39]]);
    const anyFraction = this.opt(seq(lit('.'), this.rep(digit, 1, MAX_FRACTION_DIGITS, `${name}-fraction`)), `${name}-fraction`);
    const zeroFraction = this.opt(seq(lit('.'), this.rep(lit('0'), 1, MAX_FRACTION_DIGITS, `${name}-zeros`)), `${name}-zeros`);
    // Next to an exclusive bound, a fraction of at most 15 - (integer digits) digits
    // keeps I.F strictly between I and I + 1 after rounding to a double.
    const fractionDigits = (i: bigint): number => Math.min(MAX_FRACTION_DIGITS, 15 - i.toString().length);
    const shortFraction = (i: bigint): Expr => {
      const p = fractionDigits(i);
      return p <= 0 ? EPSILON : this.opt(seq(lit('.'), this.rep(digit, 1, p, `${name}-fraction-${p}`)), `${name}-fraction-${p}`);
    };
    const shortNonZeroFraction = (i: bigint): Expr | null => {
      const p = fractionDigits(i);
      return p <= 0 ? null : seq(lit('.'), this.rep(digit, 0, p - 1, `${name}-fraction-${p}`), cls([[0x31, 0x39]]));
    };
    type Bound = { value: bigint; exclusive: boolean } | null;
    /** Magnitudes m = I.F between lo and hi (each optional, inclusive or exclusive, both >= 0). */
    const magnitudes = (lo: Bound, hi: Bound): Expr[] => {
      const out: Expr[] = [];
      const loAny = lo === null ? 0n : lo.exclusive ? lo.value + 1n : lo.value; // smallest I with any fraction
      const hiAny = hi === null ? cap : hi.value - 1n; // largest I with some fraction
      const middle = nonNegativeRange(loAny, hi !== null && hi.exclusive ? hiAny - 1n : hiAny, repFn);
      if (middle) out.push(seq(middle, anyFraction));
      // I = hi - 1 below an exclusive hi: a short fraction.
      if (hi !== null && hi.exclusive && hiAny >= loAny) out.push(seq(lit(hiAny.toString()), shortFraction(hiAny)));
      // I = lo above an exclusive lo: a short nonzero fraction (and I < hi).
      if (lo !== null && lo.exclusive && (hi === null || lo.value < hi.value)) {
        const fraction = shortNonZeroFraction(lo.value);
        if (fraction) out.push(seq(lit(lo.value.toString()), fraction));
      }
      // I = hi inclusive: a zero fraction (and I >= lo).
      if (hi !== null && !hi.exclusive && hi.value >= loAny) out.push(seq(lit(hi.value.toString()), zeroFraction));
      return out;
    };
    let lo: Bound = lower && { value: toBig(lower[0]), exclusive: lower[1] };
    let hi: Bound = upper && { value: toBig(upper[0]), exclusive: upper[1] };
    if (lo !== null && lo.value < -safe) lo = { value: -safe, exclusive: true };
    if (hi !== null && hi.value > safe) hi = { value: safe, exclusive: true };
    const parts: Expr[] = [];
    // x >= 0
    if (hi === null || hi.value > 0n || (hi.value === 0n && !hi.exclusive)) {
      const posLo: Bound = lo === null || lo.value < 0n ? null : lo;
      parts.push(...magnitudes(posLo, hi));
    }
    // x < 0, as "-" m with m > 0
    if (lo === null || lo.value < 0n) {
      let mLo: Bound = { value: 0n, exclusive: true };
      if (hi !== null && hi.value < 0n) mLo = { value: -hi.value, exclusive: hi.exclusive };
      const mHi: Bound = lo === null ? null : { value: -lo.value, exclusive: lo.exclusive };
      const negative = magnitudes(mLo, mHi);
      if (negative.length > 0) parts.push(seq(lit('-'), alt(...negative)));
    }
    if (parts.length === 0) throw new Unsatisfiable();
    return this.named(name, alt(...parts));
  }

  // -- final checks --------------------------------------------------------------

  private nullableCache = new Map<string, boolean>();

  /** Whether `e` matches the empty string (rules under construction count as not nullable). */
  private nullable(e: Expr): boolean {
    switch (e.k) {
      case 'lit':
        return e.cps.length === 0;
      case 'cls':
        return false;
      case 'ref': {
        const cached = this.nullableCache.get(e.name);
        if (cached !== undefined) return cached;
        const rule = this.rules.get(e.name);
        if (rule === undefined || rule === null) return false;
        this.nullableCache.set(e.name, false);
        const result = 'raw' in rule ? rule.nullable : this.nullable(rule);
        this.nullableCache.set(e.name, result);
        return result;
      }
      case 'seq':
        return e.items.every((item) => this.nullable(item));
      case 'alt':
        return e.items.some((item) => this.nullable(item));
      case 'rep':
        return e.min === 0 || this.nullable(e.item);
    }
  }

  /**
   * Rejects grammars llama.cpp cannot use: left recursion and unbounded
   * repetition of a nullable item.
   */
  private check(names: string[]): void {
    const exprOf = (name: string): Expr | RawRule => {
      const rule = this.rules.get(name);
      if (rule === undefined || rule === null) throw new Error(`undefined rule ${name}`);
      return rule;
    };
    // Nullable, as a fixpoint (recursive rules included).
    const nullable = new Map<string, boolean>(names.map((n) => [n, false]));
    const isNullable = (e: Expr): boolean => {
      switch (e.k) {
        case 'lit':
          return e.cps.length === 0;
        case 'cls':
          return false;
        case 'ref':
          return nullable.get(e.name)!;
        case 'seq':
          return e.items.every(isNullable);
        case 'alt':
          return e.items.some(isNullable);
        case 'rep':
          return e.min === 0 || isNullable(e.item);
      }
    };
    for (let changed = true; changed;) {
      changed = false;
      for (const name of names) {
        const rule = exprOf(name);
        const n = 'raw' in rule ? rule.nullable : isNullable(rule);
        if (n !== nullable.get(name)) {
          nullable.set(name, n);
          changed = true;
        }
      }
    }
    // Rules reachable at the left edge of each rule.
    const leftRefs = (e: Expr, out: Set<string>): void => {
      switch (e.k) {
        case 'ref':
          out.add(e.name);
          return;
        case 'seq':
          for (const item of e.items) {
            leftRefs(item, out);
            if (!isNullable(item)) return;
          }
          return;
        case 'alt':
          for (const item of e.items) leftRefs(item, out);
          return;
        case 'rep':
          if (e.max === null && isNullable(e.item)) fail('the schema leads to an unbounded repetition of an empty match, not supported');
          leftRefs(e.item, out);
          return;
        default:
          return;
      }
    };
    const edges = new Map<string, Set<string>>();
    for (const name of names) {
      const rule = exprOf(name);
      const out = new Set<string>();
      if (!('raw' in rule)) leftRefs(rule, out);
      edges.set(name, out);
    }
    const state = new Map<string, 'active' | 'done'>();
    const dfs = (name: string): void => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'active') fail(`the schema is left-recursive (through ${name}): a $ref must not lead back to itself before any character; not supported`);
      state.set(name, 'active');
      for (const next of edges.get(name)!) dfs(next);
      state.set(name, 'done');
    };
    for (const name of names) dfs(name);
  }
}

/**
 * Converts a JSON Schema to a GBNF grammar for llama.cpp's grammar sampler.
 * Every string the grammar's `root` rule matches is a JSON document valid
 * under the schema, and every valid value within the limits below (number
 * digits, keys, bounds beyond ±2^53, a typeless schema's inferred types) has
 * at least one accepted serialization.
 *
 * Supported: `type` (a name or an array of names), `properties`, `required`,
 * `additionalProperties` (false by default, as in llama.cpp: only `true` or a
 * schema allows other keys), `items`, `prefixItems` (and the draft-07 array form
 * of `items` with `additionalItems`), `minItems`/`maxItems`, `enum`, `const`,
 * `anyOf`, `oneOf` (as alternatives: exclusivity is not enforced), `allOf`
 * (merged; also `$ref` with sibling keywords, and `anyOf` next to other
 * keywords), local `$ref` (`#/$defs/…`, `#/definitions/…`, `#`, any local JSON
 * pointer; recursion allowed), `minLength`/`maxLength` (in code points),
 * `pattern` (ECMAScript syntax with the `u` flag: literals, escapes, classes,
 * `.`, `\d \w \s` and their negations, groups, alternation, greedy or lazy
 * `? * + {m} {m,} {m,n}`, `^`/`$` at the ends of top-level alternatives;
 * unanchored patterns match anywhere in the string, as JSON Schema specifies),
 * `format` `date`, `time`, `date-time`, `uuid` (as ajv-formats checks them, leap
 * years included) and the numeric `int32`, `int64`, `float`, `double`, and
 * `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum` (draft-04 booleans
 * too) for integers and, with integer-valued bounds, for numbers. Annotations
 * (`title`, `description`, `default`, `examples`, `$comment`, `$defs`, `x-…`,
 * …) are ignored. A schema without `type` gets the types its keywords imply
 * (`properties` → object, `items` → array, …), or any JSON value if none.
 *
 * Serialization (what the grammar accepts of each valid value): whitespace only
 * from the bounded `space` rule (`| " " | "\n" [ \t]{0,20}`), after `{ [ , :`
 * and object keys and before `} ]`, none around the root value; object members
 * in schema order (required ones, then optional ones, then additional ones);
 * numbers in plain decimal form with at most 16 integer and 16 fraction digits
 * (an exponent of at most two digits where no bound applies, fewer fraction
 * digits next to an exclusive bound, so that rounding to a double cannot reach
 * it); integer and number bounds beyond ±2^53 clamped there; strings without
 * raw DEL or escaped surrogates (a character is one code point), and where a
 * `pattern`, `enum` or `const` applies, escaped the way `JSON.stringify`
 * escapes (DEL as `\u007f`); additional property keys without escapes.
 * Alternatives that no finite value satisfies are dropped.
 *
 * @param schema - the JSON Schema (an object, or `true` for any JSON value)
 * @param options - conversion options
 * @returns GBNF grammar text, one rule per line, starting with `root`
 * @throws {@link LlamaError} `INVALID_ARGUMENT` (message `json_schema: …`) for
 * unsupported keywords or pattern syntax (`not`, `if`/`then`/`else`,
 * `patternProperties`, `propertyNames`, `minProperties`/`maxProperties`,
 * `uniqueItems: true`, `contains`, `multipleOf`, `dependentRequired`,
 * `unevaluated*`, `$dynamicRef`, remote `$ref`, other formats, non-integer
 * bounds for `number`, `pattern` with `minLength`/`maxLength`/`format`,
 * lookarounds, backreferences, `\b`, `\p{…}`, anchors inside the pattern,
 * unbounded repetition of what can match the empty string, …), for malformed
 * schemas, for left-recursive `$ref`s, and for schemas that no (finite) value
 * satisfies, such as `false`.
 */
export function jsonSchemaToGbnf(schema: object | boolean, options: JsonSchemaToGbnfOptions = {}): string {
  if (typeof schema !== 'boolean' && !isObject(schema)) fail('the schema must be an object or a boolean');
  return new Converter(schema as Schema, options.dotall ?? false).convert();
}
