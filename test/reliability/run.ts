/**
 * The reliability harness (issue 12): `npm run test:reliability -- --quick|--full`.
 *
 *   --quick          a few hundred cases per component, a few minutes (CI)
 *   --full           >= 5,000 GGUF loads, 1,000 aborts, 500 leak cycles, 100 worker
 *                    terminations...; writes its figures into docs/reliability.md
 *   --json <file>    also write the whole report as JSON
 *   --only a,b       run these components only (names below); --full then leaves the docs alone
 *   --seed <n>       seed of the random choices (default 12)
 *   --jobs <n>       child processes at once where a component runs many (default 1)
 *   --no-docs        --full without writing docs/reliability.md
 *
 * Exits with 1 when any component saw a crash, hang, untyped error, wrongly
 * accepted value, mismatch, leak over its bound or blocked JS thread.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './child';
import { machineLine, markdownFigures, textSummary, writeFiguresInto, type ComponentReport, type RunReport } from './report';

/** What every component's `run` gets. */
export interface ComponentOptions {
  mode: 'quick' | 'full';
  seed: number;
  /** A scratch directory (removed at the end). */
  tmp: string;
  jobs: number;
  log: (line: string) => void;
}

type Runner = (options: ComponentOptions) => Promise<ComponentReport>;

/** The components, in run order. */
export const COMPONENTS: Record<string, () => Promise<Runner>> = {
  gguf: async () => (require('./gguf-mutator') as { run: Runner }).run,
  'bad-input': async () => (require('./bad-input') as { run: Runner }).run,
  abort: async () => (require('./abort-storm') as { run: Runner }).run,
  workers: async () => (require('./worker-storm') as { run: Runner }).run,
  leak: async () => (require('./leak-cycles') as { run: Runner }).run,
  concurrency: async () => (require('./concurrency') as { run: Runner }).run,
  state: async () => (require('./state-files') as { run: Runner }).run,
  grammar: async () => (require('./grammars') as { run: Runner }).run,
};

interface Args {
  mode: 'quick' | 'full';
  json?: string;
  only?: string[];
  seed: number;
  jobs: number;
  docs: boolean;
  /** Anomaly kinds reported but not failing the run (`--allow blocked`): known open gaps, listed in docs/reliability.md. */
  allow: string[];
}

function parse(argv: string[]): Args {
  const args: Args = { mode: 'quick', seed: 12, jobs: 1, docs: true, allow: [] };
  let modeGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick' || a === '--full') {
      args.mode = a === '--full' ? 'full' : 'quick';
      modeGiven = true;
    } else if (a === '--json') args.json = value();
    else if (a === '--only') args.only = value().split(',');
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--jobs') args.jobs = Number(value());
    else if (a === '--no-docs') args.docs = false;
    else if (a === '--allow') args.allow = value().split(',');
    else throw new Error(`unknown argument ${a} (see the top of test/reliability/run.ts)`);
  }
  if (!modeGiven) throw new Error('say --quick or --full');
  for (const name of args.only ?? []) if (!(name in COMPONENTS)) throw new Error(`no component ${name}; there are ${Object.keys(COMPONENTS).join(', ')}`);
  if (!Number.isInteger(args.seed) || !Number.isInteger(args.jobs) || args.jobs < 1) throw new Error('--seed and --jobs take integers');
  return args;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const started = performance.now();
  const tmp = join(tmpdir(), `llama-generate-reliability-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const log = (line: string): void => void process.stderr.write(`[reliability ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const reports: ComponentReport[] = [];
  try {
    for (const [name, load] of Object.entries(COMPONENTS)) {
      if (args.only && !args.only.includes(name)) continue;
      log(`${name}: start`);
      const runner = await load();
      const report = await runner({ mode: args.mode, seed: args.seed, tmp: join(tmp, name), jobs: args.jobs, log });
      reports.push(report);
      console.log(textSummary(report));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const report: RunReport = {
    mode: args.mode,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: machineLine(),
    node: process.version,
    command: `npm run test:reliability -- ${process.argv.slice(2).join(' ')}`,
    seconds,
    components: reports,
    pass: reports.every((r) => r.anomalies.length === 0),
  };
  const anomalies = reports.reduce((n, r) => n + r.anomalies.length, 0);
  const failing = reports.reduce((n, r) => n + r.anomalies.filter((x) => !args.allow.includes(x.kind)).length, 0);
  const allowed = anomalies - failing;
  const verdict = failing === 0 ? 'PASS' : 'FAIL';
  console.log(`\nreliability ${args.mode}: ${reports.length} components in ${seconds.toFixed(0)} s, ${anomalies} anomalies${allowed ? ` (${allowed} of the allowed kinds ${args.allow.join(', ')}: known open, see docs/reliability.md)` : ''}: ${verdict}`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  if (args.mode === 'full' && args.docs && !args.only) {
    writeFiguresInto(join(ROOT, 'docs', 'reliability.md'), markdownFigures(report));
    log('figures written to docs/reliability.md');
  }
  return failing === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(2);
    },
  );
}
