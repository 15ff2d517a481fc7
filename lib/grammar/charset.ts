/**
 * Code point sets (sorted interval lists, as regex classes produce them) and
 * their encoding as JSON string content.
 */
import { alt, cls, lit, seq, type Expr, type Range } from './expr';

export const MAX_CODE_POINT = 0x10ffff;

/** Sorted, disjoint, non-adjacent inclusive intervals. */
export type CharSet = Range[];

/** The set of the code points in `ranges` (in any order, possibly overlapping). */
export function normalizeSet(ranges: readonly Range[]): CharSet {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** The code points (up to {@link MAX_CODE_POINT}) not in `set`. */
export function complementSet(set: CharSet): CharSet {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** The code points in both `a` and `b`. */
export function intersectSets(a: CharSet, b: CharSet): CharSet {
  return complementSet(normalizeSet([...complementSet(a), ...complementSet(b)]));
}

/** Whether `cp` is in `set`. */
export function setHas(set: CharSet, cp: number): boolean {
  return set.some(([lo, hi]) => lo <= cp && cp <= hi);
}

export const DIGIT_SET: CharSet = [[0x30, 0x39]];
export const WORD_SET: CharSet = normalizeSet([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** ECMAScript WhiteSpace and LineTerminator. */
export const SPACE_SET: CharSet = normalizeSet([
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
export const LINE_TERMINATORS: CharSet = normalizeSet([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);
export const ALL_SET: CharSet = [[0, MAX_CODE_POINT]];
/** Code points a JSON string may hold unescaped in our grammars: no `"`, `\`, controls, DEL or surrogates. */
export const RAW_STRING_SET: CharSet = complementSet(
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
export function encodeSet(set: CharSet): Expr | null {
  // The common case first: one character that needs no escape (a pattern's literal text).
  if (set.length === 1 && set[0]![0] === set[0]![1]) {
    const cp = set[0]![0];
    if (cp >= 0x20 && cp !== 0x22 && cp !== 0x5c && cp !== 0x7f && setHas(RAW_STRING_SET, cp)) return { k: 'lit', cps: [cp] };
  }
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
