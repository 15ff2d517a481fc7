/**
 * The check every grammar passes before llama.cpp sees it: the size bounds
 * (limits.ts), then the grammar read as llama.cpp reads it, so that what
 * llama.cpp would refuse with "failed to parse grammar" (a syntax error, an
 * undefined rule, no `root`, left recursion) is an INVALID_ARGUMENT naming the
 * rule and the line and column.
 * @internal
 */
import { invalidArgument } from '../../errors';
import { checkGrammarLimits } from '../limits';
import { findLeftRecursion } from './leftRecursion';
import { lineColumn, parseGbnf } from './parse';

/** The rule generation starts from (llama-generate always passes `root`). */
const ROOT = 'root';

/** Throws INVALID_ARGUMENT (message starting with `name`) for a grammar llama.cpp would refuse. */
export function checkGrammar(grammar: string, name = 'grammar'): void {
  checkGrammarLimits(grammar, name);
  const nul = grammar.indexOf('\0');
  if (nul >= 0) {
    // llama.cpp reads the grammar as a C string: it would silently stop there.
    throw invalidArgument(`${name} contains a NUL character at ${lineColumn(Array.from(grammar.slice(0, nul), (c) => c.codePointAt(0)!), Infinity)}`);
  }
  const { grammar: parsed, src } = parseGbnf(grammar, name);
  const where = (at: number): string => lineColumn(src, at);
  for (const [rule, id] of parsed.named) {
    if (parsed.rules[id]!.defined) continue;
    const ref = parsed.firstReference.get(rule)!;
    throw invalidArgument(`${name}: rule '${ref.from}' refers to the undefined rule '${rule}' at ${where(ref.at)}`);
  }
  const root = parsed.named.get(ROOT);
  if (root === undefined) throw invalidArgument(`${name} has no '${ROOT}' rule (generation starts from ${ROOT} ::= …)`);
  const cycle = findLeftRecursion(parsed);
  if (cycle !== undefined) {
    const through = cycle.path.length > 2 ? ` (${cycle.path.join(' → ')})` : '';
    throw invalidArgument(
      `${name}: rule '${cycle.path[0]}' is left-recursive${through}: it can reach itself again before any character, ` +
        `which llama.cpp does not support (reference at ${where(cycle.at)}); use repetition instead, e.g. a ::= b ("," b)*`,
    );
  }
}
