/**
 * Primitive checks for the field rules. Each takes the field name (as the
 * user wrote it, alias included) and throws `INVALID_ARGUMENT` with a message
 * starting with that name, e.g. "top_p must be in [0, 1], got 1.5".
 */
import { invalidArgument } from '../errors';

/** A short rendering of a value for error and warning messages. */
export function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) return String(value);
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isPlainObject(value)) {
    return `a ${value.constructor?.name ?? 'object'}`;
  }
  try {
    const text = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? `${v}n` : v,
    );
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Throws `INVALID_ARGUMENT` "`field` must `expectation`, got `value`". */
export function fail(field: string, expectation: string, value: unknown): never {
  throw invalidArgument(`${field} must ${expectation}, got ${show(value)}`);
}

/** Bounds of a numeric field; `gt`/`lt` are exclusive, `min`/`max` inclusive. */
export interface Bounds {
  int?: boolean;
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
}

function describeBounds(b: Bounds): string {
  const low = b.min !== undefined ? `[${b.min}` : b.gt !== undefined ? `(${b.gt}` : undefined;
  const high = b.max !== undefined ? `${b.max}]` : b.lt !== undefined ? `${b.lt})` : undefined;
  if (low !== undefined && high !== undefined) return `in ${low}, ${high}`;
  if (b.min !== undefined) return `>= ${b.min}`;
  if (b.gt !== undefined) return `> ${b.gt}`;
  if (b.max !== undefined) return `<= ${b.max}`;
  return b.lt !== undefined ? `< ${b.lt}` : 'finite';
}

/** A finite number (an integer with `int`) within `bounds`. */
export function number(field: string, value: unknown, bounds: Bounds = {}): number {
  const kind = bounds.int ? 'an integer' : 'a number';
  if (typeof value !== 'number' || Number.isNaN(value)) fail(field, `be ${kind}`, value);
  if (!Number.isFinite(value)) fail(field, 'be finite', value);
  if (bounds.int && !Number.isInteger(value)) fail(field, 'be an integer', value);
  const { min, max, gt, lt } = bounds;
  if ((min !== undefined && value < min) || (max !== undefined && value > max) ||
      (gt !== undefined && value <= gt) || (lt !== undefined && value >= lt)) {
    fail(field, `be ${describeBounds(bounds)}`, value);
  }
  return value;
}

/** A boolean. */
export function boolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(field, 'be a boolean', value);
  return value;
}

/** One of `choices`. */
export function oneOf<T>(field: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) fail(field, `be one of ${choices.map(show).join(', ')}`, value);
  return value as T;
}

/** Largest token id accepted (llama_token is a 32-bit signed integer). */
const MAX_TOKEN_ID = 0x7fffffff;

/** A token id: an integer in [0, 2^31 - 1]. */
export function tokenId(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TOKEN_ID) {
    fail(field, 'be a token id (an integer >= 0)', value);
  }
  return value;
}

/** A list of token ids (a fresh frozen array); `nonEmpty` rejects `[]`. */
export function tokenIds(field: string, value: unknown, nonEmpty = false): readonly number[] {
  if (!Array.isArray(value)) fail(field, 'be a list of token ids', value);
  if (nonEmpty && value.length === 0) fail(field, 'be a non-empty list of token ids', value);
  return Object.freeze(value.map((id: unknown, i) => tokenId(`${field}[${i}]`, id)));
}

/** A token id or a non-empty list of them, as a list. */
export function tokenIdOrList(field: string, value: unknown): readonly number[] {
  if (typeof value === 'number') return Object.freeze([tokenId(field, value)]);
  if (!Array.isArray(value)) fail(field, 'be a token id or a list of token ids', value);
  return tokenIds(field, value, true);
}

/** A non-empty string. */
export function nonEmptyString(field: string, value: unknown): string {
  if (typeof value !== 'string') fail(field, 'be a string', value);
  if (value.length === 0) fail(field, 'be a non-empty string', value);
  return value;
}

/** A list of non-empty strings (a fresh frozen array). */
export function stringList(field: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) fail(field, 'be a list of strings', value);
  return Object.freeze(value.map((s: unknown, i) => nonEmptyString(`${field}[${i}]`, s)));
}

/** A string or a list of non-empty strings, as a list. */
export function stringOrList(field: string, value: unknown): readonly string[] {
  if (typeof value === 'string') return Object.freeze([nonEmptyString(field, value)]);
  if (!Array.isArray(value)) fail(field, 'be a string or a list of strings', value);
  return stringList(field, value);
}

/** A plain object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Deep structural equality of JSON-like values (numbers by `Object.is` except 0 / -0). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return false;
}
