/**
 * Checks of public API arguments, shared by every entry point: each wrong
 * value is a `LlamaError` `INVALID_ARGUMENT` naming the argument and showing
 * the value (safely: null-prototype objects, symbols, bigints and cyclic
 * objects included), and nothing is silently ignored: `null` is not "absent",
 * an options object is an object, unknown option keys are errors.
 * (Generation config fields have their own rules in config/rules.ts.)
 * @internal
 */
import { invalidArgument } from './errors';
import { show } from './config/checks';

export { show };

/** `INVALID_ARGUMENT` "`name` must `expectation`, got `value`". */
export function argumentError(name: string, expectation: string, value: unknown): never {
  throw invalidArgument(`${name} must ${expectation}, got ${show(value)}`);
}

/**
 * An options argument: `undefined` is `{}`; anything but a non-array object
 * (null, a primitive, a function, an array, a typed array) is an error. With
 * `keys`, a key not in it is an error too (with the known keys in the message).
 */
export function optionsObject<T extends object>(value: T | undefined, name: string, keys?: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    argumentError(name, 'be an object', value);
  }
  if (keys) {
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) throw invalidArgument(`unknown ${name} key '${key}' (known: ${keys.join(', ')})`);
    }
  }
  return value;
}

/** An optional boolean: `undefined` or a boolean. */
export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') argumentError(name, 'be a boolean', value);
  return value;
}

/** An integer in `[min, max]`. */
export function integer(value: unknown, name: string, min: number, max: number, maxIs?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    argumentError(name, `be an integer in [${min}, ${max}]${maxIs ? ` (${max}: ${maxIs})` : ''}`, value);
  }
  return value;
}

/** An optional integer in `[min, max]`. */
export function optionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  return value === undefined ? undefined : integer(value, name, min, max);
}

/** An optional function. */
export function optionalFunction<F extends (...args: never[]) => unknown>(value: unknown, name: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') argumentError(name, 'be a function', value);
  return value as F | undefined;
}

/** An optional string (non-empty with `nonEmpty`). */
export function optionalString(value: unknown, name: string, nonEmpty = false): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) argumentError(name, nonEmpty ? 'be a non-empty string' : 'be a string', value);
  return value;
}

/** One of `choices` (compared with `===`). */
export function choice<T>(value: unknown, name: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) argumentError(name, `be one of ${choices.map((c) => show(c)).join(', ')}`, value);
  return value as T;
}

/**
 * A native handle given to a public constructor that is not for direct use
 * (`new Model(...)`): an object with the methods the class calls, else
 * `INVALID_ARGUMENT` saying where such objects come from.
 */
export function nativeHandle<T>(value: unknown, methods: readonly string[], origin: string): T {
  const ok = value !== null && typeof value === 'object' && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw invalidArgument(`not a native handle: ${origin}`);
  return value as T;
}
