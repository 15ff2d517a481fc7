/**
 * The finished grammar: the rules reachable from `root`, without the
 * alternatives that have no finite derivation, checked against what
 * llama.cpp's parser accepts, and printed.
 */
import { EPSILON, printExpr, type Expr } from './expr';
import { fail } from './fail';
import type { RawRule } from './primitives';
import type { RuleMap } from './rules';

/** The GBNF text of `rules` (whose `root` is set), one rule per line; prunes `rules` on the way. */
export function finalize(rules: RuleMap): string {
  pruneUnproductive(rules, reachable(rules));
  const names = reachable(rules);
  check(rules, names);
  return names
    .map((name) => {
      const rule = rules.get(name)!;
      return `${name} ::= ${'raw' in rule ? rule.raw : printExpr(rule, 0)}\n`;
    })
    .join('');
}

/** The names `e` refers to, in order (repeats included). */
function refsOf(e: Expr, out: string[]): void {
  if (e.k === 'ref') out.push(e.name);
  else if (e.k === 'seq' || e.k === 'alt') for (const item of e.items) refsOf(item, out);
  else if (e.k === 'rep') refsOf(e.item, out);
}

/** The rules reachable from root, in depth-first order (failed alternatives may have left others behind). */
function reachable(rules: RuleMap): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const walk = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    order.push(name);
    const rule = rules.get(name);
    if (rule === undefined || rule === null) throw new Error(`undefined rule ${name}`);
    const next: string[] = [];
    if ('raw' in rule) next.push(...rule.deps);
    else refsOf(rule, next);
    for (const n of next) walk(n);
  };
  walk('root');
  return order;
}

/**
 * Removes the alternatives that have no finite derivation (e.g. a recursive
 * `$ref` through required properties only): they add no finite document, and
 * a model sent down one could never finish. Throws if root has none.
 */
function pruneUnproductive(rules: RuleMap, names: string[]): void {
  const productive = new Map<string, boolean>(names.map((n) => [n, false]));
  const isProductive = (e: Expr): boolean => {
    switch (e.k) {
      case 'lit':
      case 'cls':
        return true;
      case 'ref':
        return productive.get(e.name)!;
      case 'seq':
        return e.items.every(isProductive);
      case 'alt':
        return e.items.some(isProductive);
      case 'rep':
        return e.min === 0 || isProductive(e.item);
    }
  };
  leastFixpoint(rules, names, productive, (rule) => 'raw' in rule || isProductive(rule));
  if (!productive.get('root')) fail('the schema has a recursive part that no finite JSON value satisfies');
  const prune = (e: Expr): Expr | null => {
    switch (e.k) {
      case 'lit':
      case 'cls':
        return e;
      case 'ref':
        return productive.get(e.name) ? e : null;
      case 'seq': {
        const items = e.items.map(prune);
        return items.every((i): i is Expr => i !== null) ? { k: 'seq', items } : null;
      }
      case 'alt': {
        const items = e.items.map(prune).filter((i): i is Expr => i !== null);
        return items.length === 0 ? null : items.length === 1 ? items[0]! : { k: 'alt', items };
      }
      case 'rep': {
        const item = prune(e.item);
        if (item === null) return e.min === 0 ? EPSILON : null;
        return { ...e, item };
      }
    }
  };
  for (const name of names) {
    const rule = rules.get(name)!;
    if ('raw' in rule || !productive.get(name)) continue;
    rules.set(name, prune(rule)!);
  }
}

/**
 * The least fixpoint of a monotone property of rules (productive, nullable),
 * written into `known` (false for every rule on entry): `holds(rule)` reads
 * the property of the rules it refers to from `known`. A worklist, not rounds over every
 * rule until nothing changes: a chain of n rules (1,000 optional properties)
 * took n rounds, O(n^2). A rule is looked at again only when a rule it refers
 * to has just become true. Raw rules (ready-made text) do not depend on other
 * rules' property.
 */
function leastFixpoint(rules: RuleMap, names: readonly string[], known: Map<string, boolean>, holds: (rule: Expr | RawRule) => boolean): void {
  const dependents = new Map<string, string[]>();
  for (const name of names) {
    const rule = rules.get(name)!;
    if ('raw' in rule) continue;
    const refs: string[] = [];
    refsOf(rule, refs);
    for (const r of new Set(refs)) (dependents.get(r) ?? dependents.set(r, []).get(r)!).push(name);
  }
  // First every rule once, deepest first (`names` is in depth-first order
  // from root), so most rules hold on their first look; then again only the
  // rules already looked at whose reference has turned true since.
  const evaluated = new Set<string>();
  const queued = new Set<string>();
  const work: string[] = [];
  const visit = (name: string): void => {
    evaluated.add(name);
    if (!holds(rules.get(name)!)) return;
    known.set(name, true);
    for (const d of dependents.get(name) ?? []) {
      if (known.get(d) === true || !evaluated.has(d) || queued.has(d)) continue;
      queued.add(d);
      work.push(d);
    }
  };
  for (let i = names.length - 1; i >= 0; i--) if (known.get(names[i]!) !== true) visit(names[i]!);
  while (work.length > 0) {
    const name = work.pop()!;
    queued.delete(name);
    if (known.get(name) !== true) visit(name);
  }
}

/**
 * Rejects grammars llama.cpp cannot use: left recursion and unbounded
 * repetition of a nullable item.
 */
function check(rules: RuleMap, names: string[]): void {
  const exprOf = (name: string): Expr | RawRule => {
    const rule = rules.get(name);
    if (rule === undefined || rule === null) throw new Error(`undefined rule ${name}`);
    return rule;
  };
  // Nullable, as a fixpoint (recursive rules included).
  const nullable = new Map<string, boolean>(names.map((n) => [n, false]));
  const isNullable = (e: Expr): boolean => {
    switch (e.k) {
      case 'lit':
        return e.cps.length === 0;
      case 'cls':
        return false;
      case 'ref':
        return nullable.get(e.name)!;
      case 'seq':
        return e.items.every(isNullable);
      case 'alt':
        return e.items.some(isNullable);
      case 'rep':
        return e.min === 0 || isNullable(e.item);
    }
  };
  leastFixpoint(rules, names, nullable, (rule) => ('raw' in rule ? rule.nullable : isNullable(rule)));
  // Rules reachable at the left edge of each rule.
  const leftRefs = (e: Expr, out: Set<string>): void => {
    switch (e.k) {
      case 'ref':
        out.add(e.name);
        return;
      case 'seq':
        for (const item of e.items) {
          leftRefs(item, out);
          if (!isNullable(item)) return;
        }
        return;
      case 'alt':
        for (const item of e.items) leftRefs(item, out);
        return;
      case 'rep':
        if (e.max === null && isNullable(e.item)) fail('the schema leads to an unbounded repetition of an empty match, not supported');
        leftRefs(e.item, out);
        return;
      default:
        return;
    }
  };
  const edges = new Map<string, Set<string>>();
  for (const name of names) {
    const rule = exprOf(name);
    const out = new Set<string>();
    if (!('raw' in rule)) leftRefs(rule, out);
    edges.set(name, out);
  }
  const state = new Map<string, 'active' | 'done'>();
  const dfs = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'active') fail(`the schema is left-recursive (through ${name}): a $ref must not lead back to itself before any character; not supported`);
    state.set(name, 'active');
    for (const next of edges.get(name)!) dfs(next);
    state.set(name, 'done');
  };
  for (const name of names) dfs(name);
}
