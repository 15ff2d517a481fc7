/**
 * jinja2's attribute and item lookup under the immutable sandbox transformers
 * uses: `x.name` tries the Python attribute first (a dict's `items`, a
 * string's `split`), then the item; `x[key]` the other way round. Mutating
 * methods (`list.append`, `dict.update`) are unsafe: calling them raises
 * `SecurityError`. Anything else missing is an {@link Undefined}. @internal
 */
import { fail, typeError } from './errors';
import { NOT_FOUND, mapGet, pyEquals } from './operators';
import { pyRepr } from './repr';
import { strMethod } from './strings';
import {
  LoopContext,
  Markup,
  Namespace,
  PyCallable,
  PyFloat,
  PyView,
  Tuple,
  Undefined,
  codePoints,
  isNumber,
  isStr,
  objectTypeRepr,
  seqItems,
  text,
  typeName,
  type Kwargs,
} from './values';

const UNSAFE: Record<string, readonly string[]> = {
  dict: ['clear', 'pop', 'popitem', 'setdefault', 'update'],
  list: ['append', 'clear', 'extend', 'insert', 'pop', 'remove', 'reverse', 'sort'],
};

function unsafe(obj: unknown, name: string): Undefined {
  return new Undefined(`access to attribute '${name}' of '${typeName(obj)}' object is unsafe.`, 'SecurityError');
}

function noAttribute(obj: unknown, name: string): Undefined {
  return new Undefined(`'${objectTypeRepr(obj)}' has no attribute '${name}'`);
}

function noElement(obj: unknown, key: unknown): Undefined {
  return new Undefined(`${objectTypeRepr(obj)} has no element ${pyRepr(key)}`);
}

/** A dict's view (`items()`, `keys()`, `values()`). */
function dictView(m: Map<unknown, unknown>, kind: 'dict_items' | 'dict_keys' | 'dict_values'): PyView {
  const items = kind === 'dict_items' ? [...m].map(([k, v]) => new Tuple([k, v])) : kind === 'dict_keys' ? [...m.keys()] : [...m.values()];
  return new PyView(kind, items, `${kind}(${pyRepr(items)})`);
}

function method(name: string, call: (args: unknown[], kwargs: Kwargs) => unknown): PyCallable {
  return new PyCallable(name, call, 'method');
}

function dictMethod(m: Map<unknown, unknown>, name: string): unknown {
  switch (name) {
    case 'get':
      return method('get', (args) => {
        if (args.length < 1 || args.length > 2) typeError(`get expected 1 or 2 arguments, got ${args.length}`);
        const v = mapGet(m, args[0]);
        return v === NOT_FOUND ? (args.length > 1 ? args[1] : null) : v;
      });
    case 'items':
    case 'keys':
    case 'values':
      return method(name, () => dictView(m, `dict_${name}`));
    case 'copy':
      return method('copy', () => new Map(m));
  }
  return undefined;
}

function sequenceMethod(seq: unknown[] | Tuple, name: string): unknown {
  const items = seqItems(seq);
  switch (name) {
    case 'index':
      return method('index', (args) => {
        const i = items.findIndex((x) => pyEquals(x, args[0]));
        return i === -1 ? fail('ValueError', `${pyRepr(args[0])} is not in ${typeName(seq)}`) : i;
      });
    case 'count':
      return method('count', (args) => items.filter((x) => pyEquals(x, args[0])).length);
    case 'copy':
      return Array.isArray(seq) ? method('copy', () => seq.slice()) : undefined;
  }
  return undefined;
}

/** `obj.name`. */
export function getAttr(obj: unknown, name: string): unknown {
  if (obj instanceof Undefined) return obj.fail();
  if (name.startsWith('__')) return unsafe(obj, name);
  const kind = typeName(obj);
  if (UNSAFE[kind]?.includes(name)) return unsafe(obj, name);
  if (isStr(obj)) return strMethod(obj, name, getAttr, getItem) ?? noAttribute(obj, name);
  if (obj instanceof Map) {
    const m = dictMethod(obj, name);
    if (m !== undefined) return m;
    const v = mapGet(obj, name);
    return v === NOT_FOUND ? noAttribute(obj, name) : v;
  }
  if (Array.isArray(obj) || obj instanceof Tuple) return sequenceMethod(obj, name) ?? noAttribute(obj, name);
  if (obj instanceof PyView && obj.kind === 'range' && (name === 'index' || name === 'count')) return sequenceMethod(new Tuple(obj.items), name);
  if (obj instanceof Namespace) return obj.attrs.has(name) ? obj.attrs.get(name) : new Undefined(`'jinja2.utils.Namespace object' has no attribute '${name}'`);
  if (obj instanceof LoopContext) return obj.attribute(name);
  if (isNumber(obj) && (name === 'real' || name === 'imag')) {
    if (name === 'imag') return obj instanceof PyFloat ? new PyFloat(0) : 0;
    return typeof obj === 'boolean' ? Number(obj) : obj;
  }
  return noAttribute(obj, name);
}

/** `obj[key]`. */
export function getItem(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) return obj.fail();
  if (key instanceof Undefined && !(obj instanceof Map)) return noElement(obj, key);
  if (obj instanceof Map) {
    if (Array.isArray(key) || key instanceof Map || key instanceof Undefined) return noAttribute(obj, String(pyRepr(key)));
    const v = mapGet(obj, key);
    if (v !== NOT_FOUND) return v;
  } else if (isStr(obj) || Array.isArray(obj) || obj instanceof Tuple || (obj instanceof PyView && obj.kind === 'range')) {
    if (typeof key === 'number' || typeof key === 'boolean') {
      const items = isStr(obj) ? codePoints(text(obj)) : obj instanceof PyView ? obj.items : seqItems(obj as unknown[] | Tuple);
      const i = Number(key) < 0 ? items.length + Number(key) : Number(key);
      if (i >= 0 && i < items.length) return obj instanceof Markup ? new Markup(items[i] as string) : items[i];
      return noElement(obj, key);
    }
  }
  if (isStr(key)) return getAttr(obj, text(key));
  return noElement(obj, key);
}

/** `obj[start:stop:step]`: jinja2 compiles slices to a plain Python subscript, so errors propagate. */
export function getSlice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (obj instanceof Undefined) return obj.fail();
  if (obj instanceof Map) return typeError("unhashable type: 'slice'");
  let items: readonly unknown[];
  if (isStr(obj)) items = codePoints(text(obj));
  else if (Array.isArray(obj) || obj instanceof Tuple) items = seqItems(obj);
  else if (obj instanceof PyView && obj.kind === 'range') items = obj.items;
  else return typeError(`'${typeName(obj)}' object is not subscriptable`);
  const bound = (v: unknown): number | null => {
    if (v === null) return null;
    if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
    return typeError('slice indices must be integers or None or have an __index__ method');
  };
  const a = bound(start);
  const b = bound(stop);
  const c = bound(step);
  if (c === 0) return fail('ValueError', 'slice step cannot be zero');
  const out = pySlice(items, a, b, c ?? 1);
  if (typeof obj === 'string') return out.join('');
  if (obj instanceof Markup) return new Markup(out.join(''));
  if (obj instanceof Tuple) return new Tuple(out);
  if (obj instanceof PyView) {
    const r = out as number[];
    return new PyView('range', r, `range(${r[0] ?? 0}, ${r.length > 0 ? r[r.length - 1] + 1 : 0})`);
  }
  return out;
}

/** Python's slice semantics over a sequence. */
export function pySlice<T>(items: readonly T[], start: number | null, stop: number | null, step: number): T[] {
  const n = items.length;
  const out: T[] = [];
  if (step > 0) {
    let a = start === null ? 0 : start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const b = stop === null ? n : stop < 0 ? Math.max(0, n + stop) : Math.min(stop, n);
    for (; a < b; a += step) out.push(items[a]);
  } else {
    let a = start === null ? n - 1 : start < 0 ? Math.max(-1, n + start) : Math.min(start, n - 1);
    const b = stop === null ? -1 : stop < 0 ? Math.max(-1, n + stop) : Math.min(stop, n - 1);
    for (; a > b; a += step) out.push(items[a]);
  }
  return out;
}

/** Calls a value as a function. */
export function callValue(fn: unknown, args: unknown[], kwargs: Kwargs): unknown {
  if (fn instanceof Undefined) return fn.fail();
  if (fn instanceof PyCallable) return fn.call(args, kwargs);
  return typeError(`'${typeName(fn)}' object is not callable`);
}

