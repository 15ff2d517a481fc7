/**
 * Leak cycles: load → context → generate → dispose, over and over in one
 * process. After a warm-up, the resident set size is sampled (after a full
 * GC) every few cycles; the growth per 500 cycles is the least-squares slope
 * times 500. The bound is issue 12's: under 10 MB per 500 cycles (the quick
 * run's 300 cycles are held to the same slope). The first 100 cycles are not
 * measured: the allocator's arenas grow over the first few dozen. No model
 * or context may be left alive at the end.
 */
import { STORIES_MODEL } from '../support/models';
import { runItems } from './child';
import { describeOutcome, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

/** Most growth allowed, in MB per 500 cycles. */
export const LEAK_BOUND_MB_PER_500 = 10;
const WARMUP = 100;
const SAMPLE_EVERY = 10;

interface LeakData {
  cycles: number;
  rss: Array<[number, number]>;
  heapStart: number;
  heapEnd: number;
  live: { models: number; contexts: number };
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const cycles = options.mode === 'full' ? 1500 : 300;
  options.log(`leak: ${cycles} cycles after ${WARMUP} to warm up`);
  const outcomes = await runItems(__filename, {}, [{ id: 'cycles', payload: cycles }], { itemTimeoutMs: 600_000, batchSize: 1, nodeArgs: ['--expose-gc'] });
  const outcome = outcomes.get('cycles')!;
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  const figures: Array<[string, string]> = [];
  if (outcome.kind !== 'ok') {
    tally.add(outcome.kind, cycles);
    anomalies.push({ kind: outcome.kind === 'crash' ? 'crash' : outcome.kind === 'hang' ? 'hang' : 'untyped', case: `${cycles} cycles`, detail: describeOutcome(outcome) });
  } else {
    const data = outcome.data as LeakData;
    tally.add('cycles', data.cycles);
    const mb = (bytes: number): number => bytes / 2 ** 20;
    const perCycle = slope(data.rss);
    const per500 = mb(perCycle * 500);
    const first = data.rss[0][1];
    const last = data.rss[data.rss.length - 1][1];
    figures.push(
      ['RSS growth', `${per500.toFixed(1)} MB per 500 cycles (least-squares slope; bound ${LEAK_BOUND_MB_PER_500} MB)`],
      ['RSS', `${mb(first).toFixed(1)} MB after ${WARMUP} warm-up cycles → ${mb(last).toFixed(1)} MB after ${data.cycles} more`],
      ['JS heap', `${mb(data.heapStart).toFixed(1)} → ${mb(data.heapEnd).toFixed(1)} MB`],
      ['live objects at the end', `${data.live.models} models, ${data.live.contexts} contexts`],
    );
    if (per500 > LEAK_BOUND_MB_PER_500) {
      anomalies.push({
        kind: 'leak',
        case: `${data.cycles} load → context → generate → dispose cycles`,
        detail: `RSS grows ${per500.toFixed(1)} MB per 500 cycles (${mb(first).toFixed(1)} → ${mb(last).toFixed(1)} MB), bound ${LEAK_BOUND_MB_PER_500}`,
        reproducer: `node --expose-gc -e "const { loadModel } = require('./dist'); (async () => { for (let i = 0; i < 500; i++) { const m = await loadModel('models/stories260K.gguf'); const c = await m.createContext({ contextSize: 128, threads: 1 }); await c.generate('Once', { max_new_tokens: 8 }).result; m.dispose(); if (i % 100 === 0) { gc(); console.log(i, process.memoryUsage().rss / 2 ** 20); } } })()"`,
      });
    }
    if (data.live.models !== 0 || data.live.contexts !== 0) {
      anomalies.push({ kind: 'leak', case: 'live objects after dispose', detail: `${data.live.models} models and ${data.live.contexts} contexts still alive` });
    }
  }
  return { component: 'leak cycles', cases: tally.cases, tally: tally.counts, anomalies, figures, seconds: (performance.now() - started) / 1000 };
}

// ---- child ----

export async function childSetup(): Promise<(payload: unknown) => Promise<Outcome>> {
  const { loadModel } = require('../../lib/index') as typeof import('../../lib/index');
  const { native } = require('../../lib/native') as typeof import('../../lib/native');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('leak cycles need node --expose-gc');
  const cycle = async (): Promise<void> => {
    const model = await loadModel(STORIES_MODEL);
    const context = await model.createContext({ contextSize: 128, threads: 1 });
    await context.generate('Once upon a time', { max_new_tokens: 8 }).result;
    model.dispose();
  };
  const settle = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
  };
  return async (payload) => {
    const cycles = payload as number;
    for (let i = 0; i < WARMUP; i++) await cycle();
    await settle();
    const rss: Array<[number, number]> = [[0, process.memoryUsage().rss]];
    const heapStart = process.memoryUsage().heapUsed;
    for (let i = 1; i <= cycles; i++) {
      await cycle();
      if (i % SAMPLE_EVERY === 0) {
        await settle();
        rss.push([i, process.memoryUsage().rss]);
      }
    }
    await settle();
    const data: LeakData = { cycles, rss, heapStart, heapEnd: process.memoryUsage().heapUsed, live: native().liveObjects() };
    return { kind: 'ok', data };
  };
}
