/**
 * Corrupted state: whole-context and sequence states (files from
 * saveStateToFile, buffers from saveState) truncated at many points, with
 * bits flipped, 0xffffffff words and zeroed words written in, then loaded.
 * Each load must be `ok` or a `STATE_IO` error within 2 seconds, and the
 * context must still evaluate afterwards.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STORIES_MODEL } from '../support/models';
import { mulberry32 } from '../support/random';
import { classify, runItems, within, Timeout } from './child';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

const TARGETS = ['context file', 'sequence file', 'context buffer', 'sequence buffer'] as const;
type Target = (typeof TARGETS)[number];
const OPS = ['truncate', 'flip', 'ffffffff', 'zero'] as const;
type Op = (typeof OPS)[number];
/** Longest a corrupted state may take to load (or be refused). */
const LOAD_BOUND_MS = 2000;

interface Mutation {
  target: Target;
  op: Op;
  /** A byte offset, or a fraction of the size (see `absolute`). */
  at: number;
  /** `at` is a byte offset (the first bytes, where the counts are); else a fraction of the size. */
  absolute: boolean;
  bit: number;
}

function describe(m: Mutation): string {
  const where = m.absolute ? `byte ${m.at}` : `${(m.at * 100).toFixed(1)}% of the size`;
  return `${m.target}: ${m.op === 'truncate' ? 'truncated at' : m.op === 'flip' ? `bit ${m.bit} flipped at` : `${m.op} written at`} ${where}`;
}

function mutations(mode: 'quick' | 'full', seed: number): Mutation[] {
  const rand = mulberry32(seed);
  const out: Mutation[] = [];
  const perTarget = mode === 'full' ? 550 : 75;
  for (const target of TARGETS) {
    for (let i = 0; i < perTarget; i++) {
      const op = OPS[i % OPS.length];
      const absolute = i % 3 !== 2; // most at the start, where the counts and sizes are
      const at = absolute ? (op === 'truncate' ? Math.floor(rand() * 96) : Math.floor(rand() * 24) * 4) : rand();
      out.push({ target, op, at, absolute, bit: Math.floor(rand() * 8) });
    }
  }
  return out;
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const list = mutations(options.mode, options.seed);
  mkdirSync(options.tmp, { recursive: true });
  options.log(`state: ${list.length} corrupted states`);
  const items = list.map((m, i) => ({ id: String(i), payload: m }));
  const outcomes = await runItems(__filename, { tmp: options.tmp }, items, { itemTimeoutMs: 15_000, batchSize: 400 });
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  let slowest = 0;
  for (const item of items) {
    const outcome = outcomes.get(item.id)!;
    const label = outcomeLabel(outcome);
    tally.add(label);
    const ms = outcome.kind === 'ok' || outcome.kind === 'error' ? Number((outcome.kind === 'ok' ? outcome.note : outcome.message.match(/\[(\d+) ms\]$/)?.[1]) ?? 0) : 0;
    slowest = Math.max(slowest, ms);
    const ok = outcome.kind === 'ok' || (outcome.kind === 'error' && outcome.code === 'STATE_IO');
    if (!ok) {
      const kind = outcome.kind === 'error' ? (outcome.code === 'SLOW' ? 'slow' : 'wrong-code') : outcome.kind;
      anomalies.push({ kind, case: describe(item.payload), detail: describeOutcome(outcome) });
    }
  }
  return {
    component: 'corrupted state',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [['corrupted state loads', `${tally.cases} (truncations, bit flips, 0xffffffff and zero words; files and buffers, context and sequence states); slowest ${slowest} ms, bound ${LOAD_BOUND_MS} ms`]],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child ----

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = Math.min(bytes.length - 1, m.absolute ? m.at : Math.floor(m.at * bytes.length));
  if (m.op === 'truncate') return Buffer.from(bytes.subarray(0, at));
  const out = Buffer.from(bytes);
  if (m.op === 'flip') out[at] ^= 1 << m.bit;
  else out.fill(m.op === 'zero' ? 0 : 0xff, at, Math.min(out.length, at + 4));
  return out;
}

export async function childSetup(sharedRaw: unknown): Promise<(payload: unknown) => Promise<Outcome>> {
  const { tmp } = sharedRaw as { tmp: string };
  const { loadModel, isLlamaError } = require('../../lib/index') as typeof import('../../lib/index');
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const model = await loadModel(STORIES_MODEL);
  const context = await model.createContext({ sequences: 2, contextSize: 256, threads: 1 });
  const tokens = Array.from(model.tokenize('Once upon a time there was a little dog'));
  await context.evaluate(tokens, { sequence: 0 });
  await context.evaluate(tokens.slice(0, 5), { sequence: 1 });
  const contextFile = join(tmp, `context-${process.pid}.state`);
  const sequenceFile = join(tmp, `sequence-${process.pid}.state`);
  await context.saveStateToFile(contextFile, { tokens });
  await context.saveStateToFile(sequenceFile, { sequence: 0, tokens });
  const originals: Record<Target, Buffer> = {
    'context file': readFileSync(contextFile),
    'sequence file': readFileSync(sequenceFile),
    'context buffer': await context.saveState(),
    'sequence buffer': await context.saveState({ sequence: 0 }),
  };
  const mutant = join(tmp, `mutant-${process.pid}.state`);
  return async (payload) => {
    const m = payload as Mutation;
    const bytes = mutate(originals[m.target], m);
    const sequence = m.target.startsWith('sequence') ? 1 : undefined;
    if (m.target.endsWith('file')) writeFileSync(mutant, bytes);
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      await within(LOAD_BOUND_MS * 5, async () => {
        if (m.target.endsWith('file')) await context.loadStateFromFile(mutant, { sequence });
        else await context.loadState(bytes, { sequence });
      });
      outcome = { kind: 'ok' };
    } catch (err) {
      outcome = err instanceof Timeout ? { kind: 'hang', ms: err.ms } : classify(err);
    }
    const ms = Math.round(performance.now() - t0);
    if (outcome.kind === 'ok') outcome.note = String(ms);
    if (outcome.kind === 'error') outcome.message += ` [${ms} ms]`;
    if (ms > LOAD_BOUND_MS && outcome.kind !== 'hang') outcome = { kind: 'error', code: 'SLOW', message: `took ${ms} ms: ${describeOutcome(outcome)}` };
    // the context must still work
    try {
      await context.evaluate([1, 2], { sequence: sequence ?? 0 });
    } catch (err) {
      if (!isLlamaError(err)) return classify(err);
    }
    await context.clear();
    return outcome;
  };
}
