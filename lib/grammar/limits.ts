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
  for (let i = 0; i < grammar.length; i++) {
    const c = grammar[i];
    column++;
    if (c === '\n') {
      line++;
      column = 0;
    } else if (c === '#') {
      while (i + 1 < grammar.length && grammar[i + 1] !== '\n') i++;
    } else if (c === '"' || c === '[') {
      const close = c === '"' ? '"' : ']';
      for (i++; i < grammar.length && grammar[i] !== close; i++) {
        if (grammar[i] === '\\') i++;
        if (grammar[i] === '\n') {
          line++;
          column = 0;
        }
      }
    } else if (c === '(') {
      if (++depth > MAX_GRAMMAR_NESTING) throw invalidArgument(`${name}: parentheses nested deeper than ${MAX_GRAMMAR_NESTING} levels at ${where()}`);
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
    } else if (c === '|') {
      if (++alternatives > MAX_GRAMMAR_ALTERNATIVES) throw invalidArgument(`${name}: more than ${MAX_GRAMMAR_ALTERNATIVES} alternatives ('|'), at ${where()}`);
    }
  }
  const rules = grammar.match(/::=/g)?.length ?? 0;
  if (rules > MAX_GRAMMAR_RULES) throw invalidArgument(`${name} defines ${rules} rules; at most ${MAX_GRAMMAR_RULES} are accepted`);
}
