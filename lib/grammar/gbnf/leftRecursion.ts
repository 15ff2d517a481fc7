/**
 * Left recursion as llama.cpp detects it (`llama_grammar_detect_left_recursion`):
 * a rule reaches itself through the first element of an alternative, or past
 * leading references to rules that have an empty alternative. llama.cpp
 * refuses such a grammar (its stacks would grow forever); this finds the same
 * cycles, with the rules on the way and where the cycle closes.
 * @internal
 */
import type { ParsedGrammar } from './parse';

/** A left-recursive cycle: the written rules on it, in order, and the reference that closes it. */
export interface LeftRecursion {
  readonly path: readonly string[];
  readonly at: number;
}

/** The first left-recursive cycle of `grammar`, or undefined. */
export function findLeftRecursion(grammar: ParsedGrammar): LeftRecursion | undefined {
  const { rules } = grammar;
  // llama.cpp's "may be empty": an alternative with no element at all (not nullability in general).
  const mayBeEmpty = rules.map((rule) => rule.alts.some((alt) => alt.length === 0));
  const edges = rules.map((rule) => {
    const out: { rule: number; at: number }[] = [];
    for (const alt of rule.alts) {
      for (const item of alt) {
        if (item === null) break;
        out.push(item);
        if (!mayBeEmpty[item.rule]) break;
      }
    }
    return out;
  });
  // Iterative depth-first search; 1 = on the current path, 2 = done.
  const state = new Uint8Array(rules.length);
  for (let start = 0; start < rules.length; start++) {
    if (state[start] !== 0) continue;
    const stack: { rule: number; next: number }[] = [{ rule: start, next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edge = edges[top.rule]![top.next++];
      if (edge === undefined) {
        state[top.rule] = 2;
        stack.pop();
        continue;
      }
      if (state[edge.rule] === 1) {
        const from = stack.findIndex((frame) => frame.rule === edge.rule);
        const names = stack.slice(from).map((frame) => rules[frame.rule]!.owner);
        const path = names.filter((name, i) => i === 0 || name !== names[i - 1]);
        return { path: [...path, rules[edge.rule]!.owner], at: edge.at };
      }
      if (state[edge.rule] === 0) {
        state[edge.rule] = 1;
        stack.push({ rule: edge.rule, next: 0 });
      }
    }
  }
  return undefined;
}
