/** Python's operators on template values: `==`, ordering, arithmetic, `in`, `%` formatting. @internal */
import { fail, typeError } from './errors';
import { compareCodePoints, escapeHtml, floatRepr, pyRepr, pyStr } from './repr';
import {
  Markup,
  PyFloat,
  PyIterator,
  PyView,
  Tuple,
  Undefined,
  codePoints,
  isNumber,
  isSequenceLike,
  isStr,
  iterate,
  num,
  pyNumber,
  seqItems,
  text,
  typeName,
} from './values';

/** Python's `a == b` (deep for containers; `1 == 1.0 == True`). */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNumber(a) && isNumber(b)) return num(a) === num(b);
  if (isStr(a) && isStr(b)) return text(a) === text(b);
  if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (a instanceof Tuple && b instanceof Tuple) return a.items.length === b.items.length && a.items.every((x, i) => pyEquals(x, b.items[i]));
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      const found = mapGet(b, k);
      if (found === NOT_FOUND || !pyEquals(v, found)) return false;
    }
    return true;
  }
  if (a instanceof PyView && b instanceof PyView && a.kind === 'range' && b.kind === 'range') return pyEquals([...a.items], [...b.items]);
  return false;
}

/** Marks a missing dict key. */
export const NOT_FOUND: unique symbol = Symbol('not found');

/** `d[k]` with Python's key equality (`d[1]` finds the key `1.0` and `True`). */
export function mapGet(m: Map<unknown, unknown>, key: unknown): unknown {
  if (m.has(key)) return m.get(key);
  if (isStr(key)) {
    const k = text(key);
    return m.has(k) ? m.get(k) : NOT_FOUND;
  }
  if (key === null || typeof key !== 'object' || key instanceof PyFloat) {
    for (const [k, v] of m) if (pyEquals(k, key)) return v;
  }
  return NOT_FOUND;
}

/** Whether `v` can be a dict key (hashable). */
export function checkHashable(v: unknown): void {
  if (Array.isArray(v) || v instanceof Map) typeError(`unhashable type: '${typeName(v)}'`);
  if (v instanceof Tuple) v.items.forEach(checkHashable);
}

/** Python's ordering of two values (`<`): numbers, strings, lists and tuples; otherwise `TypeError`. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  if (isNumber(a) && isNumber(b)) {
    const x = num(a);
    const y = num(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (isStr(a) && isStr(b)) return compareCodePoints(text(a), text(b));
  if ((Array.isArray(a) && Array.isArray(b)) || (a instanceof Tuple && b instanceof Tuple)) {
    const x = seqItems(a as unknown[] | Tuple);
    const y = seqItems(b as unknown[] | Tuple);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (!pyEquals(x[i], y[i])) return pyCompare(x[i], y[i], op);
    }
    return x.length - y.length;
  }
  return typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's `a in b`. */
export function pyContains(container: unknown, item: unknown): boolean {
  if (isStr(container)) {
    if (!isStr(item)) return typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return text(container).includes(text(item));
  }
  if (container instanceof Map) {
    checkHashable(item);
    return mapGet(container, item) !== NOT_FOUND;
  }
  if (container instanceof Undefined || Array.isArray(container) || container instanceof Tuple || container instanceof PyView || container instanceof PyIterator) {
    return iterate(container).some((x) => pyEquals(x, item));
  }
  return typeError(`argument of type '${typeName(container)}' is not iterable`);
}

function unsupported(op: string, a: unknown, b: unknown): never {
  return typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's floor division and modulo of numbers. */
function floorDivMod(op: '//' | '%', a: number | boolean | PyFloat, b: number | boolean | PyFloat): number | PyFloat {
  const isFloat = a instanceof PyFloat || b instanceof PyFloat;
  const x = num(a);
  const y = num(b);
  if (y === 0) fail('ZeroDivisionError', isFloat ? (op === '//' ? 'float floor division by zero' : 'float modulo') : op === '//' ? 'integer division or modulo by zero' : 'integer modulo by zero');
  if (op === '//') return pyNumber(Math.floor(x / y), isFloat);
  const r = x - y * Math.floor(x / y);
  return pyNumber(r, isFloat);
}

/** Repeats a string, list or tuple `n` times (`str * int`). */
function repeat(seq: unknown, n: number): unknown {
  const times = Math.max(0, n);
  if (typeof seq === 'string') return seq.repeat(times);
  if (seq instanceof Markup) return new Markup(seq.s.repeat(times));
  const items = seqItems(seq as unknown[] | Tuple);
  if (items.length * times > 1 << 26) fail('MemoryError', 'the repeated sequence is too long');
  const out: unknown[] = [];
  for (let i = 0; i < times; i++) out.push(...items);
  return Array.isArray(seq) ? out : new Tuple(out);
}

/** Python's binary arithmetic (`+ - * / // % **`) and jinja2's `~`. */
export function binaryOp(op: string, a: unknown, b: unknown): unknown {
  if (op === '~') return concatStrings(a, b);
  // str % x is the string's own method: an undefined argument only fails if a conversion reads it.
  if (op === '%' && isStr(a)) return percentFormat(a, b);
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  if (isNumber(a) && isNumber(b)) {
    const isFloat = a instanceof PyFloat || b instanceof PyFloat;
    const x = num(a);
    const y = num(b);
    switch (op) {
      case '+':
        return pyNumber(x + y, isFloat);
      case '-':
        return pyNumber(x - y, isFloat);
      case '*':
        return pyNumber(x * y, isFloat);
      case '/':
        if (y === 0) fail('ZeroDivisionError', isFloat ? 'float division by zero' : 'division by zero');
        return new PyFloat(x / y);
      case '//':
      case '%':
        return floorDivMod(op, a, b);
      case '**': {
        if (x === 0 && y < 0) fail('ZeroDivisionError', '0.0 cannot be raised to a negative power');
        return pyNumber(x ** y, isFloat || y < 0);
      }
    }
  }
  switch (op) {
    case '+':
      if (isStr(a) && isStr(b)) {
        if (a instanceof Markup || b instanceof Markup) return new Markup(escapeHtml(a).s + escapeHtml(b).s);
        return text(a) + text(b);
      }
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      if (a instanceof Tuple && b instanceof Tuple) return new Tuple([...a.items, ...b.items]);
      if (isStr(a)) return typeError(`can only concatenate str (not "${typeName(b)}") to str`);
      if (Array.isArray(a)) return typeError(`can only concatenate list (not "${typeName(b)}") to list`);
      if (a instanceof Tuple) return typeError(`can only concatenate tuple (not "${typeName(b)}") to tuple`);
      return unsupported('+', a, b);
    case '*':
      if ((isStr(a) || isSequenceLike(a)) && (typeof b === 'number' || typeof b === 'boolean')) return repeat(a, Number(b));
      if ((isStr(b) || isSequenceLike(b)) && (typeof a === 'number' || typeof a === 'boolean')) return repeat(b, Number(a));
      return typeError(`can't multiply sequence by non-int of type '${typeName(isStr(a) || isSequenceLike(a) ? b : a)}'`);
    case '%':
      if (isStr(a)) return percentFormat(a, b);
      return unsupported('%', a, b);
    case '**':
      return unsupported('** or pow()', a, b);
    default:
      return unsupported(op, a, b);
  }
}

/** jinja2's `~`: both sides as strings (undefined as nothing). */
export function concatStrings(a: unknown, b: unknown): string {
  return pyStr(a) + pyStr(b);
}

/** Python's `str % args` (printf-style), with the common conversions. */
export function percentFormat(format: string | Markup, args: unknown): string | Markup {
  const markup = format instanceof Markup;
  const fmt = text(format);
  const positional = args instanceof Tuple ? [...args.items] : [args];
  const mapping = args instanceof Map ? args : null;
  // Python treats any non-tuple, non-str object with __getitem__ as a mapping: unused, it raises nothing.
  const mappingLike = mapping !== null || Array.isArray(args) || args instanceof PyView || args instanceof Undefined;
  let next = 0;
  const take = (): unknown => {
    if (next >= positional.length) typeError('not enough arguments for format string');
    return positional[next++];
  };
  const out = fmt.replace(/%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g, (_m, key: string | undefined, flags: string, w: string | undefined, p: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const width = w === '*' ? Number(take()) : w === undefined ? 0 : Number(w);
    const precision = p === '*' ? Number(take()) : p === undefined ? undefined : Number(p);
    const value = key !== undefined ? (mapping ? mapping.get(key) : typeError('format requires a mapping')) : mapping && positional.length === 1 ? mapping : take();
    let s = formatConversion(conv, value, flags, precision);
    if (markup && (conv === 's' || conv === 'r' || conv === 'a')) s = escapeHtml(s).s;
    return pad(s, width, flags.includes('-') ? '<' : '>', flags.includes('0') && !flags.includes('-') && 'diouxXeEfFgG'.includes(conv) ? '0' : ' ');
  });
  if (next < positional.length && !mappingLike) typeError('not all arguments converted during string formatting');
  return markup ? new Markup(out) : out;
}

function pad(s: string, width: number, align: '<' | '>', fill: string): string {
  const n = codePoints(s).length;
  if (n >= width) return s;
  if (align === '<') return s + ' '.repeat(width - n);
  if (fill === '0' && /^[+-]/.test(s)) return s[0] + '0'.repeat(width - n) + s.slice(1);
  return fill.repeat(width - n) + s;
}

/** One `%` or `{}` conversion of a number or a value. */
export function formatConversion(conv: string, value: unknown, flags: string, precision: number | undefined): string {
  const sign = (n: number, s: string): string => (n >= 0 || Object.is(n, 0) ? (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s : s);
  switch (conv) {
    case 's':
      return precision === undefined ? pyStr(value) : codePoints(pyStr(value)).slice(0, precision).join('');
    case 'r':
    case 'a':
      return pyRepr(value);
    case 'c':
      return typeof value === 'number' ? String.fromCodePoint(value) : pyStr(value);
  }
  if (!isNumber(value)) return typeError(`%${conv} format: a real number is required, not ${typeName(value)}`);
  const n = num(value);
  switch (conv) {
    case 'd':
    case 'i':
    case 'u':
      return sign(n, Math.trunc(Math.abs(n)).toFixed(0)).replace(/^/, n < 0 ? '-' : '');
    case 'x':
    case 'X':
    case 'o': {
      const base = conv === 'o' ? 8 : 16;
      let s = Math.abs(Math.trunc(n)).toString(base);
      if (conv === 'X') s = s.toUpperCase();
      if (flags.includes('#')) s = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + s;
      return n < 0 ? `-${s}` : sign(n, s);
    }
    case 'e':
    case 'E': {
      const s = Math.abs(n).toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return (n < 0 ? '-' : sign(n, '')) + (conv === 'E' ? s.toUpperCase() : s);
    }
    case 'f':
    case 'F':
      if (!Number.isFinite(n)) return floatRepr(n);
      return (n < 0 || Object.is(n, -0) ? '-' : sign(n, '')) + Math.abs(n).toFixed(precision ?? 6);
    case 'g':
    case 'G': {
      const p = precision === 0 ? 1 : (precision ?? 6);
      if (n === 0) return sign(n, '0');
      const exp = Math.floor(Math.log10(Math.abs(n)));
      let s = exp < -4 || exp >= p ? Math.abs(n).toExponential(p - 1).replace(/e([+-])(\d)$/, 'e$10$2') : Math.abs(n).toFixed(Math.max(0, p - 1 - exp));
      if (!flags.includes('#')) s = s.replace(/\.?0+(e|$)/, '$1');
      return (n < 0 ? '-' : sign(n, '')) + (conv === 'G' ? s.toUpperCase() : s);
    }
  }
  return typeError(`unsupported format character '${conv}'`);
}
