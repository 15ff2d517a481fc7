/**
 * Pathological grammars and JSON schemas: deep nesting, long rule chains,
 * huge alternations and enums, huge literals and repetition counts, left
 * recursion, cyclic schema objects and `$ref` cycles. Each goes through
 * createSampler (GBNF parsed by llama.cpp; a schema converted by
 * jsonSchemaToGbnf first) and, when accepted, a short constrained generate().
 * Expected: ok or a typed error within a few seconds, and the JS thread never
 * blocked more than ~100 ms (the synchronous part of each call is timed, and
 * perf_hooks.monitorEventLoopDelay watches the asynchronous part).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { STORIES_MODEL } from '../support/models';
import { classify, runItems, within, Timeout } from './child';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

/** Longest the JS thread may be blocked by one call. */
export const BLOCK_BOUND_MS = 100;
/** Longest one case may take in all. */
export const CASE_BOUND_MS = 5000;

interface GrammarCase {
  name: string;
  kind: 'grammar' | 'json_schema';
  /** Builds the grammar text or the schema (in the child). */
  build: () => unknown;
  quick?: boolean;
}

const nestedParens = (d: number) => (): string => `root ::= ${'('.repeat(d)}"a"${')'.repeat(d)}`;
const chain = (n: number) => (): string => Array.from({ length: n }, (_, i) => (i + 1 < n ? `r${i} ::= r${i + 1}` : `r${i} ::= "a"`)).join('\n').replace(/^r0/, 'root');
const alternatives = (n: number) => (): string => `root ::= ${Array.from({ length: n }, (_, i) => `"a${i}"`).join(' | ')}`;
const nestedObject = (d: number) => (): object => {
  let s: object = { type: 'string' };
  for (let i = 0; i < d; i++) s = { type: 'object', properties: { a: s }, required: ['a'] };
  return s;
};
const nestedArray = (d: number) => (): object => {
  let s: object = { type: 'integer' };
  for (let i = 0; i < d; i++) s = { type: 'array', items: s };
  return s;
};
const longEnum = (n: number) => (): object => ({ enum: Array.from({ length: n }, (_, i) => `value-${i}`) });
const manyProperties = (n: number) => (): object => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'integer' }])) });
const anyOf = (n: number) => (): object => ({ anyOf: Array.from({ length: n }, (_, i) => ({ const: i })) });

export const CASES: GrammarCase[] = [
  ...[10, 255, 256, 257, 1000, 100_000].map((d): GrammarCase => ({ name: `${d} nested parentheses`, kind: 'grammar', build: nestedParens(d), quick: d !== 10 && d !== 255 })),
  ...[100, 8192, 8193, 100_000].map((n): GrammarCase => ({ name: `a chain of ${n} rules`, kind: 'grammar', build: chain(n), quick: n !== 100 })),
  ...[1000, 16_384, 16_385, 100_000].map((n): GrammarCase => ({ name: `${n} alternatives`, kind: 'grammar', build: alternatives(n), quick: n !== 1000 })),
  { name: 'a 200 KB literal', kind: 'grammar', build: () => `root ::= "${'x'.repeat(200_000)}"`, quick: true },
  { name: 'a 300 KB literal', kind: 'grammar', build: () => `root ::= "${'x'.repeat(300_000)}"` },
  { name: 'a character class of 20,000 ranges', kind: 'grammar', build: () => `root ::= [${Array.from({ length: 20_000 }, (_, i) => `\\u${(0x100 + i * 2).toString(16).padStart(4, '0')}`).join('')}]` },
  { name: 'left recursion', kind: 'grammar', build: () => 'root ::= root "a" | "b"', quick: true },
  { name: 'mutual left recursion', kind: 'grammar', build: () => 'root ::= a\na ::= b "x"\nb ::= a "y" | "z"', quick: true },
  // llama.cpp's own check misses it (s has no empty alternative); past the first token its stacks grow without end
  { name: 'left recursion past a rule made nullable by a repetition', kind: 'grammar', build: () => 'root ::= "a" r\nr ::= s r "x" | "y"\ns ::= " "{0,3}', quick: true },
  { name: 'a repetition of 1,000,000', kind: 'grammar', build: () => 'root ::= "a"{1000000}', quick: true },
  { name: 'nested repetitions 50^3', kind: 'grammar', build: () => 'root ::= (("a"{0,50}){0,50}){0,50}', quick: true },
  { name: 'an empty grammar', kind: 'grammar', build: () => '', quick: true },
  { name: 'no root rule', kind: 'grammar', build: () => 'a ::= "x"' },
  { name: 'an undefined rule', kind: 'grammar', build: () => 'root ::= missing', quick: true },
  { name: 'a bad escape', kind: 'grammar', build: () => 'root ::= "\\q" [\\x]' },
  { name: 'an unterminated string', kind: 'grammar', build: () => 'root ::= "abc' },
  { name: 'an empty repetition loop', kind: 'grammar', build: () => 'root ::= ("")*', quick: true },
  ...[100, 1000, 10_000].map((d): GrammarCase => ({ name: `objects nested ${d} deep`, kind: 'json_schema', build: nestedObject(d), quick: d !== 100 })),
  ...[1000, 10_000].map((d): GrammarCase => ({ name: `arrays nested ${d} deep`, kind: 'json_schema', build: nestedArray(d), quick: true })),
  ...[1000, 10_000, 100_000].map((n): GrammarCase => ({ name: `an enum of ${n} values`, kind: 'json_schema', build: longEnum(n), quick: n !== 1000 })),
  ...[1000, 10_000].map((n): GrammarCase => ({ name: `${n} properties`, kind: 'json_schema', build: manyProperties(n), quick: n === 10_000 })),
  ...[1000, 20_000].map((n): GrammarCase => ({ name: `anyOf of ${n}`, kind: 'json_schema', build: anyOf(n), quick: n === 20_000 })),
  { name: 'a cyclic schema object', kind: 'json_schema', build: () => { const s: Record<string, unknown> = { type: 'object', properties: {} }; (s.properties as Record<string, unknown>).self = s; return s; }, quick: true },
  { name: 'a cyclic items object', kind: 'json_schema', build: () => { const s: Record<string, unknown> = { type: 'array' }; s.items = s; return s; }, quick: true },
  { name: 'a $ref cycle', kind: 'json_schema', build: () => ({ $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }), quick: true },
  { name: 'a recursive $ref through an object', kind: 'json_schema', build: () => ({ $defs: { n: { type: 'object', properties: { next: { $ref: '#/$defs/n' } } } }, $ref: '#/$defs/n' }) },
  { name: 'a pattern (a+)+b', kind: 'json_schema', build: () => ({ type: 'string', pattern: '^(a+)+b$' }), quick: true },
  { name: 'a pattern a{1000}{1000}', kind: 'json_schema', build: () => ({ type: 'string', pattern: '^(a{1000}){1000}$' }), quick: true },
  { name: 'a 100 KB pattern', kind: 'json_schema', build: () => ({ type: 'string', pattern: `^${'ab|'.repeat(30_000)}c$` }) },
  { name: 'minItems 1e9', kind: 'json_schema', build: () => ({ type: 'array', items: { type: 'integer' }, minItems: 1e9 }), quick: true },
  { name: 'maxItems 1e9', kind: 'json_schema', build: () => ({ type: 'array', items: { type: 'integer' }, maxItems: 1e9 }), quick: true },
  { name: 'minLength 1e6', kind: 'json_schema', build: () => ({ type: 'string', minLength: 1e6 }), quick: true },
  { name: 'maxLength 1e9', kind: 'json_schema', build: () => ({ type: 'string', maxLength: 1e9 }) },
  { name: 'integer bounds ±1e300', kind: 'json_schema', build: () => ({ type: 'integer', minimum: -1e300, maximum: 1e300 }) },
  { name: 'a 1 MB const', kind: 'json_schema', build: () => ({ const: 'x'.repeat(1_000_000) }), quick: true },
  { name: '10,000 prefixItems', kind: 'json_schema', build: () => ({ type: 'array', prefixItems: Array.from({ length: 10_000 }, () => ({ type: 'boolean' })) }) },
  { name: 'a schema with a getter that throws', kind: 'json_schema', build: () => Object.defineProperty({ type: 'object' }, 'properties', { enumerable: true, get() { throw new Error('user getter'); } }) },
];

interface CaseData {
  /** What the call ended with. */
  outcome: Outcome;
  /** Wall time of the whole case. */
  ms: number;
  /** Longest the JS thread was blocked (synchronous calls and event-loop delay). */
  blockedMs: number;
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const list = CASES.map((c, i) => ({ c, i })).filter(({ c }) => options.mode === 'full' || c.quick);
  options.log(`grammar: ${list.length} grammars and schemas`);
  const outcomes = await runItems(__filename, {}, list.map(({ i }) => ({ id: String(i), payload: i })), { itemTimeoutMs: 60_000, batchSize: 50 });
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  let worstBlock = 0;
  let worstTime = 0;
  for (const { c, i } of list) {
    const raw = outcomes.get(String(i))!;
    const name = `${c.kind}: ${c.name}`;
    if (raw.kind !== 'ok' || raw.data === undefined) {
      tally.add(outcomeLabel(raw));
      anomalies.push({ kind: raw.kind === 'crash' ? 'crash' : raw.kind === 'hang' ? 'hang' : 'untyped', case: name, detail: describeOutcome(raw) });
      continue;
    }
    const data = raw.data as CaseData;
    tally.add(outcomeLabel(data.outcome));
    worstBlock = Math.max(worstBlock, data.blockedMs);
    worstTime = Math.max(worstTime, data.ms);
    const timing = `${data.ms.toFixed(0)} ms, JS thread blocked ${data.blockedMs.toFixed(0)} ms`;
    if (data.outcome.kind === 'untyped' || data.outcome.kind === 'hang') anomalies.push({ kind: data.outcome.kind, case: name, detail: `${describeOutcome(data.outcome)} (${timing})` });
    else if (data.ms > CASE_BOUND_MS) anomalies.push({ kind: 'slow', case: name, detail: `${timing}; bound ${CASE_BOUND_MS} ms: ${describeOutcome(data.outcome)}` });
    if (data.blockedMs > BLOCK_BOUND_MS) anomalies.push({ kind: 'blocked', case: name, detail: `${timing}; bound ${BLOCK_BOUND_MS} ms: ${describeOutcome(data.outcome)}` });
  }
  return {
    component: 'grammars and schemas',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [['slowest case / longest JS block', `${worstTime.toFixed(0)} ms / ${worstBlock.toFixed(0)} ms (bounds ${CASE_BOUND_MS} / ${BLOCK_BOUND_MS} ms)`]],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child ----

export async function childSetup(): Promise<(payload: unknown) => Promise<Outcome>> {
  const { loadModel, createSampler } = require('../../lib/index') as typeof import('../../lib/index');
  const model = await loadModel(STORIES_MODEL);
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  return async (payload) => {
    const c = CASES[payload as number];
    const value = c.build();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let blocked = 0;
    const sync = <T>(fn: () => T): T => {
      const t = performance.now();
      try {
        return fn();
      } finally {
        blocked = Math.max(blocked, performance.now() - t);
      }
    };
    const t0 = performance.now();
    delay.enable();
    let outcome: Outcome;
    try {
      const config = { [c.kind]: value, max_new_tokens: 8 };
      sync(() => createSampler(config, { model })).dispose();
      const generation = sync(() => context.generate('Once', config));
      await within(CASE_BOUND_MS * 4, () => generation.result);
      outcome = { kind: 'ok' };
    } catch (err) {
      outcome = err instanceof Timeout ? { kind: 'hang', ms: err.ms } : classify(err);
      if (outcome.kind === 'untyped' && outcome.message === 'user getter') outcome = { kind: 'ok', note: "the user's getter threw" };
    }
    delay.disable();
    const ms = performance.now() - t0;
    blocked = Math.max(blocked, delay.max / 1e6 - 10);
    return { kind: 'ok', data: { outcome, ms, blockedMs: blocked } satisfies CaseData };
  };
}
