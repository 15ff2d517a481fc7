/**
 * GBNF building blocks for the tool-call grammars: literals, a tool's
 * arguments grammar (from its JSON Schema, its rules renamed so that several
 * tools live in one grammar), text up to a closing marker. @internal
 */
import { jsonSchemaToGbnf } from '../../grammar';
import { lit as literal, printExpr } from '../../grammar/expr';

/** A GBNF string literal matching `text` exactly (printed as the JSON Schema converter prints its literals). */
export function lit(text: string): string {
  return printExpr(literal(text), 0);
}

/** A GBNF literal of `value` as JSON text (`"get_weather"` with its quotes). */
export function jsonLit(value: string): string {
  return lit(JSON.stringify(value));
}

/** The whitespace the tool-call grammars allow between tokens (as the JSON Schema converter's `space`). */
export const SPACE_RULE = 'tc-space ::= | " " | "\\n" [ \\t]{0,20}';

/**
 * Renames every rule of a GBNF text `grammar` (definitions and references)
 * to `prefix` + its name, leaving string literals, character classes and
 * comments alone.
 */
export function prefixRules(grammar: string, prefix: string): string {
  let out = '';
  let i = 0;
  const n = grammar.length;
  while (i < n) {
    const c = grammar[i];
    if (c === '"' || c === '[') {
      const close = c === '"' ? '"' : ']';
      let j = i + 1;
      while (j < n && grammar[j] !== close) j += grammar[j] === '\\' ? 2 : 1;
      out += grammar.slice(i, j + 1);
      i = j + 1;
    } else if (c === '#') {
      let j = i;
      while (j < n && grammar[j] !== '\n') j++;
      i = j; // comments dropped
    } else if (c === '{') {
      const j = grammar.indexOf('}', i);
      out += grammar.slice(i, j + 1); // a repetition count, no names inside
      i = j + 1;
    } else if (/[a-zA-Z0-9_-]/.test(c)) {
      let j = i;
      while (j < n && /[a-zA-Z0-9_-]/.test(grammar[j])) j++;
      out += prefix + grammar.slice(i, j);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * The grammar of one tool's arguments: `jsonSchemaToGbnf(parameters)` with
 * its rules prefixed `t<index>-`; the value's rule is `t<index>-root`.
 * Throws the converter's `INVALID_ARGUMENT` for a schema it cannot express.
 */
export function argumentsRules(parameters: Record<string, unknown>, index: number): { rules: string[]; root: string } {
  const prefix = `t${index}-`;
  const grammar = prefixRules(jsonSchemaToGbnf(parameters), prefix);
  return { rules: grammar.split('\n').filter((line) => line.trim() !== ''), root: `${prefix}root` };
}

/**
 * An expression matching any text that does not contain `marker`,
 * followed by `marker` (the usual GBNF construction: at each step, a
 * character that does not continue the marker so far). Exact for markers
 * whose first character does not occur again in them (`</think>`, `<|end|>`).
 */
export function untilMarker(marker: string, name: string): string[] {
  const chars = [...marker];
  const alts: string[] = [];
  for (let k = 0; k < chars.length; k++) {
    const prefix = chars.slice(0, k).join('');
    alts.push(`${prefix ? `${lit(prefix)} ` : ''}[^${classChar(chars[k])}]`);
  }
  return [`${name} ::= (${alts.join(' | ')})* ${lit(marker)}`];
}

function classChar(ch: string): string {
  return ch === ']' || ch === '\\' || ch === '^' || ch === '-' ? `\\${ch}` : ch === '\n' ? '\\n' : ch;
}
