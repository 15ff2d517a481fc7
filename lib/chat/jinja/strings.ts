/** Python's `str` methods, as templates call them (`s.split()`, `s.strip('x')`, `'{}'.format(x)`). @internal */
import { fail, typeError } from './errors';
import { formatConversion } from './operators';
import { escapeHtml, pyRepr, pyStr } from './repr';
import { Markup, PyCallable, PyFloat, Tuple, Undefined, codePoints, isNumber, isStr, num, text, typeName, type Kwargs } from './values';

/** Python's `str.isspace()` characters. */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'u');
const IS_SPACE = new RegExp(`^[${PY_SPACE}]+$`, 'u');
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Argument `i` (or keyword `name`) of a method call, with a default. */
export function arg(args: unknown[], kwargs: Kwargs, i: number, name: string, fallback: unknown): unknown {
  if (i < args.length) return args[i];
  return kwargs.has(name) ? kwargs.get(name) : fallback;
}

function strArg(v: unknown, what: string): string {
  if (!isStr(v)) return typeError(`${what} must be str, not ${typeName(v)}`);
  return text(v);
}

function intArg(v: unknown, what: string): number {
  if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
  return typeError(`'${typeName(v)}' object cannot be interpreted as an integer (${what})`);
}

/** Python's `str.strip(chars)` family. */
export function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const cps = codePoints(s);
  const strip = chars === null || chars === undefined || chars instanceof Undefined ? null : new Set(codePoints(strArg(chars, 'strip arg')));
  const isStrip = (c: string): boolean => (strip === null ? IS_SPACE.test(c) : strip.has(c));
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && isStrip(cps[a])) a++;
  if (right) while (b > a && isStrip(cps[b - 1])) b--;
  return cps.slice(a, b).join('');
}

/** Python's `str.split(sep=None, maxsplit=-1)`. */
export function pySplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = stripChars(s, null, true, false);
    while (rest !== '') {
      if (maxsplit >= 0 && out.length >= maxsplit) {
        out.push(rest);
        break;
      }
      const m = SPACE_RUN.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const d = strArg(sep, 'sep');
  if (d === '') return fail('ValueError', 'empty separator');
  const parts = s.split(d);
  if (maxsplit >= 0 && parts.length > maxsplit + 1) return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(d)];
  return parts;
}

function pyRsplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (maxsplit < 0) return pySplit(s, sep, -1);
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = stripChars(s, null, false, true);
    while (rest !== '') {
      if (out.length >= maxsplit) {
        out.unshift(rest);
        break;
      }
      const runs = [...rest.matchAll(new RegExp(SPACE_RUN.source, 'gu'))];
      const m = runs.at(-1);
      if (!m || m.index === undefined) {
        out.unshift(rest);
        break;
      }
      out.unshift(rest.slice(m.index + m[0].length));
      rest = rest.slice(0, m.index);
    }
    return out;
  }
  const d = strArg(sep, 'sep');
  if (d === '') return fail('ValueError', 'empty separator');
  const parts = s.split(d);
  if (parts.length > maxsplit + 1) return [parts.slice(0, parts.length - maxsplit).join(d), ...parts.slice(parts.length - maxsplit)];
  return parts;
}

/** Python's `str.splitlines(keepends=False)`. */
export function splitLines(s: string, keepEnds = false): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest !== '') {
    const m = LINE_BREAK.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, m.index + (keepEnds ? m[0].length : 0)));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function isCased(c: string): boolean {
  return c.toLowerCase() !== c.toUpperCase();
}

/** Python's `str.title()`. */
export function pyTitle(s: string): string {
  let prevCased = false;
  let out = '';
  for (const c of s) {
    if (isCased(c)) {
      out += prevCased ? c.toLowerCase() : c.toUpperCase();
      prevCased = true;
    } else {
      out += c;
      prevCased = /\p{Lt}/u.test(c);
    }
  }
  return out;
}

/** Python's `str.capitalize()`. */
export function pyCapitalize(s: string): string {
  const cps = codePoints(s);
  return cps.length === 0 ? '' : cps[0].toUpperCase() + cps.slice(1).join('').toLowerCase();
}

function pad(s: string, width: number, fill: string, align: '<' | '>' | '^'): string {
  const n = codePoints(s).length;
  if (width <= n) return s;
  const total = width - n;
  if (align === '<') return s + fill.repeat(total);
  if (align === '>') return fill.repeat(total) + s;
  // str.center puts the odd extra character on the right when the width is odd... as CPython does:
  const left = Math.floor(total / 2) + (total & width & 1);
  return fill.repeat(left) + s + fill.repeat(total - left);
}

/** Python's `str.find` family over code points. */
function find(s: string, sub: string, start: unknown, end: unknown, last: boolean): number {
  const cps = codePoints(s);
  const n = cps.length;
  const norm = (v: unknown, d: number): number => {
    if (v === null || v === undefined) return d;
    const i = intArg(v, 'slice index');
    return i < 0 ? Math.max(0, n + i) : Math.min(i, n);
  };
  const a = norm(start, 0);
  const b = norm(end, n);
  const hay = cps.slice(a, b).join('');
  const idx = last ? hay.lastIndexOf(sub) : hay.indexOf(sub);
  return idx === -1 ? -1 : a + codePoints(hay.slice(0, idx)).length;
}

function affix(s: string, v: unknown, test: (s: string, p: string) => boolean, name: string, start: unknown, end: unknown): boolean {
  const cps = codePoints(s);
  const n = cps.length;
  const norm = (x: unknown, d: number): number => {
    if (x === null || x === undefined) return d;
    const i = intArg(x, 'slice index');
    return i < 0 ? Math.max(0, n + i) : Math.min(i, n);
  };
  const part = cps.slice(norm(start, 0), norm(end, n)).join('');
  if (v instanceof Tuple) return v.items.some((p) => test(part, strArg(p, `tuple for ${name}`)));
  if (!isStr(v)) return typeError(`${name} first arg must be str or a tuple of str, not ${typeName(v)}`);
  return test(part, text(v));
}

/** `str.format()` (jinja2's sandbox formatter): `{}`, `{0}`, `{name}`, `{0.attr}`, `{x[key]}`, `!r`, and format specs. */
export function strFormat(fmt: string, args: unknown[], kwargs: Kwargs, getattr: (o: unknown, n: string) => unknown, getitem: (o: unknown, k: unknown) => unknown): string {
  let auto = 0;
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === '{' && fmt[i + 1] === '{') {
      out += '{';
      i += 2;
    } else if (c === '}' && fmt[i + 1] === '}') {
      out += '}';
      i += 2;
    } else if (c === '{') {
      const close = fmt.indexOf('}', i);
      if (close === -1) fail('ValueError', "Single '{' encountered in format string");
      const field = fmt.slice(i + 1, close);
      const m = /^([^.[!:]*)((?:\.[^.[!:]+|\[[^\]]*\])*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
      if (!m) fail('ValueError', `invalid format field {${field}}`);
      const [, head, rest, conv, spec] = m;
      let value: unknown;
      if (head === '') {
        if (auto >= args.length) fail('IndexError', `Replacement index ${auto} out of range for positional args tuple`);
        value = args[auto++];
      } else if (/^\d+$/.test(head)) {
        const k = Number(head);
        if (k >= args.length) fail('IndexError', `Replacement index ${k} out of range for positional args tuple`);
        value = args[k];
      } else {
        if (!kwargs.has(head)) fail('KeyError', `'${head}'`);
        value = kwargs.get(head);
      }
      for (const part of rest.match(/\.[^.[]+|\[[^\]]*\]/g) ?? []) {
        value = part.startsWith('.') ? getattr(value, part.slice(1)) : getitem(value, /^\d+$/.test(part.slice(1, -1)) ? Number(part.slice(1, -1)) : part.slice(1, -1));
      }
      if (conv === 'r' || conv === 'a') value = pyRepr(value);
      else if (conv === 's') value = pyStr(value);
      out += formatSpec(value, spec ?? '');
      i = close + 1;
    } else if (c === '}') {
      return fail('ValueError', "Single '}' encountered in format string");
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Python's `format(value, spec)` for strings and numbers. */
export function formatSpec(value: unknown, spec: string): string {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su.exec(spec);
  if (!m) return fail('ValueError', `Invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, signChar, alt, zero, widthText, grouping, precText, type] = m;
  const width = widthText === undefined ? 0 : Number(widthText);
  const precision = precText === undefined ? undefined : Number(precText);
  let body: string;
  let numeric = false;
  if (isStr(value) || value === null || value instanceof Undefined || !isNumber(value)) {
    if (type !== undefined && type !== 's') return fail('ValueError', `Unknown format code '${type}' for object of type '${typeName(value)}'`);
    body = pyStr(value);
    if (precision !== undefined) body = codePoints(body).slice(0, precision).join('');
  } else {
    numeric = true;
    const n = num(value);
    const flags = `${signChar ?? ''}${alt ?? ''}`;
    const t = type ?? (value instanceof PyFloat ? '' : 'd');
    if (t === '') body = precision === undefined ? pyStr(value) : formatConversion('g', n, flags, precision);
    else if (t === '%') body = `${formatConversion('f', n * 100, flags, precision)}%`;
    else if (t === 'n') body = formatConversion(value instanceof PyFloat ? 'g' : 'd', n, flags, precision);
    else if (t === 'b') body = (n < 0 ? '-' : '') + (alt ? '0b' : '') + Math.abs(Math.trunc(n)).toString(2);
    else body = formatConversion(t, n, flags, precision);
    if (t === '' && precision === undefined && signChar === '+' && n >= 0) body = `+${body}`;
    if (grouping !== undefined) body = body.replace(/^([-+ ]?)(\d+)/, (_x, s: string, d: string) => s + d.replace(/\B(?=(\d{3})+(?!\d))/g, grouping));
  }
  const align = (alignChar ?? (zero && numeric ? '=' : numeric ? '>' : '<')) as '<' | '>' | '^' | '=';
  const fill = fillChar ?? (zero && alignChar === undefined ? '0' : ' ');
  if (align === '=') {
    const sign = /^[-+ ]/.test(body) ? body[0] : '';
    const rest = body.slice(sign.length);
    return sign + pad(rest, width - sign.length, fill, '>');
  }
  return pad(body, width, fill, align);
}

/** A bound method of a string, or `undefined` when `str` has no such method. */
export function strMethod(
  receiver: string | Markup,
  name: string,
  getattr: (o: unknown, n: string) => unknown,
  getitem: (o: unknown, k: unknown) => unknown,
): PyCallable | undefined {
  const s = text(receiver);
  const markup = receiver instanceof Markup;
  // Markup's methods return Markup and escape their string arguments (markupsafe).
  const wrap = (v: unknown): unknown => {
    if (!markup) return v;
    if (typeof v === 'string') return new Markup(v);
    if (Array.isArray(v)) return v.map(wrap);
    if (v instanceof Tuple) return new Tuple(v.items.map(wrap));
    return v;
  };
  const esc = (v: unknown): unknown => (markup && isStr(v) ? escapeHtml(v).s : isStr(v) ? text(v) : v);
  const impl = STR_METHODS[name];
  if (impl === undefined) return undefined;
  return new PyCallable(name, (args, kwargs) => wrap(impl(s, args.map(esc), kwargs, { getattr, getitem })), 'method');
}

type Impl = (s: string, a: unknown[], k: Kwargs, access: { getattr: (o: unknown, n: string) => unknown; getitem: (o: unknown, k: unknown) => unknown }) => unknown;

const STR_METHODS: Record<string, Impl> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => Array.from(s, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  title: (s) => pyTitle(s),
  capitalize: (s) => pyCapitalize(s),
  strip: (s, a, k) => stripChars(s, arg(a, k, 0, 'chars', null), true, true),
  lstrip: (s, a, k) => stripChars(s, arg(a, k, 0, 'chars', null), true, false),
  rstrip: (s, a, k) => stripChars(s, arg(a, k, 0, 'chars', null), false, true),
  split: (s, a, k) => pySplit(s, arg(a, k, 0, 'sep', null), intArg(arg(a, k, 1, 'maxsplit', -1), 'maxsplit')),
  rsplit: (s, a, k) => pyRsplit(s, arg(a, k, 0, 'sep', null), intArg(arg(a, k, 1, 'maxsplit', -1), 'maxsplit')),
  splitlines: (s, a, k) => splitLines(s, Boolean(arg(a, k, 0, 'keepends', false))),
  startswith: (s, a) => affix(s, a[0], (x, p) => x.startsWith(p), 'startswith', a[1], a[2]),
  endswith: (s, a) => affix(s, a[0], (x, p) => x.endsWith(p), 'endswith', a[1], a[2]),
  replace: (s, a, k) => {
    const old = strArg(a[0], 'replace() argument 1');
    const neu = strArg(a[1], 'replace() argument 2');
    let count = intArg(arg(a, k, 2, 'count', -1), 'count');
    if (count < 0) return old === '' ? codePoints(s).map((c) => neu + c).join('') + neu : s.split(old).join(neu);
    if (old === '') {
      const cps = codePoints(s);
      let out = '';
      for (let i = 0; i <= cps.length; i++) {
        if (count > 0) {
          out += neu;
          count--;
        }
        if (i < cps.length) out += cps[i];
      }
      return out;
    }
    const parts = s.split(old);
    return parts.slice(0, count + 1).join(neu) + (parts.length > count + 1 ? old + parts.slice(count + 1).join(old) : '');
  },
  find: (s, a) => find(s, strArg(a[0], 'find arg'), a[1], a[2], false),
  rfind: (s, a) => find(s, strArg(a[0], 'rfind arg'), a[1], a[2], true),
  index: (s, a) => {
    const i = find(s, strArg(a[0], 'index arg'), a[1], a[2], false);
    return i === -1 ? fail('ValueError', 'substring not found') : i;
  },
  rindex: (s, a) => {
    const i = find(s, strArg(a[0], 'rindex arg'), a[1], a[2], true);
    return i === -1 ? fail('ValueError', 'substring not found') : i;
  },
  count: (s, a) => {
    const sub = strArg(a[0], 'count arg');
    if (sub === '') return codePoints(s).length + 1;
    return s.split(sub).length - 1;
  },
  join: (s, a) => {
    const items = a[0];
    const list = Array.isArray(items) ? items : items instanceof Tuple ? items.items : isStr(items) ? codePoints(text(items)) : items instanceof Map ? [...items.keys()] : typeError('can only join an iterable');
    return list
      .map((x, i) => (isStr(x) ? text(x) : typeError(`sequence item ${i}: expected str instance, ${typeName(x)} found`)))
      .join(s);
  },
  format: (s, a, k, { getattr, getitem }) => strFormat(s, a, k, getattr, getitem),
  format_map: (s, a, _k, { getattr, getitem }) => strFormat(s, [], a[0] instanceof Map ? (a[0] as Map<string, unknown>) : new Map(), getattr, getitem),
  partition: (s, a) => {
    const sep = strArg(a[0], 'partition arg');
    const i = s.indexOf(sep);
    return i === -1 ? new Tuple([s, '', '']) : new Tuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a) => {
    const sep = strArg(a[0], 'rpartition arg');
    const i = s.lastIndexOf(sep);
    return i === -1 ? new Tuple(['', '', s]) : new Tuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  removeprefix: (s, a) => {
    const p = strArg(a[0], 'removeprefix arg');
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s, a) => {
    const p = strArg(a[0], 'removesuffix arg');
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  zfill: (s, a) => {
    const w = intArg(a[0], 'width');
    const sign = /^[+-]/.test(s) ? s[0] : '';
    return sign + pad(s.slice(sign.length), w - sign.length, '0', '>');
  },
  center: (s, a) => pad(s, intArg(a[0], 'width'), a[1] === undefined ? ' ' : strArg(a[1], 'fillchar'), '^'),
  ljust: (s, a) => pad(s, intArg(a[0], 'width'), a[1] === undefined ? ' ' : strArg(a[1], 'fillchar'), '<'),
  rjust: (s, a) => pad(s, intArg(a[0], 'width'), a[1] === undefined ? ' ' : strArg(a[1], 'fillchar'), '>'),
  expandtabs: (s, a) => {
    const size = a[0] === undefined ? 8 : intArg(a[0], 'tabsize');
    let col = 0;
    let out = '';
    for (const c of s) {
      if (c === '\t') {
        const n = size > 0 ? size - (col % size) : 0;
        out += ' '.repeat(n);
        col += n;
      } else {
        out += c;
        col = c === '\n' || c === '\r' ? 0 : col + 1;
      }
    }
    return out;
  },
  isdigit: (s) => /^\p{Nd}+$/u.test(s) || /^[0-9\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]+$/u.test(s),
  isdecimal: (s) => /^\p{Nd}+$/u.test(s),
  isnumeric: (s) => /^\p{N}+$/u.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => IS_SPACE.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && !/[\p{Lu}\p{Lt}]/u.test(s),
  isupper: (s) => /\p{Lu}/u.test(s) && !/[\p{Ll}\p{Lt}]/u.test(s),
  istitle: (s) => s !== '' && pyTitle(s) === s && /\p{L}/u.test(s),
  isidentifier: (s) => /^[\p{L}_][\p{L}\p{N}_]*$/u.test(s),
  isascii: (s) => /^[\x00-\x7f]*$/.test(s),
  isprintable: (s) => !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|[^\S ]/u.test(s.replace(/ /g, '')),
  encode: (s) => s, // bytes are out of scope: the text itself
};
