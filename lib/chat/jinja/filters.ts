/**
 * jinja2's built-in filters with Python semantics (strings, numbers, escaping;
 * the sequence ones are in sequence-filters.ts), plus transformers' `tojson`
 * (`json.dumps` with `ensure_ascii=False`, not jinja2's HTML-escaping one).
 * @internal
 */
import { getAttr, getSlice } from './attributes';
import { fail, typeError } from './errors';
import { binaryOp, percentFormat } from './operators';
import { escapeHtml, jsonDumps, pyStr } from './repr';
import { SEQUENCE_FILTERS } from './sequence-filters';
import { arg, pyCapitalize, splitLines, stripChars } from './strings';
import {
  Markup,
  PyFloat,
  PyIterator,
  PyView,
  Tuple,
  Undefined,
  codePoints,
  isIterable,
  isNumber,
  isStr,
  iterate,
  num,
  pyLen,
  text,
  truthy,
  typeName,
  type Kwargs,
} from './values';

/** What a filter can call back into: other filters and tests (for `map`, `select`). */
export interface FilterContext {
  callFilter(name: string, value: unknown, args: unknown[], kwargs: Kwargs): unknown;
  callTest(name: string, value: unknown, args: unknown[], kwargs: Kwargs): boolean;
}

/** A filter: the value, positional and keyword arguments. */
export type Filter = (ctx: FilterContext, value: unknown, args: unknown[], kwargs: Kwargs) => unknown;

/** jinja2's `soft_str`: strings (and Markup) as they are, anything else through `str()`. */
function softStr(v: unknown): string | Markup {
  return isStr(v) ? v : pyStr(v);
}

/** Applies a string function, keeping Markup as Markup (markupsafe's wrapped methods). */
function strOp(v: unknown, f: (s: string) => string): string | Markup {
  const s = softStr(v);
  return s instanceof Markup ? new Markup(f(s.s)) : f(s);
}

function toInt(value: unknown, fallback: unknown, base: number): unknown {
  if (isStr(value)) {
    const s = text(value).trim().replace(/_/g, '');
    if (base === 10 && /^[+-]?\d+$/.test(s)) return Number(s);
    if (base !== 10) {
      const n = parseInt(s.replace(/^0[xob]/i, ''), base);
      if (!Number.isNaN(n)) return n;
    }
    const f = pyFloatFromString(text(value));
    return f === null || !Number.isFinite(f) ? fallback : Math.trunc(f);
  }
  if (value instanceof Undefined) return value.fail();
  if (isNumber(value)) {
    const n = num(value);
    return Number.isFinite(n) ? Math.trunc(n) : fallback;
  }
  return fallback;
}

/** Python's `float(str)`, or null. */
function pyFloatFromString(s: string): number | null {
  const t = s.trim().replace(/_/g, '').toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
  return null;
}

/** Whether `x * 10^digits` is exactly halfway between two integers (exact binary arithmetic). */
function isExactTie(x: number, digits: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let e = exponent - 1075;
  if (exponent === 0) e = -1074;
  else mantissa |= 1n << 52n;
  // x * 10^d * 2 = mantissa * 10^d * 2^(e + 1): a tie when that is an odd integer.
  let n = mantissa * 10n ** BigInt(digits);
  const shift = -(e + 1);
  if (shift <= 0) return shift === 0 && n % 2n === 1n;
  const divisor = 1n << BigInt(shift);
  if (n % divisor !== 0n) return false;
  n /= divisor;
  return n % 2n === 1n;
}

/** Python's `round(x, n)`: correctly rounded on the exact binary value, exact ties to the even digit. */
function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || digits > 100) return x;
  if (digits < 0) {
    const m = 10 ** -digits;
    const q = x / m;
    const r = Math.round(q);
    return (Math.abs(q % 1) === 0.5 ? 2 * Math.round(q / 2) : r) * m;
  }
  if (isExactTie(x, digits)) {
    const m = 10 ** digits;
    const floor = Math.floor(Math.abs(x) * m);
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (Math.sign(x) * even) / m;
  }
  return Number(x.toFixed(digits));
}

/** `v[:n]`. */
function getSliceOf(v: unknown, n: number): unknown {
  return getSlice(v, null, n, null);
}

const FILTERS: Record<string, Filter> = {
  abs: (_c, v) => {
    if (!isNumber(v)) return typeError(`bad operand type for abs(): '${typeName(v)}'`);
    return v instanceof PyFloat ? new PyFloat(Math.abs(v.v)) : Math.abs(Number(v));
  },
  attr: (_c, v, a) => getAttr(v, text(a[0] as string)),
  capitalize: (_c, v) => strOp(v, pyCapitalize),
  center: (_c, v, a, k) => {
    const s = pyStr(v);
    const width = Number(arg(a, k, 0, 'width', 80));
    const n = codePoints(s).length;
    if (width <= n) return s;
    const total = width - n;
    const left = Math.floor(total / 2) + (total & width & 1);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  count: (_c, v) => pyLen(v),
  default: (_c, v, a, k) => {
    const fallback = arg(a, k, 0, 'default_value', '');
    const boolean = truthy(arg(a, k, 1, 'boolean', false));
    return v instanceof Undefined || (boolean && !truthy(v)) ? fallback : v;
  },
  escape: (_c, v) => escapeHtml(v),
  float: (_c, v, a, k) => {
    const fallback = arg(a, k, 0, 'default', new PyFloat(0));
    if (isNumber(v)) return new PyFloat(num(v));
    if (isStr(v)) {
      const f = pyFloatFromString(text(v));
      return f === null ? fallback : new PyFloat(f);
    }
    if (v instanceof Undefined) return v.fail();
    return fallback;
  },
  forceescape: (_c, v) => escapeHtml(isStr(v) ? text(v) : pyStr(v)),
  format: (_c, v, a, k) => {
    if (a.length > 0 && k.size > 0) fail('TemplateRuntimeError', "can't handle positional and keyword arguments at the same time");
    return percentFormat(softStr(v), k.size > 0 ? new Map(k) : new Tuple(a));
  },
  indent: (_c, v, a, k) => {
    const width = arg(a, k, 0, 'width', 4);
    const first = truthy(arg(a, k, 1, 'first', false));
    const blank = truthy(arg(a, k, 2, 'blank', false));
    const indention = isStr(width) ? text(width) : ' '.repeat(Math.max(0, Number(width)));
    // jinja2 appends the newline to the value itself (`s += newline`): only strings get through.
    if (v instanceof Undefined) return v.fail();
    if (Array.isArray(v)) return fail('AttributeError', "'list' object has no attribute 'splitlines'");
    if (!isStr(v)) return typeError(`unsupported operand type(s) for +=: '${typeName(v)}' and 'str'`);
    const s = `${text(v)}\n`;
    const lines = splitLines(s);
    let rv: string;
    if (blank) rv = lines.join(`\n${indention}`);
    else {
      rv = lines.shift() ?? '';
      if (lines.length > 0) rv += `\n${lines.map((l) => (l ? indention + l : l)).join('\n')}`;
    }
    return first ? indention + rv : rv;
  },
  int: (_c, v, a, k) => toInt(v, arg(a, k, 0, 'default', 0), Number(arg(a, k, 1, 'base', 10))),
  length: (_c, v) => pyLen(v),
  lower: (_c, v) => strOp(v, (s) => s.toLowerCase()),
  replace: (_c, v, a, k) => {
    const s = pyStr(v);
    const old = pyStr(a[0]);
    const neu = pyStr(a[1]);
    const count = arg(a, k, 2, 'count', null);
    const n = count === null ? -1 : Number(count);
    if (n < 0) return old === '' ? [...codePoints(s).map((c) => neu + c), neu].join('') : s.split(old).join(neu);
    const parts = s.split(old);
    return parts.slice(0, n + 1).join(neu) + (parts.length > n + 1 ? old + parts.slice(n + 1).join(old) : '');
  },
  round: (_c, v, a, k) => {
    const precision = Number(arg(a, k, 0, 'precision', 0));
    const method = arg(a, k, 1, 'method', 'common');
    if (!isNumber(v)) return typeError(`type ${typeName(v)} doesn't define __round__ method`);
    const x = num(v);
    if (method === 'common') {
      if (!(v instanceof PyFloat)) return typeof v === 'boolean' ? Number(v) : x;
      return new PyFloat(pyRound(x, precision));
    }
    if (method !== 'ceil' && method !== 'floor') return fail('TemplateRuntimeError', 'method must be common, ceil or floor');
    const m = 10 ** precision;
    return new PyFloat((method === 'ceil' ? Math.ceil(x * m) : Math.floor(x * m)) / m);
  },
  safe: (_c, v) => (v instanceof Markup ? v : new Markup(pyStr(v))),
  string: (_c, v) => softStr(v),
  striptags: (_c, v) => pyStr(v).replace(/<!--.*?-->|<[^>]*>/gs, '').split(/\s+/).filter(Boolean).join(' '),
  title: (_c, v) =>
    pyStr(v)
      .split(/([-\s({[<]+)/u)
      .filter((item) => item !== '')
      .map((item) => item[0].toUpperCase() + item.slice(1).toLowerCase())
      .join(''),
  tojson: (_c, v, a, k) => {
    const ensureAscii = truthy(arg(a, k, 0, 'ensure_ascii', false));
    const indent = arg(a, k, 1, 'indent', null);
    const separators = arg(a, k, 2, 'separators', null);
    const sortKeys = truthy(arg(a, k, 3, 'sort_keys', false));
    let sep: [string, string] | null = null;
    if (separators !== null) {
      const parts = iterate(separators);
      if (parts.length !== 2 || !parts.every(isStr)) return typeError('separators must be a pair of strings');
      sep = [text(parts[0] as string), text(parts[1] as string)];
    }
    const indentText = indent === null ? null : isStr(indent) ? text(indent) : typeof indent === 'number' ? ' '.repeat(Math.max(0, indent)) : typeError('indent must be an int or a str');
    return jsonDumps(v, { ensureAscii, indent: indentText, separators: sep, sortKeys });
  },
  trim: (_c, v, a, k) => strOp(v, (s) => stripChars(s, arg(a, k, 0, 'chars', null), true, true)),
  truncate: (_c, v, a, k) => {
    const length = Number(arg(a, k, 0, 'length', 255));
    const killwords = truthy(arg(a, k, 1, 'killwords', false));
    const end = pyStr(arg(a, k, 2, 'end', '...'));
    const leeway = Number(arg(a, k, 3, 'leeway', 5));
    // jinja2 works on the value itself: anything short enough comes back unchanged.
    if (pyLen(v) <= length + leeway) return v;
    if (!isStr(v)) return killwords ? binaryOp('+', getSliceOf(v, length - codePoints(end).length), end) : fail('AttributeError', `'${typeName(v)}' object has no attribute 'rsplit'`);
    const cps = codePoints(text(v));
    const head = cps.slice(0, length - codePoints(end).length).join('');
    if (killwords) return head + end;
    const cut = head.lastIndexOf(' ');
    return (cut === -1 ? head : head.slice(0, cut)) + end;
  },
  upper: (_c, v) => strOp(v, (s) => s.toUpperCase()),
  wordcount: (_c, v) => (pyStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
  reverse: (_c, v) => {
    if (isStr(v)) return strOp(v, (s) => codePoints(s).reverse().join(''));
    if (Array.isArray(v) || v instanceof Tuple || v instanceof Map || v instanceof PyView) {
      const items = iterate(v).reverse();
      return new PyIterator(Array.isArray(v) ? 'list_reverseiterator' : v instanceof Map ? 'dict_reversekeyiterator' : v instanceof PyView && v.kind === 'range' ? 'range_iterator' : 'reversed', () => items);
    }
    if (!isIterable(v)) return fail('FilterArgumentError', 'argument must be iterable');
    return iterate(v).reverse();
  },  ...SEQUENCE_FILTERS,
};
FILTERS.d = FILTERS.default;
FILTERS.e = FILTERS.escape;

/** The filter named `name`, or undefined (jinja2: "No filter named ..."). */
export function builtinFilter(name: string): Filter | undefined {
  return Object.prototype.hasOwnProperty.call(FILTERS, name) ? FILTERS[name] : undefined;
}
