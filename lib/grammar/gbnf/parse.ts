/**
 * A GBNF parser that reads a grammar the way llama.cpp's does
 * (src/llama-grammar.cpp, `llama_grammar_parser`): same syntax, same errors,
 * same limits on repetitions; each error is an INVALID_ARGUMENT naming the
 * rule and the line and column. It keeps only what the checks after parsing
 * need (which rules each alternative starts with), so a repetition such as
 * `x{0,2000}` costs one rule here, not the 2000 llama.cpp builds.
 * @internal
 */
import { invalidArgument } from '../../errors';
import { MAX_GRAMMAR_EXPANDED_RULES } from '../limits';

/** llama.cpp's MAX_REPETITION_THRESHOLD. */
export const MAX_REPETITION = 2000;

/** An element of an alternative: a reference to a rule, or `null` for a terminal (characters, class, token, `.`). */
export type Item = { readonly rule: number; readonly at: number } | null;

/** A rule: one written `name ::= …`, or one llama.cpp generates for a group or a repetition inside `owner`. */
export interface Rule {
  /** The rule as written, or the written rule a group or repetition belongs to. */
  readonly owner: string;
  /** Whether it is a group or repetition inside `owner`. */
  readonly generated: boolean;
  /** Where it is defined (a generated rule: where its group or repeated item starts); -1 while only referenced. */
  at: number;
  /** Its alternatives (a repetition's: the item, then the empty alternative). */
  alts: Item[][];
  defined: boolean;
}

/** A parsed grammar. */
export interface ParsedGrammar {
  readonly rules: readonly Rule[];
  /** Written rule name → index in `rules`. */
  readonly named: ReadonlyMap<string, number>;
  /** Where each written name is first referenced (if it is). */
  readonly firstReference: ReadonlyMap<string, { at: number; from: string }>;
}

/** "line L, column C" of code point offset `at` in `src` (both 1-based). */
export function lineColumn(src: readonly number[], at: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < at && i < src.length; i++) {
    if (src[i] === 0x0a) {
      line++;
      column = 1;
    } else column++;
  }
  return `line ${line}, column ${column}`;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
/** llama.cpp's is_word_char: ASCII letters, digits and `-`. */
const isWord = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || isDigit(c));
const isHex = (c: number | undefined): boolean => c !== undefined && (isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
const ch = (s: string): number => s.codePointAt(0)!;
/** The ASCII text of src[start, end) (names and numbers; no spread, however long). */
const ascii = (src: readonly number[], start: number, end: number): string => src.slice(start, end).map((c) => String.fromCharCode(c)).join('');

class Parser {
  readonly rules: Rule[] = [];
  readonly named = new Map<string, number>();
  readonly firstReference = new Map<string, { at: number; from: string }>();
  /** The size of llama.cpp's symbol table (written names and generated rules), for its repetition limit. */
  private symbols = 0;
  private pos = 0;
  private ruleName = '';

  constructor(
    private readonly src: readonly number[],
    private readonly label: string,
  ) {}

  private fail(message: string, at = this.pos): never {
    const rule = this.ruleName ? `rule '${this.ruleName}': ` : '';
    throw invalidArgument(`${this.label}: ${rule}${message} at ${lineColumn(this.src, at)}`);
  }

  private skipSpace(newlineOk: boolean): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === 0x20 || c === 0x09 || (newlineOk && (c === 0x0a || c === 0x0d))) this.pos++;
      else if (c === 0x23) {
        while (this.pos < this.src.length && this.src[this.pos] !== 0x0a && this.src[this.pos] !== 0x0d) this.pos++;
      } else return;
    }
  }

  private name(): string {
    const start = this.pos;
    while (isWord(this.src[this.pos])) this.pos++;
    if (this.pos === start) this.fail('expecting a rule name');
    return ascii(this.src, start, this.pos);
  }

  private integer(): number {
    const start = this.pos;
    while (isDigit(this.src[this.pos])) this.pos++;
    if (this.pos === start) this.fail('expecting an integer');
    const digits = ascii(this.src, start, this.pos);
    if (BigInt(digits) > 0xffffffffffffffffn) this.fail(`${digits} is out of range`, start);
    return Number(digits);
  }

  /** One character of a literal or class (an escape or a code point). */
  private char(): void {
    if (this.src[this.pos] !== 0x5c) {
      this.pos++;
      return;
    }
    const escape = this.src[this.pos + 1];
    const hexDigits = escape === ch('x') ? 2 : escape === ch('u') ? 4 : escape === ch('U') ? 8 : 0;
    if (hexDigits > 0) {
      for (let i = 0; i < hexDigits; i++) {
        if (!isHex(this.src[this.pos + 2 + i])) this.fail(`expecting ${hexDigits} hex digits after \\${String.fromCodePoint(escape!)}`);
      }
      this.pos += 2 + hexDigits;
    } else if (escape !== undefined && 'trn\\"[]-'.includes(String.fromCodePoint(escape))) {
      this.pos += 2;
    } else this.fail('unknown escape');
  }

  /** The index of written rule `name`, added on first sight (as llama.cpp's get_symbol_id). */
  private symbol(name: string): number {
    let id = this.named.get(name);
    if (id === undefined) {
      id = this.rules.length;
      this.named.set(name, id);
      this.rules.push({ owner: name, generated: false, at: -1, alts: [], defined: false });
      this.symbols++;
    }
    return id;
  }

  /** A new generated rule inside the current rule; `symbols` llama.cpp symbols for it. */
  private generated(at: number, symbols: number): number {
    this.symbols += symbols;
    if (this.symbols > MAX_GRAMMAR_EXPANDED_RULES) {
      this.fail(`llama.cpp would build more than ${MAX_GRAMMAR_EXPANDED_RULES} rules for this grammar (its repetitions expanded)`, at);
    }
    this.rules.push({ owner: this.ruleName, generated: true, at, alts: [], defined: true });
    return this.rules.length - 1;
  }

  parse(): ParsedGrammar {
    this.skipSpace(true);
    while (this.pos < this.src.length) this.rule();
    return { rules: this.rules, named: this.named, firstReference: this.firstReference };
  }

  private rule(): void {
    const start = this.pos;
    this.ruleName = '';
    const name = this.name();
    this.ruleName = name;
    this.skipSpace(false);
    const id = this.symbol(name);
    if (!(this.src[this.pos] === ch(':') && this.src[this.pos + 1] === ch(':') && this.src[this.pos + 2] === ch('='))) {
      this.fail("expecting '::='");
    }
    this.pos += 3;
    this.skipSpace(true);
    const alts = this.alternates(false);
    const c = this.src[this.pos];
    if (c === 0x0d) this.pos += this.src[this.pos + 1] === 0x0a ? 2 : 1;
    else if (c === 0x0a) this.pos++;
    else if (c !== undefined) this.fail(`expecting a newline or the end, not '${String.fromCodePoint(c)}'`);
    // A second definition replaces the first, as in llama.cpp.
    Object.assign(this.rules[id]!, { at: start, alts, defined: true });
    this.skipSpace(true);
  }

  private alternates(nested: boolean): Item[][] {
    const alts = [this.sequence(nested)];
    while (this.src[this.pos] === ch('|')) {
      this.pos++;
      this.skipSpace(true);
      alts.push(this.sequence(nested));
    }
    return alts;
  }

  private sequence(nested: boolean): Item[] {
    const items: Item[] = [];
    // Where the last symbol starts (nothing to repeat while it equals items.length), and llama.cpp's
    // count of the rules a repetition of it copies.
    let lastStart = 0;
    let lastAt = this.pos;
    let copies = 1;
    const symbolStart = (): void => {
      lastStart = items.length;
      lastAt = this.pos;
      copies = 1;
    };
    const repeat = (min: number, max: number, at: number): void => {
      if (lastStart === items.length) this.fail('expecting an item before the repetition operator', at);
      const total = max !== Infinity && max > 0 ? max : min > 0 ? min : 1;
      if (copies * total > MAX_REPETITION) {
        this.fail(`this repetition copies ${copies} rule(s) ${total} times; llama.cpp accepts at most ${MAX_REPETITION} copies`, at);
      }
      const item = items.splice(lastStart);
      // One copy of the item is enough for the checks: more copies start with the same rules.
      if (min > 0) items.push(...item);
      const optional = max === Infinity ? 1 : max - min;
      if (optional > 0) {
        const id = this.generated(lastAt, optional);
        this.rules[id]!.alts = [max === Infinity ? [...item, { rule: id, at: lastAt }] : item, []];
        items.push({ rule: id, at: lastAt });
      }
      copies *= total;
    };
    for (;;) {
      const c = this.src[this.pos];
      const at = this.pos;
      if (c === ch('"')) {
        symbolStart();
        this.pos++;
        let chars = 0;
        while (this.src[this.pos] !== ch('"')) {
          if (this.pos >= this.src.length) this.fail('unexpected end of input in a literal', at);
          this.char();
          chars++;
        }
        this.pos++;
        if (chars > 0) items.push(null);
        this.skipSpace(nested);
      } else if (c === ch('[')) {
        symbolStart();
        this.pos++;
        if (this.src[this.pos] === ch('^')) this.pos++;
        let chars = 0;
        while (this.src[this.pos] !== ch(']')) {
          if (this.pos >= this.src.length) this.fail('unexpected end of input in a character class', at);
          this.char();
          chars++;
          if (this.src[this.pos] === ch('-') && this.src[this.pos + 1] !== ch(']')) {
            if (this.pos + 1 >= this.src.length) this.fail('unexpected end of input in a character class', at);
            this.pos++;
            this.char();
          }
        }
        this.pos++;
        if (chars > 0) items.push(null); // llama.cpp adds nothing for `[]`
        this.skipSpace(nested);
      } else if (c === ch('<') || c === ch('!')) {
        if (c === ch('!')) this.pos++;
        this.token();
        symbolStart();
        lastAt = at;
        items.push(null);
        this.skipSpace(nested);
      } else if (isWord(c)) {
        const name = this.name();
        const id = this.symbol(name);
        if (!this.firstReference.has(name)) this.firstReference.set(name, { at, from: this.ruleName });
        this.skipSpace(nested);
        symbolStart();
        lastAt = at;
        items.push({ rule: id, at });
      } else if (c === ch('(')) {
        this.pos++;
        this.skipSpace(true);
        const before = this.symbols;
        const id = this.generated(at, 1);
        this.rules[id]!.alts = this.alternates(true);
        const inner = Math.max(1, this.symbols - before);
        if (this.src[this.pos] !== ch(')')) this.fail("expecting ')'");
        this.pos++;
        this.skipSpace(nested);
        symbolStart();
        lastAt = at;
        copies = inner;
        items.push({ rule: id, at });
      } else if (c === ch('.')) {
        symbolStart();
        items.push(null);
        this.pos++;
        this.skipSpace(nested);
      } else if (c === ch('*') || c === ch('+') || c === ch('?')) {
        this.pos++;
        this.skipSpace(nested);
        if (c === ch('*')) repeat(0, Infinity, at);
        else if (c === ch('+')) repeat(1, Infinity, at);
        else repeat(0, 1, at);
      } else if (c === ch('{')) {
        this.pos++;
        this.skipSpace(nested);
        if (!isDigit(this.src[this.pos])) this.fail('expecting an integer');
        const min = this.integer();
        this.skipSpace(nested);
        let max = min;
        if (this.src[this.pos] === ch('}')) {
          this.pos++;
        } else if (this.src[this.pos] === ch(',')) {
          this.pos++;
          this.skipSpace(nested);
          max = isDigit(this.src[this.pos]) ? this.integer() : Infinity;
          this.skipSpace(nested);
          if (this.src[this.pos] !== ch('}')) this.fail("expecting '}'");
          this.pos++;
        } else this.fail("expecting ',' or '}'");
        this.skipSpace(nested);
        if (min > MAX_REPETITION) this.fail(`{${min}…}: llama.cpp accepts at most ${MAX_REPETITION} repetitions`, at);
        if (max !== Infinity && max > MAX_REPETITION) max = Infinity; // llama.cpp reads {m,n} with n > 2000 as {m,}
        repeat(min, max, at);
      } else break;
    }
    return items;
  }

  /** `<[id]>` or `<text>` (a token; `!` before it already skipped). Whether `<text>` is one token is llama.cpp's to say. */
  private token(): void {
    if (this.src[this.pos] !== ch('<')) this.fail("expecting '<'");
    this.pos++;
    if (this.src[this.pos] === ch('[')) {
      this.pos++;
      this.integer();
      if (this.src[this.pos] !== ch(']')) this.fail("expecting ']'");
      this.pos++;
      if (this.src[this.pos] !== ch('>')) this.fail("expecting '>'");
      this.pos++;
      return;
    }
    while (this.pos < this.src.length && this.src[this.pos] !== ch('>')) this.pos++;
    if (this.pos >= this.src.length) this.fail("expecting '>'");
    this.pos++;
  }
}

/**
 * Parses `text` as llama.cpp would; throws INVALID_ARGUMENT (`label: rule 'r':
 * … at line L, column C`) where llama.cpp's parser fails.
 */
export function parseGbnf(text: string, label: string): { grammar: ParsedGrammar; src: number[] } {
  const src = codePoints(text);
  return { grammar: new Parser(src, label).parse(), src };
}

/** The code points of `text` (a lone surrogate stays one unit); a plain loop, ~10x faster than `Array.from` before the JIT warms up. */
function codePoints(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}
