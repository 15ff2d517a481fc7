/**
 * Bad-input matrix: every public function and method (found at run time by
 * reflection over lib/index's exports and their prototypes; a member the
 * table below does not cover is a `coverage` anomaly) × wrong values in
 * every argument position and every option key: wrong types, NaN, ±Infinity,
 * negatives, huge numbers, -0, null-prototype objects, null/undefined,
 * arrays for objects, cyclic objects, symbols, bigints; then every method on
 * disposed objects, and calls during a running generation.
 *
 * A case is JavaScript source (`context.evaluate(null)`), evaluated in a
 * child process with the fixtures in scope, so its reproducer is that line.
 * Expected: a value the argument's kind allows may do anything typed; a value
 * it does not allow must be a LlamaError INVALID_ARGUMENT (or the code the
 * entry names); a disposed receiver must give DISPOSED. Never an untyped
 * error, a hang or a crash. The table is in bad-input-table.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { STORIES_MODEL } from '../support/models';
import { runItems, within, Timeout, classify } from './child';
import { PROBES, SCENARIOS, TABLE, verdict, type Entry, type Probe, type Verdict } from './bad-input-table';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

// ---- cases ----

export interface Case {
  id: string;
  /** JavaScript: an expression (`call`) or statements (`scenario`). */
  src: string;
  scenario?: boolean;
  verdict: Verdict | 'disposed';
  codes: string[];
  disposedExpect?: 'DISPOSED' | 'either';
}

function callSource(entry: Entry, receiverOverride: string | undefined, args: string[]): string {
  const c = entry.call;
  if ('fn' in c) return `${c.fn}(${args.join(', ')})`;
  if ('ctor' in c) return `new ${c.ctor}(${args.join(', ')})`;
  const receiver = receiverOverride ?? c.receiver;
  const recv = receiver.startsWith('await ') ? `(${receiver})` : receiver;
  if ('getter' in c) return `${recv}.${c.getter}`;
  return c.method.startsWith('[') ? `${recv}${c.method}(${args.join(', ')})` : `${recv}.${c.method}(${args.join(', ')})`;
}

/** Drops trailing `undefined`s left by optional arguments. */
function trimArgs(args: string[]): string[] {
  const out = [...args];
  while (out.length > 0 && out[out.length - 1] === 'undefined') out.pop();
  return out;
}

function validArgs(entry: Entry): string[] {
  return entry.args.map((a) => a.valid);
}

/** Every case of the matrix, in a stable order (parent and child build the same list). */
export function buildCases(mode: 'quick' | 'full'): Case[] {
  const probes = mode === 'quick' ? PROBES.filter((p) => p.quick) : PROBES;
  const cases: Case[] = [];
  const evaluateProbe = (p: Probe): unknown => new Function(`return (${p.src});`)() as unknown;
  for (const [name, entry] of Object.entries(TABLE)) {
    if (entry.skip) continue;
    const codes = ['INVALID_ARGUMENT', ...(entry.codes ?? [])];
    const base = validArgs(entry);
    // a constructor not for direct use: nothing a user can pass makes a working object
    const ctor = 'ctor' in entry.call;
    cases.push({ id: `${name}(valid)`, src: callSource(entry, undefined, trimArgs(base)), verdict: ctor ? 'invalid' : 'either', codes });
    entry.args.forEach((arg, position) => {
      for (const probe of probes) {
        const args = [...base];
        args[position] = probe.src;
        const value = evaluateProbe(probe);
        const v: Verdict = arg.kind.k === 'any' ? 'either' : value === undefined ? (arg.optional ? 'valid' : 'invalid') : verdict(arg.kind, value);
        cases.push({ id: `${name}(${arg.name} = ${probe.name})`, src: callSource(entry, undefined, trimArgs(args)), verdict: ctor ? 'invalid' : v, codes });
      }
      if (arg.kind.k !== 'options') return;
      for (const [key, kind] of Object.entries(arg.kind.keys)) {
        for (const probe of probes) {
          if (probe.name === 'undefined') continue;
          const args = [...base];
          const inner = arg.valid.trim() === '{}' ? `{ ${key}: ${probe.src} }` : `{ ...${arg.valid}, ${key}: ${probe.src} }`;
          args[position] = inner;
          const value = evaluateProbe(probe);
          cases.push({ id: `${name}(${arg.name}.${key} = ${probe.name})`, src: callSource(entry, undefined, trimArgs(args)), verdict: verdict(kind, value), codes });
        }
      }
    });
    if (entry.disposed) {
      cases.push({ id: `${name} on a disposed receiver`, src: callSource(entry, entry.disposed.receiver, trimArgs(base)), verdict: 'disposed', codes, disposedExpect: entry.disposed.expect });
    }
  }
  for (const [name, body] of Object.entries(SCENARIOS)) cases.push({ id: `in flight: ${name}`, src: body, scenario: true, verdict: 'either', codes: [] });
  if (mode === 'full') {
    // every generation config field × every probe, through resolveConfig and generate()
    // (generate() also builds the sampler plan and the native chain)
    const { FIELD_NAMES } = require('../../lib/config') as { FIELD_NAMES: readonly string[] };
    for (const field of FIELD_NAMES) {
      for (const probe of probes) {
        if (probe.name === 'undefined') continue;
        cases.push({ id: `resolveConfig({ ${field}: ${probe.name} })`, src: `resolveConfig({ ${field}: ${probe.src} })`, verdict: 'either', codes: [] });
        cases.push({ id: `generate(config.${field} = ${probe.name})`, src: `context.generate('Once', { max_new_tokens: 2, ${field}: ${probe.src} })`, verdict: 'either', codes: [] });
      }
    }
  }
  return cases;
}

/** `Symbol.dispose` for a well-known symbol (Node 20's polyfilled ones describe themselves as `nodejs.dispose`). */
function symbolName(key: symbol): string {
  const known = Object.getOwnPropertyNames(Symbol).find((n) => (Symbol as unknown as Record<string, unknown>)[n] === key);
  return known ? `Symbol.${known}` : String(key.description);
}

/** Exports of lib/index that are functions or classes, as `name`, `new Name`, `Name.member`. */
export function publicMembers(api: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(api)) {
    if (typeof value !== 'function') continue;
    const proto = (value as { prototype?: object }).prototype;
    const own = proto ? [...Object.getOwnPropertyNames(proto), ...Object.getOwnPropertySymbols(proto)].filter((k) => k !== 'constructor') : [];
    const isClass = /^class\b/.test(Function.prototype.toString.call(value));
    if (!isClass) {
      names.push(name);
      continue;
    }
    names.push(`new ${name}`);
    for (const key of own) names.push(`${name}.${typeof key === 'symbol' ? `[${symbolName(key)}]` : key}`);
    for (const key of Object.getOwnPropertyNames(value)) {
      if (!['length', 'name', 'prototype'].includes(key)) names.push(`${name}.${key} (static)`);
    }
  }
  return names;
}

/** Public members missing from the table, and table entries no longer public. */
export function coverageGaps(api: Record<string, unknown>): { missing: string[]; stale: string[] } {
  const members = publicMembers(api);
  const table = new Set(Object.keys(TABLE));
  return { missing: members.filter((m) => !table.has(m)), stale: [...table].filter((t) => !members.includes(t)) };
}

// ---- parent ----

const PRELUDE = `const api = require('./dist'); const { loadModel, createSampler, processLogits, sample, readGgufHeader, resolveConfig, setLogger, setLogLevel } = api;
(async () => {
  const STORIES = 'models/stories260K.gguf';
  const model = await loadModel(STORIES);
  const context = await model.createContext({ sequences: 4, contextSize: 512, threads: 1 });
  const sampler = createSampler({}, { model });`;

function reproducer(c: Case): string {
  const body = c.scenario ? c.src : `console.log(await ${c.src});`;
  return `${PRELUDE}\n  ${body}\n})().catch((e) => console.log(e));`;
}

function judge(c: Case, outcome: Outcome): Anomaly | null {
  const base = { case: c.id, detail: describeOutcome(outcome), reproducer: reproducer(c) };
  if (outcome.kind === 'crash') return { kind: 'crash', ...base };
  if (outcome.kind === 'hang') return { kind: 'hang', ...base };
  if (outcome.kind === 'untyped') return { kind: 'untyped', ...base };
  if (c.verdict === 'disposed') {
    if (c.disposedExpect === 'DISPOSED' && !(outcome.kind === 'error' && outcome.code === 'DISPOSED')) {
      return { kind: outcome.kind === 'ok' ? 'accepted' : 'wrong-code', ...base, detail: `expected DISPOSED, got ${describeOutcome(outcome)}` };
    }
    return null;
  }
  if (c.verdict === 'invalid') {
    if (outcome.kind === 'ok') return { kind: 'accepted', ...base, detail: `a wrong value was accepted: ${describeOutcome(outcome)}` };
    if (outcome.kind === 'error' && !c.codes.includes(outcome.code)) return { kind: 'wrong-code', ...base, detail: `expected ${c.codes.join(' or ')}, got ${describeOutcome(outcome)}` };
  }
  return null;
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const cases = buildCases(options.mode);
  const api = require('../../lib/index') as Record<string, unknown>;
  const gaps = coverageGaps(api);
  mkdirSync(options.tmp, { recursive: true });
  options.log(`bad-input: ${cases.length} calls`);
  const outcomes = await runItems(__filename, { tmp: options.tmp, mode: options.mode }, cases.map((c, i) => ({ id: String(i), payload: i })), {
    itemTimeoutMs: 8000,
    batchSize: options.mode === 'full' ? 1500 : 800,
    setupTimeoutMs: 60_000,
    jobs: options.jobs,
  });
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  for (const m of gaps.missing) anomalies.push({ kind: 'coverage', case: m, detail: 'a public member the bad-input table (test/reliability/bad-input.ts) does not cover: add a row' });
  for (const m of gaps.stale) anomalies.push({ kind: 'coverage', case: m, detail: 'a row of the bad-input table for a member that is no longer public: remove it' });
  const byVerdict = { valid: new Tally(), invalid: new Tally(), either: new Tally(), disposed: new Tally() };
  cases.forEach((c, i) => {
    const outcome = outcomes.get(String(i)) ?? { kind: 'hang', ms: 0, note: 'never ran' };
    tally.add(outcomeLabel(outcome));
    byVerdict[c.verdict].add(outcomeLabel(outcome));
    const anomaly = judge(c, outcome);
    if (anomaly) anomalies.push(anomaly);
  });
  const entries = Object.values(TABLE).filter((e) => !e.skip).length;
  return {
    component: 'bad-input matrix',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [
      ['public members covered', `${publicMembers(api).length} (${entries} called, ${Object.keys(TABLE).length - entries} internal or exempt)`],
      ['calls with a wrong value', Tally.format(byVerdict.invalid.counts)],
      ['calls with an allowed value', Tally.format({ ...byVerdict.valid.counts, ...{} }) + (byVerdict.either.cases ? ` (+ ${Tally.format(byVerdict.either.counts)} either way)` : '')],
      ['calls on disposed objects', Tally.format(byVerdict.disposed.counts)],
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child ----


export async function childSetup(sharedRaw: unknown): Promise<(payload: unknown) => Promise<Outcome>> {
  const shared = sharedRaw as { tmp: string; mode: 'quick' | 'full' };
  const api = require('../../lib/index') as Record<string, unknown> & typeof import('../../lib/index');
  const { Generation, LlamaError } = api;
  process.chdir(shared.tmp); // relative paths a case writes land in the scratch directory
  const cases = buildCases(shared.mode);
  const STORIES = STORIES_MODEL;
  const opened: Array<{ dispose(): void }> = [];
  const fresh = {
    model: async () => {
      const m = await api.loadModel(STORIES);
      opened.push(m);
      return m;
    },
    context: async () => {
      const c = await model.createContext({ sequences: 4, contextSize: 256, threads: 1 });
      opened.push(c);
      return c;
    },
  };
  let model = await api.loadModel(STORIES);
  let context = await model.createContext({ sequences: 4, contextSize: 512, threads: 1 });
  const sampler = api.createSampler({}, { model });
  const disposedModel = await api.loadModel(STORIES);
  const disposedContext = await disposedModel.createContext({ sequences: 4, contextSize: 64, threads: 1 });
  disposedModel.dispose();
  const disposedSampler = api.createSampler({}, { vocabSize: 8 });
  disposedSampler.dispose();
  await context.evaluate([1, 2, 3], { sequence: 0 });
  const state = await context.saveState();
  const stateFile = join(shared.tmp, `valid-state-${process.pid}.bin`);
  await context.saveStateToFile(stateFile, { sequence: 0, tokens: [1, 2, 3] });
  const fx: Record<string, unknown> = {
    state,
    stateFile,
    newSampler: () => api.createSampler({}, { vocabSize: 8 }),
    orphanGeneration: () => disposedContext.generate('Once'),
  };
  const names = [...Object.keys(api).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k)), 'model', 'context', 'sampler', 'disposedModel', 'disposedContext', 'disposedSampler', 'fx', 'fresh', 'STORIES'];
  return async (payload) => {
    const c = cases[payload as number];
    const scope: Record<string, unknown> = { ...api, model, context, sampler, disposedModel, disposedContext, disposedSampler, fx, fresh, STORIES };
    const body = c.scenario ? c.src : `return (${c.src});`;
    const fn = new Function(...names, `return (async () => { ${body} })();`) as (...args: unknown[]) => Promise<unknown>;
    let outcome: Outcome;
    try {
      const value = await within(6000, () => fn(...names.map((n) => scope[n])));
      if (value instanceof Generation) {
        // accepted: the generation must end, typed, in bounded time
        try {
          await within(3000, () => value.result);
        } catch (err) {
          if (!(err instanceof Timeout)) throw err;
          value.abort();
          await within(3000, () => value.result);
        }
      } else if (value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function') {
        const it = value as AsyncIterator<unknown>;
        await within(3000, () => it.next());
        await within(3000, () => it.return?.());
      }
      outcome = { kind: 'ok' };
    } catch (err) {
      outcome = err instanceof Timeout ? { kind: 'hang', ms: err.ms } : classify(err);
    } finally {
      for (const o of opened.splice(0)) {
        try {
          o.dispose();
        } catch (err) {
          if (!(err instanceof LlamaError)) throw err;
        }
      }
    }
    // a case that disposed or broke the shared fixtures gets fresh ones for the next
    if ((model as { disposed: boolean }).disposed) model = await api.loadModel(STORIES);
    if ((context as { disposed: boolean }).disposed) context = await model.createContext({ sequences: 4, contextSize: 512, threads: 1 });
    return outcome;
  };
}
