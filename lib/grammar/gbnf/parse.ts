/**
 * A GBNF parser that reads a grammar the way llama.cpp's does
 * (src/llama-grammar.cpp, `llama_grammar_parser`): same syntax, same errors,
 * same limits on repetitions; each error is an INVALID_ARGUMENT naming the
 * rule and the line and column.
 *
 * It keeps only what the checks after parsing need: for each alternative, the
 * rules it refers to in order, and which of them is last (llama.cpp pushes
 * what follows a reference on its stack; a last reference leaves nothing).
 * Repetitions are rewritten as llama.cpp's `handle_repetitions` rewrites them,
 * with the copies that look alike kept once: `S{m,n}` becomes S (and a second
 * S when m ≥ 2: every copy but the last is followed by another), then
 * `S'(1) ::= S |` and, when n - m ≥ 2, `S'(k) ::= S S'(k-1) |` standing for
 * the n - m - 1 others; `S{m,}` becomes S… `S' ::= S S' |`. So `x{0,2000}`
 * costs two rules here, not the 2000 llama.cpp builds, and the references,
 * empty alternatives and last positions are those of llama.cpp's rules.
 *
 * Everything is kept in flat arrays of small integers (no object per rule or
 * element), the text is read in place by UTF-16 offsets (no copy of it as
 * code points), names, spaces and plain literal runs are matched by sticky
 * regular expressions at one position, and nothing recurses but groups
 * (at most 256 levels, limits.ts): a grammar is read once, linearly. Most of
 * what remains of a first call is V8's interpreter before the JIT warms up.
 * @internal
 */
import { invalidArgument } from '../../errors';
import { MAX_GRAMMAR_EXPANDED_RULES } from '../limits';


/** llama.cpp's MAX_REPETITION_THRESHOLD. */
export const MAX_REPETITION = 2000;

/** An element that is not a rule reference (characters, a class, a token, `.`). */
export const TERMINAL = -1;

/**
 * A parsed grammar. Rules are numbered as they are first seen: a written rule
 * (`name ::= …`, or a name referenced before its definition) or one llama.cpp
 * generates for a group or a repetition. Rule `r` has the alternatives
 * `altStart[r] … altEnd[r] - 1`; alternative `a` has the elements
 * `itemStart[a] … itemEnd[a] - 1`; element `i` refers to rule `itemRule[i]`
 * (or is a TERMINAL) and starts at UTF-16 offset `itemAt[i]` of the text.
 */
export interface ParsedGrammar {
  readonly ruleCount: number;
  /** The written rule each rule is or belongs to (itself for a written rule). */
  readonly owner: readonly number[];
  /** The name of each written rule ('' for a generated one). */
  readonly names: readonly string[];
  /** 1 where the rule is defined (generated rules always are). */
  readonly defined: readonly number[];
  readonly altStart: readonly number[];
  readonly altEnd: readonly number[];
  /** Per alternative (`itemStart.length` of them). */
  readonly itemStart: readonly number[];
  readonly itemEnd: readonly number[];
  readonly itemRule: readonly number[];
  readonly itemAt: readonly number[];
  /** Written rule name → rule number. */
  readonly named: ReadonlyMap<string, number>;
  /** Where each written rule is first referenced (-1: never), and from which written rule. */
  readonly firstRefAt: readonly number[];
  readonly firstRefFrom: readonly number[];
}

/** "line L, column C" of UTF-16 offset `at` in `text` (both 1-based; a column counts code points). */
export function lineColumn(text: string, at: number): string {
  let line = 1;
  let column = 1;
  const end = Math.min(at, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      column = 1;
    } else if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && isHigh(text.charCodeAt(i - 1)))) column++;
  }
  return `line ${line}, column ${column}`;
}

/** A UTF-16 high surrogate. */
const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** llama.cpp's is_word_char: ASCII letters, digits and `-`. */
const isWord = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || (c >= 0x30 && c <= 0x39);
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

// Character codes (charCodeAt gives NaN past the end, which equals none of them). Kept in this module:
// imported ones are property loads in every comparison, measurably slower before the JIT warms up.
const QUOTE = 0x22;
const HASH = 0x23;
const LPAREN = 0x28;
const RPAREN = 0x29;
const STAR = 0x2a;
const PLUS = 0x2b;
const COMMA = 0x2c;
const DASH = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const LT = 0x3c;
const EQUALS = 0x3d;
const GT = 0x3e;
const QUESTION = 0x3f;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const CARET = 0x5e;
const LBRACE = 0x7b;
const BAR = 0x7c;
const RBRACE = 0x7d;
const BANG = 0x21;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

// Sticky patterns, run at one position each time (never over the whole text): llama.cpp's
// parse_space (spaces, tabs, comments; and newlines where they are allowed) and parse_name.
const SPACE = /(?:[ \t]|#[^\r\n]*)*/y;
const SPACE_NEWLINES = /(?:[ \t\r\n]|#[^\r\n]*)*/y;
const WORD = /[a-zA-Z0-9-]*/y;
/** A rule's head, `name ::=` and the spaces after it (parse_rule up to its parse_alternates). */
const HEAD = /[a-zA-Z0-9-]+[ \t]*::=(?:[ \t\r\n]|#[^\r\n]*)*/y;
/** A run of literal characters that need no escape handling. */
const PLAIN_LITERAL = /[^"\\]+/y;

class Parser {
  private readonly owner: number[] = [];
  private readonly names: string[] = [];
  private readonly defined: number[] = [];
  private readonly altStart: number[] = [];
  private readonly altEnd: number[] = [];
  private readonly itemStart: number[] = [];
  private readonly itemEnd: number[] = [];
  private readonly itemRule: number[] = [];
  private readonly itemAt: number[] = [];
  private readonly named = new Map<string, number>();
  private readonly firstRefAt: number[] = [];
  private readonly firstRefFrom: number[] = [];
  /** Elements of the sequences being read (nested groups above their parent's), and where each finished sequence ends. */
  private readonly scratchRule: number[] = [];
  private readonly scratchAt: number[] = [];
  private readonly sequenceEnds: number[] = [];
  /** The size of llama.cpp's symbol table (written names and generated rules), for its repetition limit. */
  private symbols = 0;
  private pos = 0;
  /** The written rule being read (-1 before its name). */
  private current = -1;

  constructor(
    private readonly text: string,
    private readonly label: string,
  ) {}

  private code(at = this.pos): number {
    return this.text.charCodeAt(at);
  }

  private fail(message: string, at = this.pos): never {
    const rule = this.current >= 0 ? `rule '${this.names[this.current]}': ` : '';
    throw invalidArgument(`${this.label}: ${rule}${message} at ${lineColumn(this.text, at)}`);
  }

  private skipSpace(newlineOk: boolean): void {
    const c = this.code();
    // Most calls find nothing to skip, or one space.
    if (!(c === 0x20 || c === 0x09 || c === HASH || (newlineOk && (c === NEWLINE || c === RETURN)))) return;
    const space = newlineOk ? SPACE_NEWLINES : SPACE;
    space.lastIndex = this.pos;
    space.test(this.text);
    this.pos = space.lastIndex;
  }

  private name(): string {
    const start = this.pos;
    WORD.lastIndex = start;
    WORD.test(this.text);
    this.pos = WORD.lastIndex;
    if (this.pos === start) this.fail('expecting a rule name');
    return this.text.slice(start, this.pos);
  }

  private integer(): number {
    const start = this.pos;
    while (isDigit(this.code())) this.pos++;
    if (this.pos === start) this.fail('expecting an integer');
    const digits = this.text.slice(start, this.pos);
    if (digits.length > 19 && BigInt(digits) > 0xffffffffffffffffn) this.fail(`${digits} is out of range`, start);
    return Number(digits);
  }

  /** One character of a literal or class (an escape or a code point). */
  private char(): void {
    const c = this.code();
    if (c !== BACKSLASH) {
      this.pos += isHigh(c) && this.code(this.pos + 1) >= 0xdc00 && this.code(this.pos + 1) <= 0xdfff ? 2 : 1;
      return;
    }
    const escape = this.code(this.pos + 1);
    const hexDigits = escape === 0x78 ? 2 : escape === 0x75 ? 4 : escape === 0x55 ? 8 : 0; // x u U
    if (hexDigits > 0) {
      for (let i = 0; i < hexDigits; i++) {
        if (!isHex(this.code(this.pos + 2 + i))) this.fail(`expecting ${hexDigits} hex digits after \\${String.fromCharCode(escape)}`);
      }
      this.pos += 2 + hexDigits;
    } else if (escape === 0x74 || escape === 0x72 || escape === 0x6e || escape === BACKSLASH || escape === QUOTE || escape === LBRACKET || escape === RBRACKET || escape === DASH) {
      this.pos += 2; // t r n \ " [ ] -
    } else this.fail('unknown escape');
  }

  private newRule(owner: number, name: string, defined: number): number {
    const id = this.owner.length;
    this.owner.push(owner < 0 ? id : owner);
    this.names.push(name);
    this.defined.push(defined);
    this.altStart.push(0);
    this.altEnd.push(0);
    this.firstRefAt.push(-1);
    this.firstRefFrom.push(-1);
    return id;
  }

  /** The number of written rule `name`, added on first sight (as llama.cpp's get_symbol_id). */
  private symbol(name: string): number {
    let id = this.named.get(name);
    if (id === undefined) {
      id = this.newRule(-1, name, 0);
      this.named.set(name, id);
      this.symbols++;
    }
    return id;
  }

  /** A new generated rule inside the current rule, counted as `symbols` llama.cpp symbols. */
  private generated(at: number, symbols: number): number {
    this.symbols += symbols;
    if (this.symbols > MAX_GRAMMAR_EXPANDED_RULES) {
      this.fail(`llama.cpp would build more than ${MAX_GRAMMAR_EXPANDED_RULES} rules for this grammar (its repetitions expanded)`, at);
    }
    return this.newRule(this.current, '', 1);
  }

  parse(): ParsedGrammar {
    this.skipSpace(true);
    while (this.pos < this.text.length) this.rule();
    return {
      ruleCount: this.owner.length,
      owner: this.owner,
      names: this.names,
      defined: this.defined,
      altStart: this.altStart,
      altEnd: this.altEnd,
      itemStart: this.itemStart,
      itemEnd: this.itemEnd,
      itemRule: this.itemRule,
      itemAt: this.itemAt,
      named: this.named,
      firstRefAt: this.firstRefAt,
      firstRefFrom: this.firstRefFrom,
    };
  }

  private rule(): void {
    this.current = -1;
    const start = this.pos;
    HEAD.lastIndex = start;
    if (HEAD.test(this.text)) {
      // `name ::= ` in one step (the usual case); otherwise the steps below say what is wrong.
      const end = HEAD.lastIndex;
      WORD.lastIndex = start;
      WORD.test(this.text);
      this.current = this.symbol(this.text.slice(start, WORD.lastIndex));
      this.pos = end;
    } else {
      this.current = this.symbol(this.name());
      this.skipSpace(false);
      if (!(this.code() === COLON && this.code(this.pos + 1) === COLON && this.code(this.pos + 2) === EQUALS)) this.fail("expecting '::='");
      this.pos += 3;
      this.skipSpace(true);
    }
    const id = this.current;
    // A second definition replaces the first, as in llama.cpp (the first's alternatives stay unused).
    this.alternates(false, id);
    this.defined[id] = 1;
    const c = this.code();
    if (c === RETURN) this.pos += this.code(this.pos + 1) === NEWLINE ? 2 : 1;
    else if (c === NEWLINE) this.pos++;
    else if (this.pos < this.text.length) this.fail(`expecting a newline or the end, not '${String.fromCodePoint(this.text.codePointAt(this.pos)!)}'`);
    this.skipSpace(true);
  }

  /** Reads `seq | seq | …` as the alternatives of rule `id`. */
  private alternates(nested: boolean, id: number): void {
    const scratchBase = this.scratchRule.length;
    const endsBase = this.sequenceEnds.length;
    this.sequence(nested);
    this.sequenceEnds.push(this.scratchRule.length);
    while (this.code() === BAR) {
      this.pos++;
      this.skipSpace(true);
      this.sequence(nested);
      this.sequenceEnds.push(this.scratchRule.length);
    }
    // Move the finished sequences from the scratch stack to the rule.
    this.altStart[id] = this.itemStart.length;
    let from = scratchBase;
    for (let k = endsBase; k < this.sequenceEnds.length; k++) {
      const to = this.sequenceEnds[k]!;
      this.itemStart.push(this.itemRule.length);
      for (let i = from; i < to; i++) {
        this.itemRule.push(this.scratchRule[i]!);
        this.itemAt.push(this.scratchAt[i]!);
      }
      this.itemEnd.push(this.itemRule.length);
      from = to;
    }
    this.altEnd[id] = this.itemStart.length;
    this.scratchRule.length = scratchBase;
    this.scratchAt.length = scratchBase;
    this.sequenceEnds.length = endsBase;
  }

  /** Rule `id` := `elements[from, to)` followed by a reference to `next` (if ≥ 0) | (empty). */
  private repetitionRule(id: number, rules: readonly number[], ats: readonly number[], next: number, nextAt: number): void {
    this.altStart[id] = this.itemStart.length;
    this.itemStart.push(this.itemRule.length);
    for (let i = 0; i < rules.length; i++) {
      this.itemRule.push(rules[i]!);
      this.itemAt.push(ats[i]!);
    }
    if (next >= 0) {
      this.itemRule.push(next);
      this.itemAt.push(nextAt);
    }
    this.itemEnd.push(this.itemRule.length);
    this.itemStart.push(this.itemRule.length);
    this.itemEnd.push(this.itemRule.length);
    this.altEnd[id] = this.itemStart.length;
  }

  private push(rule: number, at: number): void {
    this.scratchRule.push(rule);
    this.scratchAt.push(at);
  }

  /** Reads one sequence onto the scratch stack. */
  private sequence(nested: boolean): void {
    const { scratchRule, scratchAt, text } = this;
    // Where the last symbol's elements start on the scratch stack (nothing to repeat while it is
    // the top), where it starts in the text, and llama.cpp's count of the rules a repetition of it copies.
    let lastStart = scratchRule.length;
    let lastAt = this.pos;
    let copies = 1;
    for (;;) {
      const c = text.charCodeAt(this.pos);
      const at = this.pos;
      if (c === QUOTE) {
        lastStart = scratchRule.length;
        lastAt = at;
        copies = 1;
        this.pos++;
        let chars = 0;
        while (text.charCodeAt(this.pos) !== QUOTE) {
          if (this.pos >= text.length) this.fail('unexpected end of input in a literal', at);
          if (text.charCodeAt(this.pos) === BACKSLASH) this.char();
          else {
            PLAIN_LITERAL.lastIndex = this.pos;
            PLAIN_LITERAL.test(text);
            this.pos = PLAIN_LITERAL.lastIndex;
          }
          chars++;
        }
        this.pos++;
        if (chars > 0) this.push(TERMINAL, at);
        this.skipSpace(nested);
      } else if (c === LBRACKET) {
        lastStart = scratchRule.length;
        lastAt = at;
        copies = 1;
        this.pos++;
        if (text.charCodeAt(this.pos) === CARET) this.pos++;
        let chars = 0;
        while (text.charCodeAt(this.pos) !== RBRACKET) {
          if (this.pos >= text.length) this.fail('unexpected end of input in a character class', at);
          this.char();
          chars++;
          if (text.charCodeAt(this.pos) === DASH && text.charCodeAt(this.pos + 1) !== RBRACKET) {
            if (this.pos + 1 >= text.length) this.fail('unexpected end of input in a character class', at);
            this.pos++;
            this.char();
          }
        }
        this.pos++;
        if (chars > 0) this.push(TERMINAL, at); // llama.cpp adds nothing for `[]`
        this.skipSpace(nested);
      } else if (c === LT || c === BANG) {
        if (c === BANG) this.pos++;
        this.token();
        lastStart = scratchRule.length;
        lastAt = at;
        copies = 1;
        this.push(TERMINAL, at);
        this.skipSpace(nested);
      } else if (isWord(c)) {
        WORD.lastIndex = at;
        WORD.test(text);
        this.pos = WORD.lastIndex;
        const id = this.symbol(text.slice(at, this.pos));
        if (this.firstRefAt[id] === -1) {
          this.firstRefAt[id] = at;
          this.firstRefFrom[id] = this.current;
        }
        this.skipSpace(nested);
        lastStart = scratchRule.length;
        lastAt = at;
        copies = 1;
        scratchRule.push(id);
        scratchAt.push(at);
      } else if (c === LPAREN) {
        this.pos++;
        this.skipSpace(true);
        const before = this.symbols;
        const id = this.generated(at, 1);
        this.alternates(true, id);
        const inner = Math.max(1, this.symbols - before);
        if (text.charCodeAt(this.pos) !== RPAREN) this.fail("expecting ')'");
        this.pos++;
        this.skipSpace(nested);
        lastStart = scratchRule.length;
        lastAt = at;
        copies = inner;
        this.push(id, at);
      } else if (c === DOT) {
        lastStart = scratchRule.length;
        lastAt = at;
        copies = 1;
        this.push(TERMINAL, at);
        this.pos++;
        this.skipSpace(nested);
      } else if (c === STAR || c === PLUS || c === QUESTION) {
        this.pos++;
        this.skipSpace(nested);
        copies = this.repeat(c === PLUS ? 1 : 0, c === QUESTION ? 1 : Infinity, at, lastStart, lastAt, copies);
      } else if (c === LBRACE) {
        this.pos++;
        this.skipSpace(nested);
        if (!isDigit(text.charCodeAt(this.pos))) this.fail('expecting an integer');
        const min = this.integer();
        this.skipSpace(nested);
        let max = min;
        if (text.charCodeAt(this.pos) === RBRACE) {
          this.pos++;
        } else if (text.charCodeAt(this.pos) === COMMA) {
          this.pos++;
          this.skipSpace(nested);
          max = isDigit(text.charCodeAt(this.pos)) ? this.integer() : Infinity;
          this.skipSpace(nested);
          if (text.charCodeAt(this.pos) !== RBRACE) this.fail("expecting '}'");
          this.pos++;
        } else this.fail("expecting ',' or '}'");
        this.skipSpace(nested);
        if (min > MAX_REPETITION) this.fail(`{${min}…}: llama.cpp accepts at most ${MAX_REPETITION} repetitions`, at);
        if (max !== Infinity && max > MAX_REPETITION) max = Infinity; // llama.cpp reads {m,n} with n > 2000 as {m,}
        copies = this.repeat(min, max, at, lastStart, lastAt, copies);
      } else break;
    }
  }

  /**
   * llama.cpp's handle_repetitions on the last symbol (scratch elements from
   * `lastStart` on), with alike copies kept once (see the file's comment).
   * Returns llama.cpp's new count of copied rules.
   */
  private repeat(min: number, max: number, at: number, lastStart: number, lastAt: number, copies: number): number {
    const { scratchRule, scratchAt } = this;
    if (lastStart === scratchRule.length) this.fail('expecting an item before the repetition operator', at);
    const total = max !== Infinity && max > 0 ? max : min > 0 ? min : 1;
    if (copies * total > MAX_REPETITION) {
      this.fail(`this repetition copies ${copies} rule(s) ${total} times; llama.cpp accepts at most ${MAX_REPETITION} copies`, at);
    }
    const rules = scratchRule.slice(lastStart);
    const ats = scratchAt.slice(lastStart);
    if (min === 0) {
      scratchRule.length = lastStart;
      scratchAt.length = lastStart;
    } else if (min >= 2) {
      for (let i = 0; i < rules.length; i++) this.push(rules[i]!, ats[i]!);
    }
    const optional = max === Infinity ? 1 : max - min;
    if (optional > 0) {
      let id: number;
      if (max === Infinity) {
        id = this.generated(lastAt, 1);
        this.repetitionRule(id, rules, ats, id, lastAt); // S' ::= S S' |
      } else {
        id = this.generated(lastAt, 1);
        this.repetitionRule(id, rules, ats, -1, lastAt); // S'(1) ::= S |
        if (optional >= 2) {
          const outer = this.generated(lastAt, optional - 1);
          this.repetitionRule(outer, rules, ats, id, lastAt); // S'(k) ::= S S'(k-1) |
          id = outer;
        }
      }
      this.push(id, lastAt);
    }
    return copies * total;
  }

  /** `<[id]>` or `<text>` (a token; `!` before it already skipped). Whether `<text>` is one token is llama.cpp's to say. */
  private token(): void {
    if (this.code() !== LT) this.fail("expecting '<'");
    this.pos++;
    if (this.code() === LBRACKET) {
      this.pos++;
      this.integer();
      if (this.code() !== RBRACKET) this.fail("expecting ']'");
      this.pos++;
      if (this.code() !== GT) this.fail("expecting '>'");
      this.pos++;
      return;
    }
    while (this.pos < this.text.length && this.code() !== GT) this.pos++;
    if (this.pos >= this.text.length) this.fail("expecting '>'");
    this.pos++;
  }
}

/**
 * Parses `text` as llama.cpp would; throws INVALID_ARGUMENT (`label: rule 'r':
 * … at line L, column C`) where llama.cpp's parser fails.
 */
export function parseGbnf(text: string, label: string): ParsedGrammar {
  return new Parser(text, label).parse();
}
