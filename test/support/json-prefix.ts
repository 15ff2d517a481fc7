/**
 * Whether a text is JSON, a prefix of JSON, or neither: for generations cut
 * short by max_new_tokens, whose text must still be the start of a valid
 * document. Standard JSON (RFC 8259), independent of any grammar.
 */

/** What {@link jsonPrefixState} found. */
export type JsonPrefixState = 'complete' | 'prefix' | 'invalid';

class Incomplete extends Error {}
class Invalid extends Error {}

/**
 * `'complete'` when `text` is one JSON value of kind `top` (surrounding
 * whitespace allowed), `'prefix'` when some text appended to it would make it
 * one, `'invalid'` otherwise.
 */
export function jsonPrefixState(text: string, top: 'object' | 'any' = 'object'): JsonPrefixState {
  let i = 0;
  const peek = (): string => {
    if (i >= text.length) throw new Incomplete();
    return text[i]!;
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (c: string): void => {
    if (peek() !== c) throw new Invalid(`expected ${c} at ${i}`);
    i++;
  };
  const word = (w: string): void => {
    for (const c of w) expect(c);
  };
  const digits = (atLeastOne: boolean): void => {
    const start = i;
    while (i < text.length && /[0-9]/.test(text[i]!)) i++;
    if (atLeastOne && i === start) {
      peek(); // at the end: more may come
      throw new Invalid(`digit expected at ${i}`);
    }
  };
  const number = (): void => {
    if (peek() === '-') i++;
    if (peek() === '0') i++;
    else if (/[1-9]/.test(peek())) digits(true);
    else throw new Invalid(`digit expected at ${i}`);
    if (i < text.length && text[i] === '.') {
      i++;
      digits(true);
    }
    if (i < text.length && /[eE]/.test(text[i]!)) {
      i++;
      if (/[+-]/.test(peek())) i++;
      digits(true);
    }
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const c = peek();
      i++;
      if (c === '"') return;
      if (c < ' ') throw new Invalid(`control character in a string at ${i - 1}`);
      if (c !== '\\') continue;
      const e = peek();
      i++;
      if (e === 'u') {
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(peek())) throw new Invalid(`hex digit expected at ${i}`);
          i++;
        }
      } else if (!'"\\/bfnrt'.includes(e)) throw new Invalid(`bad escape at ${i - 1}`);
    }
  };
  const members = (close: string, member: () => void): void => {
    ws();
    if (peek() === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      ws();
      const c = peek();
      i++;
      if (c === close) return;
      if (c !== ',') throw new Invalid(`, or ${close} expected at ${i - 1}`);
      ws();
    }
  };
  const value = (): void => {
    const c = peek();
    if (c === '{') {
      i++;
      members('}', () => {
        string();
        ws();
        expect(':');
        ws();
        value();
      });
    } else if (c === '[') {
      i++;
      members(']', value);
    } else if (c === '"') string();
    else if (c === 't') word('true');
    else if (c === 'f') word('false');
    else if (c === 'n') word('null');
    else number();
  };
  try {
    ws();
    if (top === 'object' && peek() !== '{') throw new Invalid('an object expected');
    value();
    ws();
    return i === text.length ? 'complete' : 'invalid';
  } catch (err) {
    if (err instanceof Incomplete) return 'prefix';
    if (err instanceof Invalid) return 'invalid';
    throw err;
  }
}
