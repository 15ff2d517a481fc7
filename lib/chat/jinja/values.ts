/**
 * The Python value model templates see. Python's types map onto JavaScript
 * as: `None` → `null`, `bool` → boolean, `int` → an integral number, `float`
 * → {@link PyFloat}, `str` → string, `list` → array, `tuple` → {@link Tuple},
 * `dict` → `Map` (insertion order, as Python 3.7+), and jinja2's own objects
 * (Undefined, Markup, namespace, loop, generators) have a class each. @internal
 */
import { TemplateFailure, typeError, type PythonErrorType } from './errors';

/** jinja2's `Undefined`: renders as `''`, is falsy and empty, and raises when used otherwise. */
export class Undefined {
  /**
   * @param message - what jinja2 says when it raises (`'x' is undefined`, `'dict object' has no attribute 'y'`)
   * @param exc - `SecurityError` for an unsafe attribute of the immutable sandbox
   */
  constructor(
    readonly message: string,
    readonly exc: PythonErrorType = 'UndefinedError',
  ) {}

  /** Raises the error this undefined value stands for. */
  fail(): never {
    throw new TemplateFailure(this.exc, this.message);
  }
}

/** A Python `float` (an integral number alone is an `int`). */
export class PyFloat {
  constructor(readonly v: number) {}
}

/** A Python `tuple`. */
export class Tuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** markupsafe's `Markup`: a string marked safe; `+` with a plain string HTML-escapes the other side. */
export class Markup {
  constructor(readonly s: string) {}
}

/** jinja2's `namespace()`: the one object a template can assign attributes to. */
export class Namespace {
  readonly attrs = new Map<string, unknown>();
}

/** Keyword arguments of a call, by name. */
export type Kwargs = Map<string, unknown>;

/** Anything callable: globals, macros, bound methods, `loop.cycle`. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[], kwargs: Kwargs) => unknown,
    readonly kind: 'function' | 'macro' | 'method' = 'function',
  ) {}
}

/**
 * A one-shot Python iterator (a generator from `map`/`select`/`items`, a
 * `list_reverseiterator`): computed when first consumed (so errors surface
 * then, as in Python), empty afterwards.
 */
export class PyIterator {
  #consumed = false;
  constructor(
    readonly kind: string,
    readonly produce: () => unknown[],
  ) {}

  /** Consumes the iterator. */
  take(): unknown[] {
    if (this.#consumed) return [];
    this.#consumed = true;
    return this.produce();
  }
}

/** A re-iterable view with a length: `range(...)`, `dict.items()`, `dict.keys()`, `dict.values()`. */
export class PyView {
  constructor(
    readonly kind: 'range' | 'dict_items' | 'dict_keys' | 'dict_values',
    readonly items: readonly unknown[],
    readonly reprText: string,
  ) {}
}

/** `int`, `float` or `bool` (Python's numbers; `bool` is an `int`). */
export function isNumber(v: unknown): v is number | boolean | PyFloat {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}

/** The numeric value of an `int`, `float` or `bool`. */
export function num(v: number | boolean | PyFloat): number {
  return v instanceof PyFloat ? v.v : Number(v);
}

/** `str` or `Markup`. */
export function isStr(v: unknown): v is string | Markup {
  return typeof v === 'string' || v instanceof Markup;
}

/** The text of a `str` or `Markup`. */
export function text(v: string | Markup): string {
  return typeof v === 'string' ? v : v.s;
}

/** A list or a tuple. */
export function isSequenceLike(v: unknown): v is unknown[] | Tuple {
  return Array.isArray(v) || v instanceof Tuple;
}

/** The items of a list or tuple. */
export function seqItems(v: unknown[] | Tuple): readonly unknown[] {
  return Array.isArray(v) ? v : v.items;
}

/** A Python number built from a JavaScript one: integral → `int`, otherwise `float`. */
export function pyNumber(n: number, float = false): number | PyFloat {
  return float || !Number.isInteger(n) ? new PyFloat(n) : n === 0 ? 0 : n;
}

/** Python's `type(v).__name__`. */
export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (v instanceof Undefined) return 'Undefined';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'int';
    case 'string':
      return 'str';
  }
  if (v instanceof PyFloat) return 'float';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Tuple) return 'tuple';
  if (v instanceof Map) return 'dict';
  if (v instanceof Markup) return 'Markup';
  if (v instanceof Namespace) return 'Namespace';
  if (v instanceof PyCallable) return v.kind === 'macro' ? 'Macro' : v.kind === 'method' ? 'builtin_function_or_method' : 'function';
  if (v instanceof PyIterator) return v.kind;
  if (v instanceof PyView) return v.kind;
  if (v instanceof LoopContext) return 'LoopContext';
  return 'object';
}

/** jinja2's `object_type_repr`, used in undefined messages: `'dict object'`, `'None'`. */
export function objectTypeRepr(v: unknown): string {
  if (v === null) return 'None';
  return `${typeName(v)} object`;
}

/** Python truthiness. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v instanceof Undefined) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'string':
      return v.length > 0;
  }
  if (v instanceof PyFloat) return v.v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Tuple) return v.items.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof Markup) return v.s.length > 0;
  if (v instanceof PyView) return v.items.length > 0;
  return true;
}

/** The code points of a string (Python indexes strings by code point). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** `iter(v)` drained: the items a `for` loop over `v` sees; raises `TypeError` for what Python cannot iterate. */
export function iterate(v: unknown): unknown[] {
  if (v instanceof Undefined) return [];
  if (typeof v === 'string') return codePoints(v);
  if (v instanceof Markup) return codePoints(v.s);
  if (Array.isArray(v)) return v.slice();
  if (v instanceof Tuple) return v.items.slice();
  if (v instanceof Map) return [...v.keys()];
  if (v instanceof PyIterator) return v.take();
  if (v instanceof PyView) return v.items.slice();
  return typeError(`'${typeName(v)}' object is not iterable`);
}

/** Whether `iter(v)` works. */
export function isIterable(v: unknown): boolean {
  return (
    v instanceof Undefined || isStr(v) || Array.isArray(v) || v instanceof Tuple || v instanceof Map || v instanceof PyIterator || v instanceof PyView
  );
}

/** `len(v)`. */
export function pyLen(v: unknown): number {
  if (v instanceof Undefined) return 0;
  if (isStr(v)) return codePoints(text(v)).length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Tuple) return v.items.length;
  if (v instanceof Map) return v.size;
  if (v instanceof PyView) return v.items.length;
  return typeError(`object of type '${typeName(v)}' has no len()`);
}

/** The loop object of a `for` block. */
export class LoopContext {
  /**
   * @param changed - `loop.changed(*args)`: whether `args` differ from the previous call's, over the whole loop
   */
  constructor(
    readonly index0: number,
    readonly items: readonly unknown[],
    readonly depth0: number,
    readonly changed: (args: unknown[]) => boolean,
  ) {}

  /** `loop.<name>`, or undefined for an unknown attribute. */
  attribute(name: string): unknown {
    const i = this.index0;
    const n = this.items.length;
    switch (name) {
      case 'index':
        return i + 1;
      case 'index0':
        return i;
      case 'revindex':
        return n - i;
      case 'revindex0':
        return n - i - 1;
      case 'first':
        return i === 0;
      case 'last':
        return i === n - 1;
      case 'length':
        return n;
      case 'depth':
        return this.depth0 + 1;
      case 'depth0':
        return this.depth0;
      case 'previtem':
        return i > 0 ? this.items[i - 1] : new Undefined('there is no previous item');
      case 'nextitem':
        return i < n - 1 ? this.items[i + 1] : new Undefined('there is no next item');
      case 'cycle':
        return new PyCallable('cycle', (args) => {
          if (args.length === 0) return typeError('no items for cycling given');
          return args[i % args.length];
        });
      case 'changed':
        return new PyCallable('changed', (args) => this.changed(args));
    }
    return new Undefined(`'LoopContext object' has no attribute '${name}'`);
  }
}

/** Converts an input value (JSON-like JavaScript) into the template's Python values. */
export function fromJs(value: unknown, depth = 0): unknown {
  if (depth > 200) return typeError('the value is nested too deeply (more than 200 levels)');
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return pyNumber(value);
    case 'bigint':
      return Number(value);
  }
  if (Array.isArray(value)) return value.map((v) => fromJs(v, depth + 1));
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value) out.set(fromJs(k, depth + 1), fromJs(v, depth + 1));
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) out.set(k, fromJs(v, depth + 1));
    return out;
  }
  return typeError(`cannot pass a ${typeof value} to a chat template`);
}
