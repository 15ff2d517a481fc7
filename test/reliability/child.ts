/**
 * Child processes of the reliability harness. Cases run in batches in
 * `node --import tsx test/reliability/child.ts <component file>`; the child
 * reports the start and the outcome of each case over file descriptor 3 with
 * synchronous writes, so a case that kills the process (a signal, an abort)
 * is known. The parent then re-runs that case alone to attribute it, and goes
 * on with the rest of the batch in a fresh child. A case that does not answer
 * in time is a hang: the child is killed and the batch goes on without it.
 *
 * A component file used as a child exports `childSetup(shared)`, which
 * returns the function that runs one case's payload.
 */
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isLlamaError } from '../../lib/errors';
import type { Outcome } from './report';

export const ROOT = resolve(__dirname, '..', '..');
export const RELIABILITY_DIR = __dirname;

/** One case for a child: an id (unique in the run) and what the component's runner needs. */
export interface Item<P = unknown> {
  id: string;
  payload: P;
}

/** What a component's child side exports. */
export interface ChildModule {
  childSetup(shared: unknown): Promise<(payload: unknown) => Promise<Outcome>>;
}

/** Options of {@link runItems}. */
export interface RunItemsOptions {
  /** Most time one case may take before it counts as a hang. */
  itemTimeoutMs: number;
  /** Cases per child process. */
  batchSize: number;
  /** Time the child may take to set up (load the model...) before its first case. */
  setupTimeoutMs?: number;
  /** Children at once (default 1: the machine is small and shared). */
  jobs?: number;
  /** Extra node flags (e.g. `--expose-gc`). */
  nodeArgs?: string[];
  /** Re-run a case that killed its batch alone, to attribute the crash (default true). */
  confirmAlone?: boolean;
  /** Called with every outcome as it comes (progress). */
  onOutcome?: (id: string, outcome: Outcome) => void;
}

/** The error thrown as an outcome: a LlamaError (typed) or anything else (untyped). */
export function classify(err: unknown): Outcome {
  if (isLlamaError(err)) return { kind: 'error', code: err.code, message: err.message };
  if (err instanceof Error) return { kind: 'untyped', name: err.constructor?.name ?? err.name, message: err.message };
  let text: string;
  try {
    text = String(err);
  } catch {
    text = Object.prototype.toString.call(err);
  }
  return { kind: 'untyped', name: `thrown ${typeof err}`, message: text };
}

/** Thrown by {@link within} when the time is up. */
export class Timeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** `work()`'s result, or a {@link Timeout} rejection after `ms`. */
export async function within<T>(ms: number, work: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(work),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` bounded by `ms` and classifies how it ended. */
export async function outcomeOf(ms: number, work: () => unknown): Promise<Outcome> {
  try {
    await within(ms, work);
    return { kind: 'ok' };
  } catch (err) {
    if (err instanceof Timeout) return { kind: 'hang', ms };
    return classify(err);
  }
}

// ---- parent side ----

interface ChildRun {
  outcomes: Map<string, Outcome>;
  /** The case running when the child died or was killed. */
  inProgress: string | null;
  /** How the child ended when it did not finish the batch. */
  death: Outcome | null;
  fatal: string | null;
}

function runChild(componentFile: string, shared: unknown, items: Item[], options: RunItemsOptions): Promise<ChildRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', join(RELIABILITY_DIR, 'child.ts'), componentFile], {
      cwd: ROOT,
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      // GGML_NO_BACKTRACE: a ggml assert would attach gdb to print a backtrace (seconds per crash)
      env: { ...process.env, RELIABILITY_ITEM_TIMEOUT_MS: String(options.itemTimeoutMs), GGML_NO_BACKTRACE: '1' },
    });
    const run: ChildRun = { outcomes: new Map(), inProgress: null, death: null, fatal: null };
    let stderr = '';
    let finished = false;
    let killedForHang = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (ms: number): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        killedForHang = true;
        child.kill('SIGKILL');
      }, ms);
    };
    arm((options.setupTimeoutMs ?? 60_000) + options.itemTimeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let buffered = '';
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.setEncoding('utf8');
    fd3.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const message = JSON.parse(line) as { start?: string; end?: string; outcome?: Outcome; done?: boolean; fatal?: string };
        if (message.start !== undefined) {
          run.inProgress = message.start;
          arm(options.itemTimeoutMs + 5000);
        } else if (message.end !== undefined) {
          run.outcomes.set(message.end, message.outcome!);
          options.onOutcome?.(message.end, message.outcome!);
          run.inProgress = null;
          arm(options.itemTimeoutMs + 5000);
        } else if (message.done) {
          finished = true;
        } else if (message.fatal !== undefined) {
          run.fatal = message.fatal;
        }
      }
    });
    child.on('close', (status, signal) => {
      clearTimeout(watchdog);
      if (killedForHang) {
        run.death = { kind: 'hang', ms: options.itemTimeoutMs + 5000, note: 'the child process stopped answering and was killed' };
      } else if (!finished && run.fatal === null) {
        run.death = { kind: 'crash', signal, status, stderr };
      }
      if (run.fatal !== null) run.fatal += stderr ? `\n${stderr}` : '';
      resolvePromise(run);
    });
    child.stdin!.on('error', () => {}); // a child that dies at once closes its stdin
    child.stdin!.end(JSON.stringify({ shared, items }));
  });
}

/**
 * Runs `items` in child processes running `componentFile`'s `childSetup`, and
 * returns every item's outcome. Never throws for what a case does; throws
 * when a child cannot set up at all.
 */
export async function runItems(componentFile: string, shared: unknown, items: Item[], options: RunItemsOptions): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const queue = [...items];
  const worker = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, options.batchSize);
      const run = await runChild(componentFile, shared, batch, options);
      if (run.fatal !== null) throw new Error(`reliability child ${componentFile} failed to set up: ${run.fatal}`);
      for (const [id, outcome] of run.outcomes) outcomes.set(id, outcome);
      let rest = batch.filter((item) => !run.outcomes.has(item.id));
      if (run.death === null) {
        queue.unshift(...rest); // a child that stopped early (after a hang) leaves the rest to a fresh one
        continue;
      }
      const culprit = run.inProgress === null ? undefined : batch.find((item) => item.id === run.inProgress);
      if (culprit === undefined) {
        // died between cases (teardown, a late callback): blame the last case it ran
        const last = [...run.outcomes.keys()].pop();
        if (last !== undefined) outcomes.set(last, { ...run.death, note: 'between cases, after this one' } as Outcome);
        else if (rest.length > 0) outcomes.set(rest[0].id, { ...run.death, note: 'before the first case' } as Outcome);
        rest = rest.filter((item) => !outcomes.has(item.id));
      } else {
        rest = rest.filter((item) => item !== culprit);
        let outcome = run.death;
        if (options.confirmAlone !== false && batch.length > 1) {
          const alone = await runItems(componentFile, shared, [culprit], { ...options, batchSize: 1, confirmAlone: false, jobs: 1 });
          const again = alone.get(culprit.id)!;
          outcome = again.kind === run.death.kind ? again : { ...run.death, note: `in its batch only; alone: ${again.kind}` } as Outcome;
        }
        outcomes.set(culprit.id, outcome);
        options.onOutcome?.(culprit.id, outcome);
      }
      queue.unshift(...rest);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 1) }, worker));
  return outcomes;
}

// ---- child side ----

function send(message: object): void {
  writeSync(3, `${JSON.stringify(message)}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function childMain(componentFile: string): Promise<void> {
  const { shared, items } = JSON.parse(await readStdin()) as { shared: unknown; items: Item[] };
  const itemTimeoutMs = Number(process.env.RELIABILITY_ITEM_TIMEOUT_MS ?? 10_000);
  let current: string | null = null;
  // A rejection nobody can handle would end a user's process: it counts against the case that caused it.
  process.on('unhandledRejection', (reason) => {
    const outcome = classify(reason);
    const detail = outcome.kind === 'error' ? `LlamaError ${outcome.code}` : outcome.kind === 'untyped' ? outcome.name : outcome.kind;
    send({ end: current ?? items[0]?.id ?? 'setup', outcome: { kind: 'untyped', name: `unhandled rejection (${detail})`, message: 'message' in outcome ? outcome.message : '' } });
    send({ done: true });
    process.exit(0);
  });
  let run: (payload: unknown) => Promise<Outcome>;
  try {
    const mod = require(componentFile) as ChildModule;
    run = await mod.childSetup(shared);
  } catch (err) {
    send({ fatal: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
  for (const item of items) {
    current = item.id;
    send({ start: item.id });
    let outcome: Outcome;
    try {
      outcome = await within(itemTimeoutMs, () => run(item.payload));
    } catch (err) {
      outcome = err instanceof Timeout ? { kind: 'hang', ms: itemTimeoutMs } : classify(err);
    }
    send({ end: item.id, outcome }); // `current` stays: a late rejection belongs to the case before it
    // after a hang the child's state is unknown: the rest of the batch runs in a fresh child
    if (outcome.kind === 'hang') {
      send({ done: true });
      process.exit(0);
    }
  }
  send({ done: true });
  process.exit(0);
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: child.ts <component file>');
    process.exit(2);
  }
  void childMain(resolve(file));
}
