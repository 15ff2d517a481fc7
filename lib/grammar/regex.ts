/**
 * The `pattern` subset of ECMAScript regular expressions (with the `u` flag),
 * parsed to a {@link Regex} over code point sets.
 */
import { ALL_SET, complementSet, DIGIT_SET, LINE_TERMINATORS, MAX_CODE_POINT, normalizeSet, SPACE_SET, WORD_SET, type CharSet } from './charset';
import { cpsOf, type Range } from './expr';
import { fail, unsupported } from './fail';

/** A parsed pattern: code point sets, sequences, alternatives, repetitions and the `^`/`$` anchors. */
export type Regex =
  | { readonly k: 'set'; readonly set: CharSet }
  | { readonly k: 'seq'; readonly items: readonly Regex[] }
  | { readonly k: 'alt'; readonly items: readonly Regex[] }
  | { readonly k: 'rep'; readonly item: Regex; readonly min: number; readonly max: number | null }
  | { readonly k: 'bol' }
  | { readonly k: 'eol' };

/** Parses a `pattern`, throwing `INVALID_ARGUMENT` for invalid or unsupported syntax. */
export class RegexParser {
  private pos = 0;
  private readonly cps: number[];

  constructor(
    private readonly pattern: string,
    private readonly dotall: boolean,
  ) {
    this.cps = cpsOf(pattern);
  }

  private invalid(why: string): never {
    fail(`invalid pattern ${JSON.stringify(this.pattern)}: ${why}`);
  }

  private unsupported(what: string): never {
    unsupported(`pattern ${JSON.stringify(this.pattern)}: ${what}`);
  }

  private peek(offset = 0): string | undefined {
    const cp = this.cps[this.pos + offset];
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  parse(): Regex {
    const result = this.alternation();
    if (this.pos < this.cps.length) this.invalid(`unmatched ${this.peek()}`);
    return result;
  }

  private alternation(): Regex {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? branches[0]! : { k: 'alt', items: branches };
  }

  private sequence(): Regex {
    const items: Regex[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { k: 'seq', items };
  }

  private quantified(atom: Regex): Regex {
    let result = atom;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number | null;
      if (c === '*') [min, max] = [0, null];
      else if (c === '+') [min, max] = [1, null];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.offsetOf(this.pos)));
        if (!m) this.invalid('lone {');
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? null : Number(m[3]);
        if (max !== null && max < min) this.invalid('numbers out of order in {} quantifier');
        this.pos += m[0].length - 1;
      } else return result;
      this.pos++;
      if (this.peek() === '?') this.pos++; // lazy: the same language
      if (result.k === 'bol' || result.k === 'eol') this.invalid('nothing to repeat');
      if (result.k === 'rep') this.invalid('nothing to repeat');
      result = { k: 'rep', item: result, min, max };
    }
  }

  /** String offset (UTF-16) of code point index `i`. */
  private offsetOf(i: number): number {
    let offset = 0;
    for (let j = 0; j < i; j++) offset += this.cps[j]! > 0xffff ? 2 : 1;
    return offset;
  }

  private atom(): Regex {
    const c = this.peek()!;
    this.pos++;
    switch (c) {
      case '^':
        return { k: 'bol' };
      case '$':
        return { k: 'eol' };
      case '.':
        return { k: 'set', set: this.dotall ? ALL_SET : complementSet(LINE_TERMINATORS) };
      case '(': {
        if (this.peek() === '?') {
          if (this.peek(1) === ':') this.pos += 2;
          else if (this.peek(1) === '<' && this.peek(2) !== '=' && this.peek(2) !== '!') {
            const close = this.cps.indexOf(0x3e, this.pos);
            if (close < 0) this.invalid('unterminated group name');
            this.pos = close + 1;
          } else this.unsupported('lookaround assertions and group modifiers are');
        }
        const inner = this.alternation();
        if (this.peek() !== ')') this.invalid('unterminated group');
        this.pos++;
        return inner;
      }
      case '[':
        return { k: 'set', set: this.characterClass() };
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
        return this.invalid('nothing to repeat');
      case '{':
      case '}':
      case ']':
        return this.invalid(`lone ${c}`);
      default:
        return { k: 'set', set: [[c.codePointAt(0)!, c.codePointAt(0)!]] };
    }
  }

  private hexDigits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const c = this.peek();
      if (c === undefined || !/[0-9a-fA-F]/.test(c)) this.invalid('invalid escape');
      value = value * 16 + parseInt(c, 16);
      this.pos++;
    }
    return value;
  }

  /** Parses an escape (after the backslash) to a set. */
  private escape(inClass: boolean): Regex & { k: 'set' } {
    const c = this.peek();
    if (c === undefined) this.invalid('\\ at end of pattern');
    this.pos++;
    const one = (cp: number): Regex & { k: 'set' } => ({ k: 'set', set: [[cp, cp]] });
    switch (c) {
      case 'd':
        return { k: 'set', set: DIGIT_SET };
      case 'D':
        return { k: 'set', set: complementSet(DIGIT_SET) };
      case 'w':
        return { k: 'set', set: WORD_SET };
      case 'W':
        return { k: 'set', set: complementSet(WORD_SET) };
      case 's':
        return { k: 'set', set: SPACE_SET };
      case 'S':
        return { k: 'set', set: complementSet(SPACE_SET) };
      case 't':
        return one(0x09);
      case 'n':
        return one(0x0a);
      case 'r':
        return one(0x0d);
      case 'f':
        return one(0x0c);
      case 'v':
        return one(0x0b);
      case '0':
        if (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) this.invalid('invalid escape');
        return one(0);
      case 'x':
        return one(this.hexDigits(2));
      case 'u': {
        if (this.peek() === '{') {
          const close = this.cps.indexOf(0x7d, this.pos);
          const digits = close < 0 ? '' : String.fromCodePoint(...this.cps.slice(this.pos + 1, close));
          if (!/^[0-9a-fA-F]+$/.test(digits) || parseInt(digits, 16) > MAX_CODE_POINT) this.invalid('invalid unicode escape');
          this.pos = close + 1;
          return one(parseInt(digits, 16));
        }
        const cp = this.hexDigits(4);
        if (cp >= 0xd800 && cp <= 0xdbff && this.peek() === '\\' && this.peek(1) === 'u') {
          const save = this.pos;
          this.pos += 2;
          const low = this.hexDigits(4);
          if (low >= 0xdc00 && low <= 0xdfff) return one(0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00));
          this.pos = save;
        }
        return one(cp);
      }
      case 'c': {
        const letter = this.peek();
        if (letter === undefined || !/[a-zA-Z]/.test(letter)) this.invalid('invalid escape');
        this.pos++;
        return one(letter.codePointAt(0)! % 32);
      }
      case 'b':
        if (inClass) return one(0x08);
        return this.unsupported('word boundaries (\\b) are');
      case 'B':
        return this.unsupported('word boundaries (\\B) are');
      case 'p':
      case 'P':
        return this.unsupported('Unicode property escapes are');
      case 'k':
        return this.unsupported('backreferences are');
      default:
        if (/[1-9]/.test(c)) this.unsupported('backreferences are');
        if (/[\^$\\.*+?()[\]{}|/]/.test(c) || (inClass && c === '-')) return one(c.codePointAt(0)!);
        return this.invalid(`invalid escape \\${c}`);
    }
  }

  private characterClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const classAtom = (): CharSet => {
      const c = this.peek();
      if (c === undefined) this.invalid('unterminated character class');
      this.pos++;
      if (c === '\\') return this.escape(true).set;
      const cp = c.codePointAt(0)!;
      return [[cp, cp]];
    };
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.invalid('unterminated character class');
      if (c === ']') {
        this.pos++;
        break;
      }
      const from = classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const to = classAtom();
        const single = (s: CharSet): boolean => s.length === 1 && s[0]![0] === s[0]![1];
        if (!single(from) || !single(to)) this.invalid('character class escape in a range');
        if (from[0]![0] > to[0]![0]) this.invalid('range out of order in character class');
        ranges.push([from[0]![0], to[0]![0]]);
      } else ranges.push(...from);
    }
    const set = normalizeSet(ranges);
    return negated ? complementSet(set) : set;
  }
}
