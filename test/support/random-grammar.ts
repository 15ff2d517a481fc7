/**
 * Random GBNF grammars for comparing grammar engines (after the generator of
 * test/sampling/grammar-check.test.ts), with the terminals llama.cpp's
 * engine treats apart: multi-byte literals and ranges (tokens that end inside
 * a character), negated classes, any character, empty alternatives and token
 * references. Only grammars llama.cpp takes are returned, with at most one
 * rule reference per alternative and only terminals repeated (see `attempt`).
 */
import { checkGrammar } from '../../lib/grammar/gbnf/check';
import { parseGbnf } from './gbnf';

const LITERALS = ['"a"', '"bc"', '"{"', '"\\""', '" "', '"é"', '"日本"', '"😀"', '"\\n"', '""', '"ab"', '"😀😀"', '"ñ"', '":"', '"x y"'];
const CLASSES = [
  '[a-z]',
  '[^"\\\\]',
  '[^a]',
  '[0-9]',
  '[\\u00e0-\\u00ff]',
  '[\\U0001F600-\\U0001F64F]',
  '[^\\x00-\\x7f]',
  '[ \\t\\n]',
  '.',
  '[a-zé日]',
  '[^ ]',
  '[\\u3040-\\u30ff]',
];
const REPEATS = ['*', '+', '?', '{2}', '{0,3}', '{1,}', '{1,2}'];

/** Whether llama.cpp could loop on it (left recursion through a nullable rule it does not see). */
function mayHangLlama(grammar: string): boolean {
  try {
    parseGbnf(grammar.replace(/!?<\[\d+\]>/g, '"t"')); // the test parser reads no token references
    return false;
  } catch (err) {
    return /left recursion/.test((err as Error).message);
  }
}

function accepted(grammar: string): boolean {
  try {
    checkGrammar(grammar);
  } catch {
    return false;
  }
  return !mayHangLlama(grammar);
}

/**
 * A random grammar over rules root, r1..r(n-1) that llama.cpp accepts.
 * `tokens`: token ids the grammar may name with `<[id]>` / `!<[id]>`.
 */
export function randomGrammar(random: () => number, tokens: readonly number[] = []): string {
  for (;;) {
    const grammar = attempt(random, tokens);
    if (accepted(grammar)) return grammar;
  }
}

function attempt(random: () => number, tokens: readonly number[]): string {
  const n = 1 + Math.floor(random() * 4);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const names = ['root', ...Array.from({ length: n - 1 }, (_, i) => `r${i + 1}`)];
  // At most one rule reference per top-level alternative (groups inside it included), and
  // repetitions of terminals only: two references in a row (`r1 r1`) or a repeated group or rule
  // make llama.cpp's stacks multiply with every character, and one of its steps take hours.
  let refs = 0;
  const atom = (depth: number): string => {
    const r = random();
    if (r < 0.3) return pick(LITERALS);
    if (r < 0.55) return pick(CLASSES);
    if (r < 0.62 && tokens.length > 0) return `${random() < 0.7 ? '' : '!'}<[${pick(tokens)}]>`;
    if (r < 0.82 && names.length > 1 && refs < 1) {
      refs++;
      return pick(names.slice(1));
    }
    if (depth < 2) return `(${alternatives(depth + 1)})`;
    return pick(LITERALS);
  };
  const item = (depth: number): string => {
    const a = atom(depth);
    return /^["[.<!]/.test(a) && random() < 0.3 ? a + pick(REPEATS) : a;
  };
  const sequence = (depth: number): string => Array.from({ length: 1 + Math.floor(random() * 3) }, () => item(depth)).join(' ');
  const alternatives = (depth: number): string =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      if (depth === 0) refs = 0;
      return random() < 0.1 ? '' : sequence(depth);
    }).join(' | ');
  return names.map((name) => `${name} ::= ${alternatives(0)}`).join('\n');
}
