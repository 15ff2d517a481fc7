/**
 * The rule set of a grammar under construction: named rules, shared bodies,
 * the primitive rules, and repetition within llama.cpp's limits.
 */
import { alt, EPSILON, printExpr, ref, seq, type Expr } from './expr';
import { Unsatisfiable } from './fail';
import { PRIMITIVES, type RawRule } from './primitives';

/** llama.cpp rejects `{m,}` with m > 2000 and turns `{m,n}` with n > 2000 into `{m,}`. */
const MAX_REPETITION = 2000;
/** Chunk size used to express repetition counts above {@link MAX_REPETITION}. */
const REPETITION_CHUNK = 1000;

/**
 * The number of symbols llama.cpp's parser creates while parsing `e` inside a
 * group (counting every rule reference as possibly new), used to stay under
 * its "rules × repetitions ≤ 2000" limit.
 */
function groupCost(e: Expr): number {
  switch (e.k) {
    case 'lit':
    case 'cls':
      return 0;
    case 'ref':
      return 1;
    case 'seq':
    case 'alt': {
      const optional = optionalInner(e);
      if (optional) return groupCost({ k: 'rep', item: optional, min: 0, max: 1 });
      return e.items.reduce((sum, item) => sum + (item.k === 'seq' || item.k === 'alt' ? 1 : 0) + groupCost(item), 0);
    }
    case 'rep': {
      const inner = e.item.k === 'cls' || e.item.k === 'ref' ? groupCost(e.item) : 1 + groupCost(e.item);
      return inner + (e.max === null ? 1 : e.max - e.min);
    }
  }
}

/** For alternatives that include the empty sequence (printed as `(…)?`), the other alternatives. */
function optionalInner(e: Expr): Expr | undefined {
  if (e.k !== 'alt' || !e.items.some((item) => item.k === 'seq' && item.items.length === 0)) return undefined;
  const rest = e.items.filter((item) => !(item.k === 'seq' && item.items.length === 0));
  return rest.length === 1 ? rest[0]! : { k: 'alt', items: rest };
}

/** Whether printing `e` involves a repetition operator (llama.cpp then creates rules inside the group). */
function containsRep(e: Expr): boolean {
  switch (e.k) {
    case 'rep':
      return true;
    case 'seq':
    case 'alt':
      return optionalInner(e) !== undefined || e.items.some(containsRep);
    default:
      return false;
  }
}

/** Rule bodies by name: an expression, a primitive's raw text, or `null` while a `$ref` target is being built. */
export type RuleMap = Map<string, Expr | RawRule | null>;

/** The rules of one grammar under construction, with the operations that add to them. */
export class RuleSet {
  /** Rule name → body, in creation order; `null` while a `$ref` target is being built. */
  readonly rules: RuleMap = new Map();
  /** Printed body → the rule that has it, so equal bodies share one rule. */
  private readonly bodyNames = new Map<string, string>();
  /** Names that new rules must not take. */
  readonly reserved = new Set(['root', ...Object.keys(PRIMITIVES)]);
  private readonly nullableCache = new Map<string, boolean>();

  /** A name derived from `hint` that no rule has (nor is reserved). */
  freshName(hint: string): string {
    let base = hint.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'rule';
    if (/^[0-9]/.test(base)) base = `r${base}`;
    let name = base;
    for (let i = 1; this.rules.has(name) || this.reserved.has(name); i++) name = `${base}-${i}`;
    return name;
  }

  /** A rule named after `hint` with body `body` (an existing rule if one has that body). */
  addRule(hint: string, body: Expr): string {
    const key = printExpr(body, 0);
    const existing = this.bodyNames.get(key);
    if (existing !== undefined) return existing;
    const name = this.freshName(hint);
    this.rules.set(name, body);
    this.bodyNames.set(key, name);
    return name;
  }

  /** `body` itself if it is a reference or literal, otherwise a reference to a new rule. */
  named(hint: string, body: Expr): Expr {
    if (body.k === 'ref' || body.k === 'lit' || hint === 'root') return body;
    return ref(this.addRule(hint, body));
  }

  /** A reference to the primitive rule `name`, added (with its dependencies) on first use. */
  primitive(name: keyof typeof PRIMITIVES & string): Expr {
    if (!this.rules.has(name)) {
      const rule = PRIMITIVES[name]!;
      this.rules.set(name, rule);
      for (const dep of rule.deps) this.primitive(dep);
    }
    return ref(name);
  }

  /** The optional whitespace between tokens. */
  get space(): Expr {
    return this.primitive('space');
  }

  /** `item` repeated min..max times (max null = unbounded), within llama.cpp's limits. */
  rep(item: Expr, min: number, max: number | null, hint: string): Expr {
    if (max !== null && max < min) throw new Unsatisfiable();
    if (max === 0) return EPSILON;
    if (min === 1 && max === 1) return item;
    const atomic = item.k === 'lit' || item.k === 'cls' || item.k === 'ref';
    if (min <= MAX_REPETITION && (max === null || max <= MAX_REPETITION)) {
      const total = max !== null ? max : Math.max(min, 1);
      if (!atomic && (containsRep(item) || (1 + groupCost(item)) * total > MAX_REPETITION)) {
        item = ref(this.addRule(hint, item));
      }
      return { k: 'rep', item, min, max };
    }
    if (!atomic) item = ref(this.addRule(hint, item));
    const chunk = ref(this.addRule(`${hint}-chunk`, { k: 'rep', item, min: REPETITION_CHUNK, max: REPETITION_CHUNK }));
    const parts: Expr[] = [];
    // min copies: whole chunks, then the remainder.
    const minChunks = Math.floor(min / REPETITION_CHUNK);
    parts.push(this.rep(chunk, minChunks, minChunks, `${hint}-chunks`), this.rep(item, min % REPETITION_CHUNK, min % REPETITION_CHUNK, hint));
    if (max === null) parts.push(this.rep(item, 0, null, hint));
    else {
      const extra = max - min;
      if (extra <= MAX_REPETITION) parts.push(this.rep(item, 0, extra, hint));
      else {
        // 0..extra copies, unambiguously: fewer than K whole chunks plus up to a
        // chunk less one, or exactly K chunks plus up to R.
        const k = Math.floor(extra / REPETITION_CHUNK);
        const r = extra % REPETITION_CHUNK;
        parts.push(
          alt(
            seq(this.rep(chunk, 0, k - 1, `${hint}-chunks`), this.rep(item, 0, REPETITION_CHUNK - 1, hint)),
            seq(this.rep(chunk, k, k, `${hint}-chunks`), this.rep(item, 0, r, hint)),
          ),
        );
      }
    }
    return seq(...parts);
  }

  /** `item` or nothing. */
  opt(item: Expr, hint: string): Expr {
    return this.rep(item, 0, 1, hint);
  }

  /** Whether `e` matches the empty string (rules under construction count as not nullable). */
  nullable(e: Expr): boolean {
    switch (e.k) {
      case 'lit':
        return e.cps.length === 0;
      case 'cls':
        return false;
      case 'ref': {
        const cached = this.nullableCache.get(e.name);
        if (cached !== undefined) return cached;
        const rule = this.rules.get(e.name);
        if (rule === undefined || rule === null) return false;
        this.nullableCache.set(e.name, false);
        const result = 'raw' in rule ? rule.nullable : this.nullable(rule);
        this.nullableCache.set(e.name, result);
        return result;
      }
      case 'seq':
        return e.items.every((item) => this.nullable(item));
      case 'alt':
        return e.items.some((item) => this.nullable(item));
      case 'rep':
        return e.min === 0 || this.nullable(e.item);
    }
  }
}
