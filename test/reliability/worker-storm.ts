/**
 * Worker-termination storm: worker_threads running a generation, state save /
 * load, or model loads are terminated at random times (during the load, the
 * context creation, the decode loop, a state write), while the process's main
 * thread keeps generating with its own model. The process must survive every
 * `worker.terminate()` (a native abort kills it: the case is then a crash),
 * each terminate must settle in bounded time, and the main thread's greedy
 * output must stay the same.
 *
 * Workers run the built package (dist/, as users do): run `npm run build:ts`
 * after changing lib/.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { STORIES_MODEL } from '../support/models';
import { mulberry32 } from '../support/random';
import { ROOT, runItems, within } from './child';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

const MODES = ['generate', 'state', 'load', 'generate x2'] as const;

/** The newest modification time under `dir` (files ending in `ext`). */
function newest(dir: string, ext: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) max = Math.max(max, newest(p, ext));
    else if (entry.name.endsWith(ext)) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const dist = join(ROOT, 'dist', 'index.js');
  if (!existsSync(dist)) throw new Error('worker storm: dist/ is missing; run npm run build:ts');
  const stale = newest(join(ROOT, 'lib'), '.ts') > newest(join(ROOT, 'dist'), '.js');
  const count = options.mode === 'full' ? 100 : 20;
  const rand = mulberry32(options.seed);
  const items = Array.from({ length: count }, (_, i) => ({
    id: `termination ${i}`,
    payload: { mode: MODES[i % MODES.length], delay: Math.floor(rand() * 400), seed: i },
  }));
  options.log(`workers: ${count} terminations${stale ? ' (dist/ is older than lib/: workers run the old build)' : ''}`);
  const outcomes = await runItems(__filename, { tmp: options.tmp }, items, { itemTimeoutMs: 30_000, batchSize: 25 });
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  for (const item of items) {
    const outcome = outcomes.get(item.id)!;
    tally.add(outcome.kind === 'ok' ? 'survived' : outcomeLabel(outcome));
    if (outcome.kind !== 'ok') {
      anomalies.push({
        kind: outcome.kind === 'crash' ? 'crash' : outcome.kind === 'hang' ? 'hang' : outcome.kind === 'error' ? 'wrong-code' : 'untyped',
        case: `worker running ${item.payload.mode}: terminated after ${item.payload.delay} ms`,
        detail: describeOutcome(outcome),
      });
    }
  }
  return {
    component: 'worker-termination storm',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [
      ['worker.terminate() calls', `${count} (${MODES.join(', ')}; 0-400 ms after the worker starts)${stale ? '; dist/ was older than lib/' : ''}`],
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child ----

function workerSource(dist: string, model: string, file: string): string {
  return `
    const { parentPort, workerData } = require('node:worker_threads');
    const { loadModel } = require(${JSON.stringify(dist)});
    (async () => {
      const mode = workerData.mode;
      if (mode === 'load') {
        for (;;) (await loadModel(${JSON.stringify(model)})).dispose();
      }
      const model = await loadModel(${JSON.stringify(model)});
      const context = await model.createContext({ contextSize: 512, threads: 1, sequences: 2 });
      parentPort.postMessage('ready');
      if (mode === 'state') {
        for (;;) {
          await context.evaluate([1, 2, 3, 4, 5, 6, 7, 8]);
          const s = await context.saveState();
          await context.loadState(s);
          await context.saveStateToFile(${JSON.stringify(file)} + process.pid + workerData.seed, { tokens: [1, 2, 3] });
          await context.loadStateFromFile(${JSON.stringify(file)} + process.pid + workerData.seed);
          await context.clear();
        }
      }
      const loop = async (sequence) => {
        for (;;) for await (const c of context.generate('Once', { max_new_tokens: 200, ignore_eos: true }, { sequence })) void c;
      };
      await Promise.all(mode === 'generate x2' ? [loop(0), loop(1)] : [loop(0)]);
    })().catch((e) => parentPort.postMessage(e && e.name === 'LlamaError' ? 'typed ' + e.code + ' ' + e.message : 'error ' + String(e && e.stack)));
  `;
}

export async function childSetup(sharedRaw: unknown): Promise<(payload: unknown) => Promise<Outcome>> {
  const { tmp } = sharedRaw as { tmp: string };
  const { mkdirSync } = require('node:fs') as typeof import('node:fs');
  mkdirSync(tmp, { recursive: true });
  const { loadModel } = require('../../dist/index.js') as typeof import('../../lib/index');
  const source = workerSource(join(ROOT, 'dist', 'index.js'), STORIES_MODEL, join(tmp, 'worker-state-'));
  // the main thread keeps using the library meanwhile
  const model = await loadModel(STORIES_MODEL);
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  const reference = (await context.generate('Once upon a time', { max_new_tokens: 16 }).result).text;
  return async (payload) => {
    const { mode, delay, seed } = payload as { mode: string; delay: number; seed: number };
    const worker = new Worker(source, { eval: true, workerData: { mode, seed } });
    const messages: string[] = [];
    worker.on('message', (m: string) => messages.push(m));
    worker.on('error', (e) => messages.push(`worker error ${e.message}`));
    const main = context.generate('Once upon a time', { max_new_tokens: 16 }).result;
    await new Promise((r) => setTimeout(r, delay));
    await within(10_000, () => worker.terminate());
    const text = (await within(10_000, () => main)).text;
    const failed = messages.find((m) => m.startsWith('error') || m.startsWith('worker error'));
    if (failed) return { kind: 'untyped', name: 'in the worker', message: failed };
    if (text !== reference) return { kind: 'error', code: 'MISMATCH', message: `main thread greedy output changed: ${JSON.stringify(text)}` };
    const typed = messages.find((m) => m.startsWith('typed'));
    return { kind: 'ok', note: `${messages.includes('ready') ? 'after ready' : 'during load'}${typed ? `; the worker saw ${typed}` : ''}` };
  };
}
