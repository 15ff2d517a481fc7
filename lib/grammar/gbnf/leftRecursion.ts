/**
 * Left recursion, in the two forms that break llama.cpp:
 *
 * 1. What llama.cpp refuses (`llama_grammar_detect_left_recursion`): a rule
 *    reaches itself through the first element of an alternative, or past
 *    leading references to rules that have an empty alternative. Its "may be
 *    empty" is only that: a rule with an empty alternative, not a rule that
 *    can match nothing in general.
 * 2. What that check misses and llama.cpp then cannot run: a rule reaches
 *    itself past rules that can match nothing only through their own rules
 *    (`s ::= " "{0,3}` is `s ::= s'`, `s' ::= " " s'' |`, …: s has no empty
 *    alternative but matches nothing), and on the way something is left to
 *    match after a reference (`r ::= s r "x"`). Each round of the cycle pushes
 *    that remainder on llama.cpp's grammar stack, so its stacks grow until
 *    memory runs out (and the native engine stops at its limits with an error
 *    at the first use). A cycle where every reference is the last element of
 *    its alternative (`root ::= ("a"?)* "b"`: `S' ::= S S' |`) leaves nothing
 *    on the stack, comes back to a stack llama.cpp has seen, and works: it is
 *    not refused.
 *
 * Nullability is computed over the rules as llama.cpp's parser builds them
 * (repetitions rewritten, see parse.ts), with a worklist; the cycles of form 2
 * are found with one pass of strongly connected components. Everything is
 * linear in the grammar's size and uses no recursion.
 * @internal
 */
import { TERMINAL, type ParsedGrammar } from './parse';

/** A left-recursive cycle: the written rules on it, in order, and the reference that closes it. */
export interface LeftRecursion {
  readonly path: readonly string[];
  readonly at: number;
  /**
   * Set when llama.cpp's own check misses it (form 2): the written rule (or
   * the rule a group or repetition belongs to) of a reference on the cycle that
   * can match nothing, and whether that reference is a group or repetition.
   */
  readonly pastEmpty?: { readonly rule: string; readonly generated: boolean };
}

/** Leftmost references, per rule: `to`, at `at`; `last`: nothing follows it in its alternative; `skipped`: the element of a reference passed on the way that llama.cpp does not pass (-1: none). */
interface Edges {
  readonly start: Int32Array; // per rule, into the edge arrays (start[r] … start[r + 1] - 1)
  readonly to: readonly number[];
  readonly at: readonly number[];
  readonly last: readonly number[];
  readonly skipped: readonly number[];
}

/** The first left-recursive cycle of `grammar`, or undefined. */
export function findLeftRecursion(grammar: ParsedGrammar): LeftRecursion | undefined {
  // The usual grammar has no cycle even through every reference before an alternative's first
  // terminal (nullable or not): one lean depth-first pass says so, and nothing else is computed.
  if (!referencesBeforeTerminalsCycle(grammar)) return undefined;
  const { hasEmptyAlt, nullable } = nullableRules(grammar);
  // The leftmost references past nullable rules; those with nothing skipped but rules with an empty
  // alternative (skipped < 0) are llama.cpp's.
  const edges = leftEdges(grammar, nullable, hasEmptyAlt);
  return firstCycle(grammar, edges, true) ?? wantedCycle(grammar, edges, (e) => edges.last[e] === 0);
}

/**
 * Whether the graph of the references that come before the first terminal of
 * their alternative (a superset of both kinds of left references) has a
 * cycle: an iterative depth-first search over the grammar's own arrays.
 */
function referencesBeforeTerminalsCycle(grammar: ParsedGrammar): boolean {
  const { ruleCount, altStart, altEnd, itemStart, itemEnd, itemRule } = grammar;
  const state = new Uint8Array(ruleCount); // 1: on the path, 2: done
  const frameRule = new Int32Array(ruleCount);
  const frameAlt = new Int32Array(ruleCount);
  const frameItem = new Int32Array(ruleCount);
  for (let root = 0; root < ruleCount; root++) {
    if (state[root] !== 0) continue;
    let depth = 0;
    frameRule[0] = root;
    frameAlt[0] = altStart[root]!;
    frameItem[0] = itemStart[altStart[root]!] ?? 0;
    state[root] = 1;
    while (depth >= 0) {
      const r = frameRule[depth]!;
      let a = frameAlt[depth]!;
      let i = frameItem[depth]!;
      let next = -1;
      const end = altEnd[r]!;
      while (a < end) {
        if (i < itemEnd[a]! && itemRule[i]! !== TERMINAL) {
          next = itemRule[i++]!;
          break;
        }
        a++;
        i = itemStart[a] ?? 0;
      }
      if (next < 0) {
        state[r] = 2;
        depth--;
        continue;
      }
      frameAlt[depth] = a;
      frameItem[depth] = i;
      if (state[next] === 1) return true;
      if (state[next] === 0) {
        state[next] = 1;
        depth++;
        frameRule[depth] = next;
        frameAlt[depth] = altStart[next]!;
        frameItem[depth] = itemStart[altStart[next]!] ?? 0;
      }
    }
  }
  return false;
}

/**
 * The leftmost references of every rule: walk each alternative while the
 * references passed are `passable`. `skipped` records the first reference
 * passed that llama.cpp would not pass (not in `llamaPasses`).
 */
function leftEdges(grammar: ParsedGrammar, passable: Uint8Array, llamaPasses: Uint8Array): Edges {
  const { ruleCount, altStart, altEnd, itemStart, itemEnd, itemRule, itemAt } = grammar;
  const start = new Int32Array(ruleCount + 1);
  const to: number[] = [];
  const at: number[] = [];
  const last: number[] = [];
  const skipped: number[] = [];
  for (let r = 0; r < ruleCount; r++) {
    start[r] = to.length;
    for (let a = altStart[r]!; a < altEnd[r]!; a++) {
      const end = itemEnd[a]!;
      let first = -1;
      for (let i = itemStart[a]!; i < end; i++) {
        const ref = itemRule[i]!;
        if (ref === TERMINAL) break;
        to.push(ref);
        at.push(itemAt[i]!);
        last.push(i === end - 1 ? 1 : 0);
        skipped.push(first);
        if (!passable[ref]) break;
        if (first < 0 && !llamaPasses[ref]) first = i;
      }
    }
  }
  start[ruleCount] = to.length;
  return { start, to, at, last, skipped };
}

/**
 * Rules that can match the empty string (a worklist over the alternatives:
 * each is nullable once all its references are), and llama.cpp's "may be
 * empty": the rules with an empty alternative.
 */
function nullableRules(grammar: ParsedGrammar): { nullable: Uint8Array; hasEmptyAlt: Uint8Array } {
  const { ruleCount, altStart, altEnd, itemStart, itemEnd, itemRule } = grammar;
  const nullable = new Uint8Array(ruleCount);
  const hasEmptyAlt = new Uint8Array(ruleCount);
  const altCount = itemStart.length;
  const pending = new Int32Array(altCount); // references not yet known nullable; -1: has a terminal, never nullable
  const altRule = new Int32Array(altCount).fill(-1);
  // Occurrences of each rule in the alternatives that are in use (counting sort into `uses`).
  const useStart = new Int32Array(ruleCount + 1);
  for (let r = 0; r < ruleCount; r++) {
    for (let a = altStart[r]!; a < altEnd[r]!; a++) {
      altRule[a] = r;
      for (let i = itemStart[a]!; i < itemEnd[a]!; i++) {
        const ref = itemRule[i]!;
        if (ref === TERMINAL) {
          pending[a] = -1;
          break;
        }
        pending[a]++;
        useStart[ref + 1]++;
      }
    }
  }
  for (let r = 0; r < ruleCount; r++) useStart[r + 1] += useStart[r]!;
  const uses = new Int32Array(useStart[ruleCount]!);
  const fill = useStart.slice(0, ruleCount);
  const queue = new Int32Array(ruleCount);
  let tail = 0;
  for (let a = 0; a < altCount; a++) {
    const r = altRule[a]!;
    if (r < 0 || pending[a]! < 0) continue;
    for (let i = itemStart[a]!; i < itemEnd[a]!; i++) uses[fill[itemRule[i]!]!++] = a;
    if (itemStart[a] === itemEnd[a]) hasEmptyAlt[r] = 1;
    if (pending[a] === 0 && !nullable[r]) {
      nullable[r] = 1;
      queue[tail++] = r;
    }
  }
  for (let head = 0; head < tail; head++) {
    const x = queue[head]!;
    for (let u = useStart[x]!; u < useStart[x + 1]!; u++) {
      const a = uses[u]!;
      if (--pending[a]! === 0) {
        const r = altRule[a]!;
        if (!nullable[r]) {
          nullable[r] = 1;
          queue[tail++] = r;
        }
      }
    }
  }
  return { nullable, hasEmptyAlt };
}

/**
 * The first cycle of `edges` (`llamaOnly`: of llama.cpp's, those with nothing
 * skipped), as llama.cpp's depth-first search meets it (rules in order, each
 * one's references in order), iterative.
 */
function firstCycle(grammar: ParsedGrammar, edges: Edges, llamaOnly: boolean): LeftRecursion | undefined {
  const n = grammar.ruleCount;
  const { start, to, skipped } = edges;
  const state = new Uint8Array(n); // 1: on the current path, 2: done
  const pathRule = new Int32Array(n);
  const pathEdge = new Int32Array(n); // the next edge to follow from pathRule[d]
  const depthOf = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    let depth = 0;
    pathRule[0] = root;
    pathEdge[0] = start[root]!;
    depthOf[root] = 0;
    state[root] = 1;
    while (depth >= 0) {
      const u = pathRule[depth]!;
      const e = pathEdge[depth]!;
      if (e >= start[u + 1]!) {
        state[u] = 2;
        depth--;
        continue;
      }
      pathEdge[depth] = e + 1;
      if (llamaOnly && skipped[e]! >= 0) continue;
      const v = to[e]!;
      if (state[v] === 1) {
        const rules = Array.from(pathRule.subarray(depthOf[v]!, depth + 1));
        const cycleEdges = rules.map((_, k) => (k < rules.length - 1 ? pathEdge[depthOf[v]! + k]! - 1 : e));
        return describe(grammar, edges, [...rules, v], cycleEdges, e);
      }
      if (state[v] === 0) {
        state[v] = 1;
        depth++;
        pathRule[depth] = v;
        pathEdge[depth] = start[v]!;
        depthOf[v] = depth;
      }
    }
  }
  return undefined;
}

/**
 * A cycle of `edges` through an edge for which `wanted(e)` holds: the
 * strongly connected components (Tarjan's algorithm, iterative), then the
 * first wanted edge inside a component (u → v), closed by a breadth-first
 * path back from v to u; the cycle is reported from v.
 */
function wantedCycle(grammar: ParsedGrammar, edges: Edges, wanted: (e: number) => boolean): LeftRecursion | undefined {
  const n = grammar.ruleCount;
  const { start, to } = edges;
  const component = strongComponents(n, start, to);
  for (let u = 0; u < n; u++) {
    for (let e = start[u]!; e < start[u + 1]!; e++) {
      const v = to[e]!;
      if (component[v] !== component[u] || !wanted(e)) continue;
      const previous = new Int32Array(n).fill(-2);
      const previousEdge = new Int32Array(n).fill(-1);
      previous[v] = -1;
      const queue = [v];
      for (let head = 0; head < queue.length && previous[u] === -2; head++) {
        const x = queue[head]!;
        for (let f = start[x]!; f < start[x + 1]!; f++) {
          const y = to[f]!;
          if (previous[y] !== -2 || component[y] !== component[u]) continue;
          previous[y] = x;
          previousEdge[y] = f;
          queue.push(y);
        }
      }
      const rules: number[] = [];
      const cycleEdges: number[] = [e];
      for (let x = u; x !== -1; x = previous[x]!) {
        rules.push(x);
        if (previousEdge[x]! >= 0) cycleEdges.push(previousEdge[x]!);
      }
      rules.reverse();
      return describe(grammar, edges, [...rules, v], cycleEdges, e);
    }
  }
  return undefined;
}

function describe(grammar: ParsedGrammar, edges: Edges, rules: number[], cycleEdges: number[], closing: number): LeftRecursion {
  const { owner, names, itemRule } = grammar;
  const written = rules.map((r) => names[owner[r]!]!);
  const path = written.filter((name, i) => i === 0 || name !== written[i - 1]);
  let pastEmpty: LeftRecursion['pastEmpty'];
  for (const e of cycleEdges) {
    const i = edges.skipped[e]!;
    if (i < 0) continue;
    const r = itemRule[i]!;
    pastEmpty = { rule: names[owner[r]!]!, generated: owner[r] !== r };
    break;
  }
  return { path, at: edges.at[closing]!, ...(pastEmpty && { pastEmpty }) };
}

/** The strongly connected component of every node (iterative Tarjan). */
function strongComponents(n: number, start: Int32Array, to: readonly number[]): Int32Array {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const component = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  let stackTop = 0;
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  let next = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = start[root]!;
    index[root] = low[root] = next++;
    stack[stackTop++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const u = callNode[depth]!;
      const e = callEdge[depth]!;
      if (e < start[u + 1]!) {
        callEdge[depth] = e + 1;
        const v = to[e]!;
        if (index[v] === -1) {
          index[v] = low[v] = next++;
          stack[stackTop++] = v;
          onStack[v] = 1;
          depth++;
          callNode[depth] = v;
          callEdge[depth] = start[v]!;
        } else if (onStack[v]) low[u] = Math.min(low[u]!, index[v]!);
        continue;
      }
      if (low[u] === index[u]) {
        let w: number;
        do {
          w = stack[--stackTop]!;
          onStack[w] = 0;
          component[w] = components;
        } while (w !== u);
        components++;
      }
      depth--;
      if (depth >= 0) {
        const parent = callNode[depth]!;
        low[parent] = Math.min(low[parent]!, low[u]!);
      }
    }
  }
  return component;
}
