/**
 * Splits a template into text and tags exactly as jinja2's lexer does with
 * transformers' settings (`trim_blocks`, `lstrip_blocks`, no
 * `keep_trailing_newline`), and hands @huggingface/jinja's parser the tokens
 * of each tag.
 *
 * Done here rather than by @huggingface/jinja's own lexer, which differs from
 * jinja2 on (found with the golden renders and jinja2 itself):
 * - `lstrip_blocks` / `trim_blocks`: it applies them with regular
 *   expressions over the whole source, so they also act inside string
 *   literals and `{% raw %}`, and ignore `{%+` / `+%}`;
 * - `{% raw %}…{% endraw %}`: not supported;
 * - `\r\n` and `\r` line breaks: jinja2 turns them into `\n`;
 * - string literals: jinja2 decodes Python escapes (`\N`, octal, unknown
 *   escapes kept as written), the library rejects some;
 * - tests with an argument (`x is divisibleby 3`, `x is sameas(false)`):
 *   its parser has no place for the argument. Here every test is rewritten
 *   into a pseudo-filter (`x | __test__divisibleby(3)`), which also gives
 *   tests jinja2's precedence (the same level as filters, left to right);
 * - number literals with an exponent, underscores or a base (`1e-5`,
 *   `1_000`, `0x1F`), the empty tuple `()`, a trailing comma `(x,)`, and a
 *   `-` right after `}` (`{'a': 1} - 1`): rewritten into forms it parses.
 * @internal
 */
import { fail } from './errors';
import { tokenize } from './library';
import { PY_SPACE } from './strings';

/** The token shape @huggingface/jinja's parser reads. */
export interface LexToken {
  type: string;
  value: string;
}

/** The prefix of the pseudo-filters that stand for tests; see {@link lex}. */
export const TEST_PREFIX = '__test__';
/** The prefix of negated tests (`is not`). */
export const NOT_TEST_PREFIX = '__test__not__';
/**
 * The callee standing for a tuple display the library's parser cannot read:
 * `()` and a trailing comma (`(x,)`) become `__tuple__(...)`.
 */
export const TUPLE_CALL = '__tuple__';
/** Placeholder names of number literals the library's tokenizer does not read (`1e-5`, `1_000`, `0x1F`). */
const NUMBER_PLACEHOLDER = '__number';

/** Python's whitespace (`str.isspace`, and `\s` of its `re`). */
const WS = new RegExp(`[${PY_SPACE}]`, 'u');
const ALL_WS = new RegExp(`^[${PY_SPACE}]+$`, 'u');

/** Python's `str.rstrip()` (Unicode whitespace). */
function rstripPy(s: string): string {
  let end = s.length;
  while (end > 0 && WS.test(s[end - 1])) end--;
  return s.slice(0, end);
}

/** How a tag ends: its end marker and whether it strips what follows. */
interface TagEnd {
  /** Index just past the end marker (and what the marker consumes: `\s*` after `-%}`, one `\n` with trim_blocks). */
  next: number;
  /** Index of the end marker (the tag's content ends here, before any `-`/`+`). */
  contentEnd: number;
}

/**
 * Finds the end of a block (`%}`) or variable (`}}`) tag whose content starts
 * at `pos`, skipping string literals and bracketed parts as jinja2 does (an
 * end marker inside open brackets does not end the tag). Canonicalises string
 * literals on the way; returns the content and where the tag ends.
 */
function scanTag(src: string, pos: number, kind: 'block' | 'variable', numbers: string[]): TagEnd & { content: string } {
  const close = kind === 'block' ? '%}' : '}}';
  const stack: string[] = [];
  let content = '';
  let i = pos;
  while (i < src.length) {
    const ch = src[i];
    if (stack.length === 0) {
      if (kind === 'block' && src.startsWith('+%}', i)) return { content, contentEnd: i, next: i + 3 };
      if (src.startsWith(`-${close}`, i)) {
        let j = i + 3;
        while (j < src.length && WS.test(src[j])) j++;
        return { content, contentEnd: i, next: j };
      }
      if (src.startsWith(close, i)) {
        let j = i + 2;
        if (kind === 'block' && src[j] === '\n') j++; // trim_blocks
        return { content, contentEnd: i, next: j };
      }
    }
    if (ch === "'" || ch === '"') {
      const { value, end } = readString(src, i);
      content += `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      i = end;
      continue;
    }
    if (ch >= '0' && ch <= '9' && !/[\w.]/.test(src[i - 1] ?? '')) {
      const literal = readNumber(src, i);
      if (literal.replacement !== null) {
        content += `${NUMBER_PLACEHOLDER}${numbers.length}__`;
        numbers.push(literal.replacement);
      } else content += src.slice(i, literal.end);
      i = literal.end;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch === '(' ? ')' : ch === '[' ? ']' : '}');
    else if (ch === ')' || ch === ']' || ch === '}') {
      const expected = stack.pop();
      if (expected !== ch) fail('TemplateSyntaxError', expected === undefined ? `unexpected '${ch}'` : `unexpected '${ch}', expected '${expected}'`);
    }
    content += ch;
    i++;
  }
  return fail('TemplateSyntaxError', `unexpected end of template, expected '${close}'`);
}

const FLOAT_RE = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/iy;
const INT_RE = /0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*/iy;

/**
 * Reads a number literal at `start` with jinja2's rules; `replacement` is the
 * token text for the library (a float always with a `.`) when its tokenizer
 * would not read the literal as written, else null.
 */
function readNumber(src: string, start: number): { end: number; replacement: string | null } {
  FLOAT_RE.lastIndex = start;
  const f = FLOAT_RE.exec(src);
  if (f) {
    const raw = f[0];
    if (/^\d+\.\d+$/.test(raw)) return { end: start + raw.length, replacement: null };
    const value = String(Number(raw.replace(/_/g, '')));
    return { end: start + raw.length, replacement: value.includes('.') ? value : value.includes('e') ? value.replace('e', '.0e') : `${value}.0` };
  }
  INT_RE.lastIndex = start;
  const m = INT_RE.exec(src);
  const raw = m ? m[0] : src[start];
  if (/^\d+$/.test(raw)) return { end: start + raw.length, replacement: null };
  const t = raw.replace(/_/g, '').toLowerCase();
  const value = t.startsWith('0b') ? parseInt(t.slice(2), 2) : t.startsWith('0o') ? parseInt(t.slice(2), 8) : t.startsWith('0x') ? parseInt(t.slice(2), 16) : Number(t);
  return { end: start + raw.length, replacement: String(value) };
}

/** Reads a string literal at `start` (a quote); returns its decoded value (Python escapes) and the index after it. */
function readString(src: string, start: number): { value: string; end: number } {
  const quote = src[start];
  let i = start + 1;
  let raw = '';
  while (i < src.length && src[i] !== quote) {
    if (src[i] === '\\' && i + 1 < src.length) {
      raw += src[i] + src[i + 1];
      i += 2;
    } else {
      raw += src[i++];
    }
  }
  if (i >= src.length) fail('TemplateSyntaxError', `unexpected char ${quote === "'" ? '"\'"' : "'\"'"}`);
  return { value: decodePythonEscapes(raw), end: i + 1 };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

/** Python's `unicode-escape` decoding, as jinja2 applies it to string literals. */
function decodePythonEscapes(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\' || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const e = raw[i + 1];
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i++;
    } else if (e >= '0' && e <= '7') {
      let j = i + 1;
      while (j < raw.length && j < i + 4 && raw[j] >= '0' && raw[j] <= '7') j++;
      out += String.fromCodePoint(parseInt(raw.slice(i + 1, j), 8));
      i = j - 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = raw.slice(i + 2, i + 2 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail('TemplateSyntaxError', `truncated \\${e} escape in a string literal`);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) fail('TemplateSyntaxError', 'illegal Unicode character in a string literal');
      out += String.fromCodePoint(cp);
      i += 1 + n;
    } else if (e === 'N') {
      fail('TemplateSyntaxError', '\\N{...} escapes are not supported in string literals');
    } else {
      out += ch; // unknown escapes stay as written
    }
  }
  return out;
}

/** Tokens of one tag's content, through @huggingface/jinja's tokenizer, with the rewrites described above. */
function tagTokens(content: string, kind: 'block' | 'variable', numbers: string[]): LexToken[] {
  let tokens: LexToken[];
  try {
    tokens = tokenize(kind === 'block' ? `{%${content}%}` : `{{${content}}}`, {});
  } catch (err) {
    return fail('TemplateSyntaxError', (err as Error).message);
  }
  tokens = tokens.map((t) => {
    if (t.type === 'Identifier' && t.value.startsWith(NUMBER_PLACEHOLDER)) {
      return { type: 'NumericLiteral', value: numbers[Number(t.value.slice(NUMBER_PLACEHOLDER.length, -2))] };
    }
    return t;
  });
  return rewriteTuples(rewriteTests(splitSigns(tokens)));
}

/**
 * The library's tokenizer reads `-1` after `}` as a negative number (or a
 * unary sign), where jinja2 reads a binary `-`: `{'a': 1} - 1`.
 */
function splitSigns(tokens: LexToken[]): LexToken[] {
  const out: LexToken[] = [];
  for (const t of tokens) {
    if (out.at(-1)?.type === 'CloseCurlyBracket') {
      if (t.type === 'NumericLiteral' && /^[-+]/.test(t.value)) {
        out.push({ type: 'AdditiveBinaryOperator', value: t.value[0] }, { type: 'NumericLiteral', value: t.value.slice(1) });
        continue;
      }
      if (t.type === 'UnaryOperator' && (t.value === '-' || t.value === '+')) {
        out.push({ type: 'AdditiveBinaryOperator', value: t.value });
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

/** Words after which `(` opens a parenthesised expression, not a call. */
const KEYWORDS = new Set(['in', 'and', 'or', 'not', 'if', 'else', 'elif', 'is', 'for', 'set', 'return', 'with']);

/** `()` and `(x,)` (which @huggingface/jinja cannot parse) → `__tuple__()` / `__tuple__(x,)`. */
function rewriteTuples(tokens: LexToken[]): LexToken[] {
  const out: LexToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'OpenParen') {
      const prev = out.at(-1);
      const isCall =
        prev !== undefined &&
        ((prev.type === 'Identifier' && !KEYWORDS.has(prev.value)) || prev.type === 'CloseParen' || prev.type === 'CloseSquareBracket' || prev.type === 'StringLiteral');
      const afterCall = prev?.type === 'Identifier' && prev.value === 'call';
      if (!isCall && !afterCall) {
        const end = groupEnd(tokens, i);
        if (end === i + 2 || tokens[end - 2].type === 'Comma') out.push({ type: 'Identifier', value: TUPLE_CALL });
      }
    }
    out.push(t);
  }
  return out;
}

const ARG_START = new Set(['Identifier', 'StringLiteral', 'NumericLiteral', 'OpenParen', 'OpenSquareBracket', 'OpenCurlyBracket']);
const OPENERS: Record<string, string> = { OpenParen: 'CloseParen', OpenSquareBracket: 'CloseSquareBracket', OpenCurlyBracket: 'CloseCurlyBracket' };

/** Index just past the bracket group opening at `i`. */
function groupEnd(tokens: LexToken[], i: number): number {
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    if (tokens[j].type in OPENERS) depth++;
    else if (tokens[j].type === 'CloseParen' || tokens[j].type === 'CloseSquareBracket' || tokens[j].type === 'CloseCurlyBracket') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return fail('TemplateSyntaxError', 'unbalanced brackets');
}

/** `is [not] name [arg | (args)]` → `| __test__[not__]name((args))`, as jinja2's `parse_test` reads it. */
function rewriteTests(tokens: LexToken[]): LexToken[] {
  const out: LexToken[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    if (!(t.type === 'Identifier' && t.value === 'is' && out.at(-1)?.type !== 'Dot')) {
      out.push(t);
      i++;
      continue;
    }
    let j = i + 1;
    const negated = tokens[j]?.type === 'Identifier' && tokens[j].value === 'not';
    if (negated) j++;
    if (tokens[j]?.type !== 'Identifier') fail('TemplateSyntaxError', "expected token 'name' after 'is'");
    let name = tokens[j++].value;
    while (tokens[j]?.type === 'Dot' && tokens[j + 1]?.type === 'Identifier') {
      name += `.${tokens[j + 1].value}`;
      j += 2;
    }
    out.push({ type: 'Pipe', value: '|' }, { type: 'Identifier', value: (negated ? NOT_TEST_PREFIX : TEST_PREFIX) + name });
    const next = tokens[j];
    if (next?.type === 'OpenParen') {
      const end = groupEnd(tokens, j);
      out.push(...tokens.slice(j, end));
      j = end;
    } else if (next !== undefined && ARG_START.has(next.type) && !(next.type === 'Identifier' && ['else', 'or', 'and'].includes(next.value))) {
      if (next.type === 'Identifier' && next.value === 'is') fail('TemplateSyntaxError', 'You cannot chain multiple tests with is');
      // One argument: a primary expression and its postfix (attributes, subscripts, calls).
      let end = next.type in OPENERS ? groupEnd(tokens, j) : j + 1;
      while (next.type === 'StringLiteral' && tokens[end]?.type === 'StringLiteral') end++;
      for (;;) {
        const p = tokens[end];
        if (p?.type === 'Dot' && (tokens[end + 1]?.type === 'Identifier' || tokens[end + 1]?.type === 'NumericLiteral')) end += 2;
        else if (p?.type === 'OpenSquareBracket' || p?.type === 'OpenParen') end = groupEnd(tokens, end);
        else break;
      }
      out.push({ type: 'OpenParen', value: '(' }, ...tokens.slice(j, end), { type: 'CloseParen', value: ')' });
      j = end;
    }
    i = j;
  }
  return out;
}

/** Normalises line breaks and drops one trailing newline, as jinja2's `tokeniter` does. */
function normalizeSource(source: string): string {
  const s = source.replace(/\r\n|\r/g, '\n');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/**
 * Lexes a template into @huggingface/jinja tokens (Text, and the tokens of
 * each tag), with jinja2's whitespace rules. `{% generation %}` tags
 * (transformers' assistant-mask extension) are dropped: their body renders
 * unchanged. Comments are dropped.
 */
export function lex(source: string): LexToken[] {
  const src = normalizeSource(source);
  const out: LexToken[] = [];
  const numbers: string[] = [];
  let pos = 0;
  let lineStarting = true;
  const pushText = (s: string): void => {
    if (s !== '') out.push({ type: 'Text', value: s });
  };
  /** Applies `-` / lstrip_blocks to the text before a tag. */
  const leadText = (textBefore: string, sign: string, isBlockOrComment: boolean): string => {
    if (sign === '-') return rstripPy(textBefore);
    if (sign !== '+' && isBlockOrComment) {
      const l = textBefore.lastIndexOf('\n') + 1;
      if ((l > 0 || lineStarting) && ALL_WS.test(textBefore.slice(l))) return textBefore.slice(0, l);
    }
    return textBefore;
  };
  while (pos < src.length) {
    const start = findTagStart(src, pos);
    if (start === -1) {
      pushText(src.slice(pos));
      break;
    }
    const opener = src[start + 1];
    const sign = src[start + 2] === '-' || src[start + 2] === '+' ? src[start + 2] : '';
    const body = start + 2 + sign.length;
    const before = src.slice(pos, start);
    if (opener === '#') {
      pushText(leadText(before, sign, true));
      const end = commentEnd(src, body);
      lineStarting = src.slice(0, end).endsWith('\n');
      pos = end;
      continue;
    }
    if (opener === '%') {
      const raw = /^\s*raw\s*(-%\}\s*|%\})/.exec(src.slice(body));
      if (raw) {
        pushText(leadText(before, sign, true));
        const after = body + raw[0].length;
        const endRaw = /\{%([-+]?)\s*endraw\s*(\+%\}|-%\}\s*|%\}\n?)/g;
        endRaw.lastIndex = after;
        const m = endRaw.exec(src);
        if (!m) fail('TemplateSyntaxError', 'Missing end of raw directive');
        lineStarting = raw[0].endsWith('\n');
        pushText(leadText(src.slice(after, m.index), m[1], true));
        pos = m.index + m[0].length;
        lineStarting = m[0].endsWith('\n');
        continue;
      }
    }
    const kind = opener === '%' ? 'block' : 'variable';
    pushText(leadText(before, sign, kind === 'block'));
    const tag = scanTag(src, body, kind, numbers);
    const content = tag.content;
    const trimmed = content.trim();
    if (kind === 'block' && (trimmed === 'generation' || trimmed === 'endgeneration')) {
      // transformers' AssistantTracker: the body renders unchanged.
    } else {
      const tokens = tagTokens(content, kind, numbers);
      out.push(...tokens);
    }
    lineStarting = src.slice(tag.contentEnd, tag.next).endsWith('\n');
    pos = tag.next;
  }
  return out;
}

/** Index of the next `{%`, `{{` or `{#` at or after `pos`, or -1. */
function findTagStart(src: string, pos: number): number {
  for (let i = src.indexOf('{', pos); i !== -1; i = src.indexOf('{', i + 1)) {
    const c = src[i + 1];
    if (c === '%' || c === '{' || c === '#') return i;
  }
  return -1;
}

/** Index just past a comment whose content starts at `pos` (`+#}`, `-#}` and trailing whitespace, or `#}` and one newline). */
function commentEnd(src: string, pos: number): number {
  const i = src.indexOf('#}', pos);
  if (i === -1) fail('TemplateSyntaxError', 'Missing end of comment tag');
  if (src[i - 1] === '-' && i - 1 >= pos) {
    let j = i + 2;
    while (j < src.length && WS.test(src[j])) j++;
    return j;
  }
  if (src[i - 1] === '+' && i - 1 >= pos) return i + 2;
  return src[i + 2] === '\n' ? i + 3 : i + 2;
}
