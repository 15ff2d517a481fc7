/**
 * Bounds on a GBNF grammar before llama.cpp parses it. llama.cpp's parser
 * recurses once per nesting level (100k nested parentheses overflow the stack:
 * SIGSEGV) and its grammar stacks grow with the number of alternatives and
 * rules (100k alternatives took ~50 s). Grammars people write, and those
 * jsonSchemaToGbnf makes for real schemas, are far inside these bounds.
 * @internal
 */
import { invalidArgument } from '../errors';

/** Largest grammar text accepted, in characters. */
export const MAX_GRAMMAR_LENGTH = 256 * 1024;
/** Deepest nesting of parentheses accepted. */
export const MAX_GRAMMAR_NESTING = 256;
/** Most rules (`name ::= …` definitions) accepted. */
export const MAX_GRAMMAR_RULES = 8192;
/** Most alternatives (`|`) accepted over the whole grammar. */
export const MAX_GRAMMAR_ALTERNATIVES = 16384;
/**
 * Most rules llama.cpp may build, repetitions expanded (`x{0,2000}` is 2000
 * rules; 1.6 million took 3.3 s and 400 MB). Checked by gbnf/parse.ts.
 */
export const MAX_GRAMMAR_EXPANDED_RULES = 262144;

// Runs of characters the checks below do not look at, matched at one position at a time (sticky):
// outside quotes and classes; inside a literal; inside a class.
const BORING = /[^\n#"[()|]*/y;
const IN_LITERAL = /[^"\\\n]*/y;
const IN_CLASS = /[^\]\\\n]*/y;

/**
 * Throws INVALID_ARGUMENT (naming `name`, the limit and where it was passed:
 * line and column) when `grammar` is beyond a bound. Quotes, character classes
 * and comments are skipped the way llama.cpp's parser reads them.
 */
export function checkGrammarLimits(grammar: string, name = 'grammar'): void {
  if (grammar.length > MAX_GRAMMAR_LENGTH) {
    throw invalidArgument(`${name} is ${grammar.length} characters; at most ${MAX_GRAMMAR_LENGTH} are accepted`);
  }
  let depth = 0;
  let alternatives = 0;
  let line = 1;
  let column = 0;
  const where = (): string => `line ${line}, column ${column}`;
  const n = grammar.length;
  for (let i = 0; i < n; i++) {
    // Jump over the characters that count for nothing here (names, spaces, operators) in one step.
    BORING.lastIndex = i;
    BORING.test(grammar);
    column += BORING.lastIndex - i;
    i = BORING.lastIndex;
    if (i >= n) break;
    const c = grammar.charCodeAt(i);
    column++;
    if (c === 0x0a) {
      line++;
      column = 0;
    } else if (c === 0x23) {
      // '#'
      while (i + 1 < n && grammar.charCodeAt(i + 1) !== 0x0a) i++;
    } else if (c === 0x22 || c === 0x5b) {
      // '"' or '[': to the closing one, past escapes
      const close = c === 0x22 ? 0x22 : 0x5d;
      const run = c === 0x22 ? IN_LITERAL : IN_CLASS;
      for (i++; i < n; i++) {
        run.lastIndex = i;
        run.test(grammar);
        column += run.lastIndex - i;
        i = run.lastIndex;
        const d = grammar.charCodeAt(i);
        if (i >= n || d === close) break;
        column++;
        if (d === 0x5c) {
          i++;
          column++;
        }
        if (grammar.charCodeAt(i) === 0x0a) {
          line++;
          column = 0;
        }
      }
      column++;
    } else if (c === 0x28) {
      if (++depth > MAX_GRAMMAR_NESTING) throw invalidArgument(`${name}: parentheses nested deeper than ${MAX_GRAMMAR_NESTING} levels at ${where()}`);
    } else if (c === 0x29) {
      depth = Math.max(0, depth - 1);
    } else if (c === 0x7c) {
      if (++alternatives > MAX_GRAMMAR_ALTERNATIVES) throw invalidArgument(`${name}: more than ${MAX_GRAMMAR_ALTERNATIVES} alternatives ('|'), at ${where()}`);
    }
  }
  // Every '::=' in the text (quoted ones included), counted without a regular expression's match array.
  let rules = 0;
  for (let at = grammar.indexOf('::='); at >= 0; at = grammar.indexOf('::=', at + 3)) rules++;
  if (rules > MAX_GRAMMAR_RULES) throw invalidArgument(`${name} defines ${rules} rules; at most ${MAX_GRAMMAR_RULES} are accepted`);
}
