/**
 * Python's text forms of values: `str()` (what `{{ x }}` renders), `repr()`
 * (inside containers), float formatting, `json.dumps` (transformers'
 * `tojson`), and markupsafe's HTML escaping. @internal
 */
import { typeError } from './errors';
import {
  LoopContext,
  Markup,
  Namespace,
  PyCallable,
  PyFloat,
  PyIterator,
  PyView,
  Tuple,
  Undefined,
  isStr,
  text,
  typeName,
} from './values';

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  // Python switches to exponent notation below 1e-4 and from 1e16 (repr(0.00001) is '1e-05').
  if (exp < -4 || exp >= 16) out = sci(digits, exp);
  else {
    if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    else if (digits.length > exp + 1) out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    else out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  }
  return negative ? `-${out}` : out;
}

function sci(digits: string, exp: number): string {
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/** Whether Python's `str.isprintable()` holds for one code point (used by `repr`). */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `repr(str)`. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      out += cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's `str(v)`: what `{{ v }}` renders (undefined renders as nothing). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Markup) return v.s;
  if (v instanceof Undefined) return '';
  return pyRepr(v);
}

/** Python's `repr(v)`. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  switch (typeof v) {
    case 'boolean':
      return v ? 'True' : 'False';
    case 'number':
      return Number.isFinite(v) ? v.toFixed(0) : floatRepr(v);
    case 'string':
      return strRepr(v);
  }
  if (v instanceof PyFloat) return floatRepr(v.v);
  if (v instanceof Markup) return `Markup(${strRepr(v.s)})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof Tuple) return v.items.length === 1 ? `(${pyRepr(v.items[0])},)` : `(${v.items.map(pyRepr).join(', ')})`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  if (v instanceof Undefined) return 'Undefined';
  if (v instanceof Namespace) return `<Namespace ${pyRepr(v.attrs)}>`;
  if (v instanceof PyView) return v.reprText;
  if (v instanceof PyCallable) return v.kind === 'macro' ? `<Macro '${v.name}'>` : `<built-in method ${v.name}>`;
  if (v instanceof PyIterator) return `<${v.kind} object>`;
  if (v instanceof LoopContext) return `<LoopContext ${v.index0 + 1}/${v.items.length}>`;
  return String(v);
}

/** markupsafe's `escape()` of a value: a {@link Markup} stays as it is. */
export function escapeHtml(v: unknown): Markup {
  if (v instanceof Markup) return v;
  const s = pyStr(v);
  return new Markup(s.replace(/&/g, '&amp;').replace(/>/g, '&gt;').replace(/</g, '&lt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;'));
}

/** Options of {@link jsonDumps}, as Python's `json.dumps` takes them. */
export interface JsonOptions {
  ensureAscii: boolean;
  /** `null` for one line; a number of spaces or a string for pretty printing. */
  indent: string | null;
  /** `[item separator, key separator]`; default `[', ', ': ']` (`[',', ': ']` with an indent). */
  separators: [string, string] | null;
  sortKeys: boolean;
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    const esc = JSON_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || (ensureAscii && code > 0x7e)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function jsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return floatRepr(x);
}

function jsonKey(k: unknown, ensureAscii: boolean): string | null {
  if (isStr(k)) return jsonString(text(k), ensureAscii);
  if (k instanceof PyFloat) return `"${jsonFloat(k.v)}"`;
  if (typeof k === 'number') return `"${k.toFixed(0)}"`;
  if (typeof k === 'boolean') return k ? '"true"' : '"false"';
  if (k === null) return '"null"';
  return typeError(`keys must be str, int, float, bool or None, not ${typeName(k)}`);
}

/** Python's `json.dumps(v, ...)`; raises `TypeError` for what JSON cannot hold, as Python does. */
export function jsonDumps(v: unknown, options: JsonOptions): string {
  const [itemSep, keySep] = options.separators ?? (options.indent !== null ? [',', ': '] : [', ', ': ']);
  const seen = new Set<unknown>();
  const write = (x: unknown, level: number): string => {
    if (x === null) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (typeof x === 'number') return Number.isFinite(x) ? x.toFixed(0) : jsonFloat(x);
    if (x instanceof PyFloat) return jsonFloat(x.v);
    if (isStr(x)) return jsonString(text(x), options.ensureAscii);
    const isList = Array.isArray(x) || x instanceof Tuple;
    if (!isList && !(x instanceof Map)) return typeError(`Object of type ${typeName(x)} is not JSON serializable`);
    if (seen.has(x)) return typeError('Circular reference detected');
    seen.add(x);
    const inner = options.indent === null ? '' : `\n${options.indent.repeat(level + 1)}`;
    const outer = options.indent === null ? '' : `\n${options.indent.repeat(level)}`;
    let body: string[];
    if (isList) {
      body = (Array.isArray(x) ? x : (x as Tuple).items).map((item) => write(item, level + 1));
    } else {
      let entries = [...(x as Map<unknown, unknown>)];
      if (options.sortKeys) entries = sortJsonKeys(entries);
      body = [];
      for (const [k, item] of entries) {
        const key = jsonKey(k, options.ensureAscii);
        if (key !== null) body.push(`${key}${keySep}${write(item, level + 1)}`);
      }
    }
    seen.delete(x);
    const [open, close] = isList ? ['[', ']'] : ['{', '}'];
    if (body.length === 0) return `${open}${close}`;
    return `${open}${inner}${body.join(itemSep + inner)}${outer}${close}`;
  };
  return write(v, 0);
}

function sortJsonKeys(entries: Array<[unknown, unknown]>): Array<[unknown, unknown]> {
  // Python sorts the keys themselves (all str in practice); mixed types raise TypeError there.
  return entries.slice().sort(([a], [b]) => {
    if (!isStr(a) || !isStr(b)) return typeError("'<' not supported between instances of the keys of this dict");
    return compareCodePoints(text(a), text(b));
  });
}

/** Orders strings by code point, as Python compares `str`. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return (x[i].codePointAt(0) as number) - (y[i].codePointAt(0) as number);
  }
  return x.length - y.length;
}
