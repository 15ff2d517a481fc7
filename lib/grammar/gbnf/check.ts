/**
 * The check every grammar passes before llama.cpp sees it: the size bounds
 * (limits.ts), then the grammar read as llama.cpp reads it, so that what
 * llama.cpp would refuse with "failed to parse grammar" (a syntax error, an
 * undefined rule, no `root`, left recursion) is an INVALID_ARGUMENT naming the
 * rule and the line and column; so is a left recursion llama.cpp's own check
 * misses and cannot run (leftRecursion.ts).
 * @internal
 */
import { invalidArgument } from '../../errors';
import { checkGrammarLimits } from '../limits';
import { findLeftRecursion } from './leftRecursion';
import { lineColumn, parseGbnf } from './parse';

/** The rule generation starts from (llama-generate always passes `root`). */
const ROOT = 'root';

/**
 * The last grammars that passed, most recent last: `createSampler` and
 * `generate()` with the same grammar (or one request after another) check it
 * once. The check is a pure function of the text.
 */
const passed: string[] = [];
const PASSED_KEPT = 4;

/** Throws INVALID_ARGUMENT (message starting with `name`) for a grammar llama.cpp would refuse. */
export function checkGrammar(grammar: string, name = 'grammar'): void {
  const seen = passed.indexOf(grammar);
  if (seen >= 0) {
    passed.splice(seen, 1);
    passed.push(grammar);
    return;
  }
  checkGrammarLimits(grammar, name);
  const nul = grammar.indexOf('\0');
  if (nul >= 0) {
    // llama.cpp reads the grammar as a C string: it would silently stop there.
    throw invalidArgument(`${name} contains a NUL character at ${lineColumn(grammar, nul)}`);
  }
  const parsed = parseGbnf(grammar, name);
  const where = (at: number): string => lineColumn(grammar, at);
  for (const [rule, id] of parsed.named) {
    if (parsed.defined[id]) continue;
    const from = parsed.names[parsed.firstRefFrom[id]!]!;
    throw invalidArgument(`${name}: rule '${from}' refers to the undefined rule '${rule}' at ${where(parsed.firstRefAt[id]!)}`);
  }
  if (!parsed.named.has(ROOT)) throw invalidArgument(`${name} has no '${ROOT}' rule (generation starts from ${ROOT} ::= …)`);
  const cycle = findLeftRecursion(parsed);
  if (cycle !== undefined) {
    const through = cycle.path.length > 2 ? ` (${cycle.path.join(' → ')})` : '';
    const rule = cycle.path[0];
    if (cycle.pastEmpty === undefined) {
      throw invalidArgument(
        `${name}: rule '${rule}' is left-recursive${through}: it can reach itself again before any character, ` +
          `which llama.cpp does not support (reference at ${where(cycle.at)}); use repetition instead, e.g. a ::= b ("," b)*`,
      );
    }
    const past = cycle.pastEmpty.generated ? `a group or repetition in rule '${cycle.pastEmpty.rule}'` : `rule '${cycle.pastEmpty.rule}'`;
    throw invalidArgument(
      `${name}: rule '${rule}' is left-recursive${through}: it can reach itself again before any character, past ${past}, ` +
        `which can match nothing (reference at ${where(cycle.at)}); llama.cpp's check misses this and its grammar stacks ` +
        `would grow without end; make the rule before it match at least one character, or use repetition, e.g. a ::= b ("," b)*`,
    );
  }
  if (passed.length >= PASSED_KEPT) passed.shift();
  passed.push(grammar);
}
