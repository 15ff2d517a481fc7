/**
 * Integers and numbers within bounds (`minimum`, `maximum`, exclusive ones,
 * the int32/int64 formats), in plain decimal form.
 */
import { alt, cls, EPSILON, lit, seq, type Expr } from '../expr';
import { fail, Unsatisfiable, unsupported } from '../fail';
import { NUMBER_FORMATS, STRING_FORMATS } from '../formats';
import { nonNegativeRange } from '../integerRanges';
import { MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS } from '../primitives';
import type { RuleSet } from '../rules';
import type { SchemaObject } from '../schema';

/** The grammar for the numbers (or, if `integer`, the integers) `schema` accepts; `name` names the rules it creates. */
export function visitNumber(c: RuleSet, schema: SchemaObject, integer: boolean, name: string): Expr {
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
  if (lower === null && upper === null) return c.primitive(integer ? 'integer' : 'number');
  const cap = 10n ** BigInt(MAX_INTEGER_DIGITS) - 1n;
  // Doubles hold integers exactly up to 2^53: beyond, JSON.parse could round a
  // value onto an exclusive bound. Bounds are clamped there (a subset, never more).
  const safe = 2n ** 53n;
  const toBig = (n: number): bigint => BigInt(n);
  const repFn = (item: Expr, min: number, max: number): Expr => c.rep(item, min, max, `${name}-digits`);
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
    return c.named(name, alt(...parts));
  }

  for (const b of [lower, upper]) {
    if (b && !Number.isInteger(b[0])) unsupported(`non-integer minimum/maximum (${b[0]}) for type number is`);
  }
  const digit = cls([[0x30, 0x39]]);
  const anyFraction = c.opt(seq(lit('.'), c.rep(digit, 1, MAX_FRACTION_DIGITS, `${name}-fraction`)), `${name}-fraction`);
  const zeroFraction = c.opt(seq(lit('.'), c.rep(lit('0'), 1, MAX_FRACTION_DIGITS, `${name}-zeros`)), `${name}-zeros`);
  // Next to an exclusive bound, a fraction of at most 15 - (integer digits) digits
  // keeps I.F strictly between I and I + 1 after rounding to a double.
  const fractionDigits = (i: bigint): number => Math.min(MAX_FRACTION_DIGITS, 15 - i.toString().length);
  const shortFraction = (i: bigint): Expr => {
    const p = fractionDigits(i);
    return p <= 0 ? EPSILON : c.opt(seq(lit('.'), c.rep(digit, 1, p, `${name}-fraction-${p}`)), `${name}-fraction-${p}`);
  };
  const shortNonZeroFraction = (i: bigint): Expr | null => {
    const p = fractionDigits(i);
    return p <= 0 ? null : seq(lit('.'), c.rep(digit, 0, p - 1, `${name}-fraction-${p}`), cls([[0x31, 0x39]]));
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
  return c.named(name, alt(...parts));
}
