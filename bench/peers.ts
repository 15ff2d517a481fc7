/**
 * Three-way benchmark (issue 6): llama.cpp's own `llama-bench`, this library's
 * `context.generate()`, and node-llama-cpp, side by side in one session, on the
 * same models, threads, batch sizes, context and flash-attention setting, greedy.
 *
 *   - throughput: pp512 and tg128 tokens/s, and the time to first token of a
 *     128-token prompt, N runs per tool, interleaved (the order of the three
 *     tools rotates from run to run, so machine drift hits all alike), each
 *     run in a fresh process of its tool (llama-bench is one by nature; the
 *     two libraries get a fresh worker, so that none keeps one placement of
 *     its buffers in memory for all its runs), each test warmed up right
 *     before it as llama-bench does (a full prompt run before a prompt test,
 *     a one-token generation before tg128);
 *   - model load time and the peak RSS of a 500-token generation, each tool in
 *     its own fresh process per run (rotating too).
 *
 * Usage:  npm run bench:peers -- [--reps N] [--memory-reps N] [--models a,b] [--threads 1,2]
 *                                [--memory-threads T] [--quick] [--skip-memory]
 *   --reps N            interleaved runs per row and tool (default 6; median [min–max] reported)
 *   --memory-reps N     fresh processes per tool and model for load time and peak RSS (default: --reps)
 *   --models a,b        models whose id contains one of these (stories260K, random-100m-q8_0)
 *   --threads 1,2       thread counts (default 1,2)
 *   --memory-threads T  threads of the load/memory runs (default: the largest of --threads)
 *   --quick             1 run each (smoke test)
 *   --skip-memory       skip load time and peak RSS
 *
 * node-llama-cpp is installed apart from the root package, into
 * bench/peers/node-llama-cpp/node_modules, by bench/peers/setup.js (run first,
 * idempotent), with its prebuilt CPU binary from npm; it runs in worker
 * processes (bench/peers/node-llama-cpp/worker.js). Ours runs in worker
 * processes too (bench/peers/ours-worker.ts) on lib/ transpiled to plain JS,
 * as do its load/memory runs.
 *
 * Writes bench/results/peers.md, bench/results/peers.json and bench/results/peers.svg.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ts from 'typescript';
import { loadModel, systemInfo } from '../lib';
import {
  BATCH,
  GREEDY,
  LLAMA_BENCH,
  N_GEN,
  N_PROMPT,
  POLL,
  RESULTS,
  ROOT,
  UBATCH,
  busyWarning,
  codeLine,
  contextOptions,
  ensureLlamaBench,
  ensureModel,
  listArg,
  llamaBenchArgs,
  llamaBenchFa,
  llamaBenchRow,
  machineInfo,
  mdTable,
  mtime,
  num,
  randomPrompt,
  ratio,
  resolvedFlashAttention,
  runLlamaBench,
  selectModels,
  sourceState,
  stat,
  ts as fmt,
  type LlamaBenchRow,
  type PpRun,
  type Stat,
  type TgRun,
  type TtftRun,
} from './common';
import { renderChart, type Panel } from './peers/chart';

const PEERS = join(ROOT, 'bench', 'peers');
const NLC_DIR = join(PEERS, 'node-llama-cpp');
const NLC_WORKER = join(NLC_DIR, 'worker.js');
/** lib/ and ours' worker and child transpiled to CommonJS (buildOursJs). */
const OURS_JS = join(ROOT, 'bench', '.peers', 'js');
const OURS_CHILD = join(OURS_JS, 'bench', 'peers', 'ours-child.js');
const OURS_WORKER = join(OURS_JS, 'bench', 'peers', 'ours-worker.js');
const TIME = '/usr/bin/time';

/** Prompt length of the time-to-first-token test. */
const N_TTFT = 128;
/** The load/memory runs: a generation of this many tokens from [BOS], in a context of MEM_CONTEXT cells. */
const MEM_TOKENS = 500;
const MEM_CONTEXT = 512;

const TOOLS = ['llama-bench', 'ours', 'node-llama-cpp'] as const;
type Tool = (typeof TOOLS)[number];
const LABEL: Record<Tool, string> = { 'llama-bench': 'llama-bench', ours: 'llama-generate (ours)', 'node-llama-cpp': 'node-llama-cpp' };
const COLOR: Record<Tool, string> = { 'llama-bench': '#8c959f', ours: '#0969da', 'node-llama-cpp': '#e16f24' };

/** The environment node-llama-cpp runs in: never download or build anything. */
const NLC_ENV = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true', NODE_LLAMA_CPP_POSTINSTALL: 'skip' };

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------
interface Args {
  reps: number;
  memoryReps: number | null;
  models: string[] | null;
  threads: number[];
  memoryThreads: number | null;
  memory: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { reps: 6, memoryReps: null, models: null, threads: [1, 2], memoryThreads: null, memory: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--memory-reps') args.memoryReps = Number(argv[++i]);
    else if (a === '--models') args.models = listArg(argv[++i], a);
    else if (a === '--threads') args.threads = listArg(argv[++i], a).map(Number);
    else if (a === '--memory-threads') args.memoryThreads = Number(argv[++i]);
    else if (a === '--quick') args.reps = args.memoryReps = 1;
    else if (a === '--skip-memory') args.memory = false;
    else throw new Error(`unknown argument ${a}`);
  }
  const posInt = (x: number | null): boolean => x === null || (Number.isInteger(x) && x >= 1);
  if (!posInt(args.reps) || !posInt(args.memoryReps) || !posInt(args.memoryThreads)) throw new Error('--reps, --memory-reps and --memory-threads must be integers >= 1');
  if (!args.threads.every((t) => posInt(t))) throw new Error('--threads must be integers >= 1');
  return args;
}

/** The order of the tools in run `rep`: rotated by one each run. */
const rotation = (rep: number): Tool[] => TOOLS.map((_, i) => TOOLS[(i + rep) % TOOLS.length]);

// ---------------------------------------------------------------------------
// node-llama-cpp: setup and its worker process
// ---------------------------------------------------------------------------
function setupNodeLlamaCpp(): void {
  const r = spawnSync(process.execPath, [join(PEERS, 'setup.js')], { stdio: 'inherit', env: NLC_ENV });
  if (r.status !== 0) throw new Error('bench/peers/setup.js failed (see above)');
}

interface NlcInfo {
  version: string;
  buildType: string;
  gpu: unknown;
  llamaCppRelease: { repo: string; release: string };
  systemInfo: string;
  cpuBackend: string | null;
  cpuMathCores: number;
}

/**
 * A tool in a child process, driven over IPC: node-llama-cpp's worker
 * (bench/peers/node-llama-cpp/worker.js serve) or ours (bench/peers/ours-worker.ts,
 * transpiled). Each replies { id, ok, result | error } and sends id 0 when ready.
 */
class ToolWorker {
  readonly #label: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #exited: string | null = null;

  private constructor(label: string, child: ChildProcess) {
    this.#label = label;
    this.#child = child;
    child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${label} worker: ${m.error}`));
    });
    child.on('exit', (code, signal) => {
      this.#exited = `exited (${signal ?? code})`;
      for (const p of this.#pending.values()) p.reject(new Error(`${label} worker ${this.#exited}`));
      this.#pending.clear();
    });
  }

  /** node-llama-cpp's worker. */
  static nodeLlamaCpp(): Promise<ToolWorker> {
    return ToolWorker.#start('node-llama-cpp', NLC_WORKER, ['serve'], NLC_DIR, NLC_ENV);
  }

  /** Ours (needs buildOursJs()). */
  static ours(): Promise<ToolWorker> {
    return ToolWorker.#start('llama-generate', OURS_WORKER, [], ROOT, process.env);
  }

  static #start(label: string, script: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ToolWorker> {
    // execArgv: [] — not tsx's loader flags: both workers are plain JS
    const child = fork(script, argv, { cwd, env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = new ToolWorker(label, child);
    return new Promise((resolve, reject) => {
      worker.#pending.set(0, { resolve: () => resolve(worker), reject });
    });
  }

  call<T>(cmd: string, args: object = {}): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.#label} worker ${this.#exited}`));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, cmd, ...args });
    });
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((r) => this.#child.once('exit', r));
    await this.call('exit').catch(() => undefined);
    await exited;
  }
}

// ---------------------------------------------------------------------------
// Ours as plain JS, for its worker and the load/memory children
// ---------------------------------------------------------------------------
/**
 * lib/, bench/common.ts (with the test helper it imports) and ours' worker and
 * load/memory child transpiled (no type check: `npm run typecheck` does that)
 * to CommonJS under bench/.peers/js, so that ours runs on plain `node` like
 * node-llama-cpp's worker; build/ and node_modules/ are linked.
 */
function buildOursJs(): void {
  rmSync(OURS_JS, { recursive: true, force: true });
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(join(ROOT, 'lib'));
  files.push(join(PEERS, 'ours-child.ts'), join(PEERS, 'ours-worker.ts'), join(ROOT, 'bench', 'common.ts'), join(ROOT, 'test', 'support', 'random.ts'));
  for (const file of files) {
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const dest = join(OURS_JS, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, out.outputText);
  }
  writeFileSync(join(OURS_JS, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
  // lib/native.ts (lib/binary/locate.ts) loads the addon from <lib>/../build/Release
  symlinkSync(join(ROOT, 'build'), join(OURS_JS, 'build'), 'junction');
  symlinkSync(join(ROOT, 'node_modules'), join(OURS_JS, 'node_modules'), 'junction');
}

// ---------------------------------------------------------------------------
// Throughput runs
// ---------------------------------------------------------------------------
interface Measures {
  /** pp512 tokens/s */
  pp: number;
  /** tg128 tokens/s */
  tg: number;
  /** time to first token of a 128-token prompt, ms */
  ttft: number;
}

interface RunRecord {
  model: string;
  threads: number;
  rep: number;
  order: Tool[];
  'llama-bench': Measures & { rows: LlamaBenchRow[] };
  ours: Measures & { ppRun: PpRun; ttftRun: TtftRun; tgRun: TgRun };
  'node-llama-cpp': Measures & { ppRun: { ms: number }; ttftRun: { ms: number }; tgRun: NlcTg };
}

interface NlcTg {
  tokens: number;
  eogTokens: number;
  firstMs: number;
  elapsedMs: number;
  rate: number;
}

type TestId = 'pp512' | 'tg128' | 'ttft128';
const TESTS: { id: TestId; key: keyof Measures; unit: string; higherIsBetter: boolean }[] = [
  { id: 'pp512', key: 'pp', unit: 'tokens/s', higherIsBetter: true },
  { id: 'tg128', key: 'tg', unit: 'tokens/s', higherIsBetter: true },
  { id: 'ttft128', key: 'ttft', unit: 'ms', higherIsBetter: false },
];

interface Row {
  model: string;
  modelLabel: string;
  threads: number;
  test: TestId;
  unit: string;
  flashAttention: string;
  stats: Record<Tool, Stat>;
  /** ours / llama-bench and ours / node-llama-cpp, of medians */
  oursVsLlamaBench: number;
  oursVsNodeLlamaCpp: number;
}

// ---------------------------------------------------------------------------
// Load time and peak RSS, fresh processes
// ---------------------------------------------------------------------------
interface MemRun {
  tool: Tool;
  /** ours: addon load + backend init (systemInfo()); node-llama-cpp: getLlama(); llama-bench: spawn to its 'starting' progress line */
  initMs: number | null;
  /** loadModel() alone; null for llama-bench (not separable) */
  loadMs: number | null;
  contextMs: number | null;
  /** model load + context creation (llama-bench: its 'starting' to its first 'warmup' progress line) */
  loadAndContextMs: number;
  /** ru_maxrss / VmHWM at the end, KiB */
  maxRssKiB: number;
  /** node children: maxRSS after importing the library, before loading anything */
  baselineKiB: number | null;
  tokens: number;
  tokensPerSecond: number | null;
  method: string;
  raw: unknown;
}

/**
 * A node child (ours-child.js, worker.js memory) in a fresh process. Its peak RSS is
 * process.resourceUsage().maxRSS at the end, read in the child. On Linux a process's
 * ru_maxrss starts from its parent's peak across fork + exec, and this parent holds
 * the models of the throughput runs, so the child is started through GNU time (a
 * small parent): then maxRSS is the child's own, and equals its VmHWM (also
 * recorded) and time's %M. Without /usr/bin/time, the child's VmHWM is used.
 */
function runNodeChild(tool: Tool, script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): MemRun {
  const useTime = existsSync(TIME);
  const argv = [script, ...args];
  const r = useTime
    ? spawnSync(TIME, ['-f', '@@maxrss_kib=%M', process.execPath, ...argv], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(process.execPath, argv, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${tool} memory child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const j = JSON.parse(line) as {
    initMs: number;
    loadMs: number;
    contextMs: number;
    tokens: number;
    tokensPerSecond: number;
    baselineKiB: number;
    maxRssKiB: number;
    baselineHwmKiB: number | null;
    hwmKiB: number | null;
  };
  if (j.tokens !== MEM_TOKENS) throw new Error(`${tool} memory child generated ${j.tokens} tokens, expected ${MEM_TOKENS}`);
  const timeKiB = useTime ? Number(/@@maxrss_kib=(\d+)/.exec(r.stderr)?.[1]) : null;
  const peak = useTime ? j.maxRssKiB : (j.hwmKiB ?? j.maxRssKiB);
  const baseline = useTime ? j.baselineKiB : (j.baselineHwmKiB ?? j.baselineKiB);
  return {
    tool,
    initMs: j.initMs,
    loadMs: j.loadMs,
    contextMs: j.contextMs,
    loadAndContextMs: j.loadMs + j.contextMs,
    maxRssKiB: peak,
    baselineKiB: baseline,
    tokens: j.tokens,
    tokensPerSecond: j.tokensPerSecond,
    method: useTime ? 'process.resourceUsage().maxRSS at the end of the child, started through GNU time' : 'VmHWM of /proc/self/status at the end of the child',
    raw: { ...j, timeKiB },
  };
}

function memLlamaBenchArgs(modelPath: string, threads: number, fa: string): string[] {
  return [...llamaBenchArgs(modelPath, { threads, fa, prompts: [0], gens: [MEM_TOKENS] }), '--progress'];
}

/**
 * llama-bench `-p 0 -n 500 --progress` in a fresh process. Peak RSS: GNU time's %M
 * (the kernel's ru_maxrss of the child, the counter Node's maxRSS reads) when
 * /usr/bin/time exists, else VmHWM of /proc/<pid>/status polled every millisecond.
 * Load time: the arrival times of its progress lines on stderr ('starting' is
 * printed before the model is loaded, the first 'warmup' line after the context exists).
 */
function runLlamaBenchMem(modelPath: string, threads: number, fa: string): Promise<MemRun> {
  const useTime = existsSync(TIME);
  const args = memLlamaBenchArgs(modelPath, threads, fa);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = useTime ? spawn(TIME, ['-f', '@@maxrss_kib=%M', LLAMA_BENCH, ...args]) : spawn(LLAMA_BENCH, args);
    let stdout = '';
    let stderr = '';
    let pending = '';
    const marks: Record<string, number> = {};
    let hwm = 0;
    const poll = useTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {
            // exited
          }
        }, 1);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const now = performance.now();
      stderr += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) {
        if (/: starting$/.test(l) && marks.starting === undefined) marks.starting = now;
        if (/: warmup /.test(l) && marks.warmup === undefined) marks.warmup = now;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      if (code !== 0) return reject(new Error(`llama-bench (memory run) exited with ${code}: ${stderr.slice(-2000)}`));
      const m = /@@maxrss_kib=(\d+)/.exec(stderr);
      const maxRssKiB = useTime ? Number(m?.[1]) : hwm;
      if (!maxRssKiB) return reject(new Error(`no peak RSS for llama-bench: ${stderr.slice(-500)}`));
      if (marks.starting === undefined || marks.warmup === undefined) return reject(new Error(`llama-bench printed no progress lines: ${stderr.slice(-500)}`));
      const rows = JSON.parse(stdout.slice(stdout.indexOf('['))) as LlamaBenchRow[];
      const row = llamaBenchRow(rows, 0, MEM_TOKENS);
      resolve({
        tool: 'llama-bench',
        initMs: marks.starting - t0,
        loadMs: null,
        contextMs: null,
        loadAndContextMs: marks.warmup - marks.starting,
        maxRssKiB,
        baselineKiB: null,
        tokens: row.n_gen,
        tokensPerSecond: row.avg_ts,
        method: useTime ? 'GNU time %M (ru_maxrss of the process)' : 'VmHWM of /proc/<pid>/status, polled every 1 ms',
        raw: { row: { n_gen: row.n_gen, avg_ts: row.avg_ts, n_ctx: row.n_ctx }, wallMs: performance.now() - t0 },
      });
    });
  });
}

interface MemRow {
  model: string;
  modelLabel: string;
  threads: number;
  tool: Tool;
  init: Stat | null;
  load: Stat | null;
  context: Stat | null;
  loadAndContext: Stat;
  maxRssMiB: Stat;
  baselineMiB: Stat | null;
  method: string;
  runs: MemRun[];
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const source = sourceState(); // before loading: the addon may be rebuilt while this runs
  const loadBefore = os.loadavg();
  const busy = busyWarning(loadBefore);
  if (busy) console.warn(`warning: ${busy}`);
  ensureLlamaBench([LLAMA_BENCH]);
  const models = selectModels(args.models);
  for (const m of models) ensureModel(m);
  setupNodeLlamaCpp();
  buildOursJs();

  const nlcInfo = await (async (): Promise<NlcInfo> => {
    const nlc = await ToolWorker.nodeLlamaCpp();
    try {
      return (await nlc.call<{ ms: number; info: NlcInfo }>('init')).info;
    } finally {
      await nlc.close();
    }
  })();
  console.log(
    `node-llama-cpp ${nlcInfo.version}: ${nlcInfo.buildType} binary, llama.cpp ${nlcInfo.llamaCppRelease.release}, CPU backend ${nlcInfo.cpuBackend ?? 'built in'}, gpu ${String(nlcInfo.gpu)}`,
  );
  const ourSystem = systemInfo();

  const runs: RunRecord[] = [];
  const rows: Row[] = [];
  const faResolved: Record<string, string> = {};
  let llamaBenchBuild = '';
  const nlcContexts: Record<string, unknown> = {};

  for (const m of models) {
    // In this process only to resolve flash attention 'auto' and read the vocabulary; every run is in a fresh process.
    const model = await loadModel(m.path);
    const bos = model.specialTokens.bos ?? 1;
    const vocabSize = model.vocabSize;
    for (const threads of args.threads) {
      // Our default is flashAttention 'auto'; the others get what it resolves to here.
      const resolved = await resolvedFlashAttention(model, threads);
      faResolved[`${m.id}/t${threads}`] = resolved;
      const fa = llamaBenchFa(resolved);
      const ppPrompt = (rep: number): number[] => randomPrompt(N_PROMPT, vocabSize, 1000 + rep);
      const ttftPrompt = (rep: number): number[] => randomPrompt(N_TTFT, vocabSize, 2000 + rep);
      console.log(`\n${m.label}, ${threads} thread${threads > 1 ? 's' : ''}: ${args.reps} interleaved run${args.reps > 1 ? 's' : ''}, each in a fresh process (flash attention ${fa})`);

      const llamaRun = (): RunRecord['llama-bench'] => {
        const r = runLlamaBench(m.path, { threads, fa, prompts: [N_PROMPT, N_TTFT], gens: [N_GEN] });
        const tg = llamaBenchRow(r, 0, N_GEN);
        llamaBenchBuild = `${tg.build_commit ?? '?'} (${tg.build_number ?? '?'})`;
        return { pp: llamaBenchRow(r, N_PROMPT, 0).avg_ts, ttft: llamaBenchRow(r, N_TTFT, 0).avg_ns / 1e6, tg: tg.avg_ts, rows: r };
      };
      // The same sequence for ours and node-llama-cpp, each in a fresh worker process as llama-bench is,
      // mirroring llama-bench's tests in its order: warm-up + pp512, warm-up + pp128 (TTFT), one-token warm-up + tg128.
      const oursRun = async (rep: number): Promise<RunRecord['ours']> => {
        const ours = await ToolWorker.ours();
        try {
          const loaded = await ours.call<{ bos: number | null }>('load', { modelPath: m.path });
          if (loaded.bos !== bos) throw new Error(`BOS differs: ${bos} in this process, ${loaded.bos} in the worker`);
          await ours.call('createContext', { threads });
          await ours.call('pp', { tokens: ppPrompt(-1) });
          const ppRun = await ours.call<PpRun>('pp', { tokens: ppPrompt(rep) });
          await ours.call('ttft', { tokens: ttftPrompt(-1) });
          const ttftRun = await ours.call<TtftRun>('ttft', { tokens: ttftPrompt(rep) });
          await ours.call('tg', { tokens: [bos], n: 1 });
          const tgRun = await ours.call<TgRun>('tg', { tokens: [bos], n: N_GEN });
          return { pp: ppRun.wallRate, ttft: ttftRun.ms, tg: tgRun.rate, ppRun, ttftRun, tgRun };
        } finally {
          await ours.close();
        }
      };
      const nlcRun = async (rep: number): Promise<RunRecord['node-llama-cpp']> => {
        const nlc = await ToolWorker.nodeLlamaCpp();
        try {
          const { bos: nlcBos } = await nlc.call<{ ms: number; bos: number | null }>('load', { modelPath: m.path });
          if (nlcBos !== bos) throw new Error(`BOS differs: ours ${bos}, node-llama-cpp ${nlcBos}`);
          const created = await nlc.call('createContext', { threads, contextSize: 1024, batchSize: BATCH, flashAttention: fa === 'auto' ? 'auto' : fa === 'on' });
          nlcContexts[`${m.id}/t${threads}`] ??= created;
          await nlc.call('pp', { tokens: ppPrompt(-1) });
          const ppRun = await nlc.call<{ ms: number; rate: number }>('pp', { tokens: ppPrompt(rep) });
          await nlc.call('ttft', { tokens: ttftPrompt(-1) });
          const ttftRun = await nlc.call<{ ms: number }>('ttft', { tokens: ttftPrompt(rep) });
          await nlc.call('tg', { tokens: [bos], n: 1 });
          const tgRun = await nlc.call<NlcTg>('tg', { tokens: [bos], n: N_GEN });
          if (tgRun.tokens !== N_GEN) throw new Error(`node-llama-cpp generated ${tgRun.tokens} tokens, expected ${N_GEN}`);
          return { pp: ppRun.rate, ttft: ttftRun.ms, tg: tgRun.rate, ppRun, ttftRun, tgRun };
        } finally {
          await nlc.close();
        }
      };

      for (let rep = 0; rep < args.reps; rep++) {
        const order = rotation(rep);
        const rec: Partial<RunRecord> = { model: m.id, threads, rep, order };
        for (const tool of order) {
          if (tool === 'llama-bench') rec['llama-bench'] = llamaRun();
          else if (tool === 'ours') rec.ours = await oursRun(rep);
          else rec['node-llama-cpp'] = await nlcRun(rep);
        }
        const r = rec as RunRecord;
        runs.push(r);
        const line = (k: keyof Measures, d: number): string => TOOLS.map((t) => r[t][k].toFixed(d)).join(' / ');
        console.log(
          `  run ${rep + 1} (order: ${order.join(', ')}) llama-bench / ours / node-llama-cpp: pp${N_PROMPT} ${line('pp', 0)} t/s | tg${N_GEN} ${line('tg', 1)} t/s | ttft${N_TTFT} ${line('ttft', 2)} ms`,
        );
      }
      const mine = runs.filter((r) => r.model === m.id && r.threads === threads);
      for (const t of TESTS) {
        const stats = Object.fromEntries(TOOLS.map((tool) => [tool, stat(mine.map((r) => r[tool][t.key]))])) as Record<Tool, Stat>;
        rows.push({
          model: m.id,
          modelLabel: m.label,
          threads,
          test: t.id,
          unit: t.unit,
          flashAttention: fa,
          stats,
          oursVsLlamaBench: stats.ours.median / stats['llama-bench'].median,
          oursVsNodeLlamaCpp: stats.ours.median / stats['node-llama-cpp'].median,
        });
      }
    }
    model.dispose();
  }

  // --- load time and peak RSS: fresh processes --------------------------------------
  const memThreads = args.memoryThreads ?? Math.max(...args.threads);
  const memReps = args.memoryReps ?? args.reps;
  const memRows: MemRow[] = [];
  if (args.memory) {
    for (const m of models) {
      const fa = llamaBenchFa(faResolved[`${m.id}/t${memThreads}`] ?? faResolved[Object.keys(faResolved).find((k) => k.startsWith(`${m.id}/`)) ?? ''] ?? 'enabled');
      const childArgs = [m.path, String(memThreads), String(MEM_CONTEXT), String(MEM_TOKENS), fa === 'off' ? 'off' : 'on'];
      console.log(`\n${m.label}: load time and peak RSS of a ${MEM_TOKENS}-token generation, ${memThreads} thread${memThreads > 1 ? 's' : ''}, ${memReps} fresh process${memReps > 1 ? 'es' : ''} per tool`);
      const mr: Record<Tool, MemRun[]> = { 'llama-bench': [], ours: [], 'node-llama-cpp': [] };
      for (let rep = 0; rep < memReps; rep++) {
        const order = rotation(rep);
        for (const tool of order) {
          if (tool === 'llama-bench') mr[tool].push(await runLlamaBenchMem(m.path, memThreads, fa));
          else if (tool === 'ours') mr[tool].push(runNodeChild(tool, OURS_CHILD, childArgs, ROOT, process.env));
          else mr[tool].push(runNodeChild(tool, NLC_WORKER, ['memory', ...childArgs], NLC_DIR, NLC_ENV));
        }
        console.log(
          `  run ${rep + 1} (order: ${order.join(', ')}) llama-bench / ours / node-llama-cpp: peak RSS ${TOOLS.map((t) => (mr[t][rep].maxRssKiB / 1024).toFixed(1)).join(' / ')} MiB | load + context ${TOOLS.map((t) =>
            mr[t][rep].loadAndContextMs.toFixed(1),
          ).join(' / ')} ms`,
        );
      }
      for (const tool of TOOLS) {
        const rs = mr[tool];
        const opt = (xs: (number | null)[]): Stat | null => (xs.every((x): x is number => x !== null) ? stat(xs) : null);
        memRows.push({
          model: m.id,
          modelLabel: m.label,
          threads: memThreads,
          tool,
          init: opt(rs.map((r) => r.initMs)),
          load: opt(rs.map((r) => r.loadMs)),
          context: opt(rs.map((r) => r.contextMs)),
          loadAndContext: stat(rs.map((r) => r.loadAndContextMs)),
          maxRssMiB: stat(rs.map((r) => r.maxRssKiB / 1024)),
          baselineMiB: opt(rs.map((r) => (r.baselineKiB === null ? null : r.baselineKiB / 1024))),
          method: rs[0].method,
          runs: rs,
        });
      }
    }
  }

  // --- report -----------------------------------------------------------------------
  const machine = { ...machineInfo(source, loadBefore), llamaCppBuild: ourSystem.llamaCppBuild, llamaBenchBuild };
  const command = `npm run bench:peers${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  const exampleFa = rows[0]?.flashAttention ?? 'on';
  const versions = {
    llamaCpp: `${machine.llamaCppCommit} (build ${machine.llamaCppBuild})`,
    llamaBench: `build ${llamaBenchBuild}, built ${machine.llamaBenchBuilt ?? 'unknown'} from vendor/llama.cpp with the addon's ggml settings`,
    ours: `llama-generate ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version} at ${codeLine(machine)}`,
    oursCpu: ourSystem.system,
    oursCpuVariant: ourSystem.modules?.cpuVariant || 'single',
    nodeLlamaCpp: `${nlcInfo.version} (${nlcInfo.buildType} binary from @node-llama-cpp/linux-x64, llama.cpp ${nlcInfo.llamaCppRelease.release}, CPU backend ${nlcInfo.cpuBackend ?? 'built in'})`,
    nodeLlamaCppCpu: nlcInfo.systemInfo,
    nodeLlamaCppInstalled: mtime(join(NLC_DIR, 'node_modules', 'node-llama-cpp', 'package.json')),
  };
  const settings = {
    command,
    reps: args.reps,
    order: 'run r uses the order (llama-bench, ours, node-llama-cpp) rotated by r',
    llamaBenchCommand: `bench/.llama/build/bin/llama-bench ${llamaBenchArgs('MODEL', { threads: 0, fa: exampleFa, prompts: [N_PROMPT, N_TTFT], gens: [N_GEN] })
      .join(' ')
      .replace('-t 0', '-t THREADS')}`,
    ours: {
      contextOptions: { ...contextOptions(0), threads: 'THREADS', threadsBatch: 'THREADS', flashAttention: 'auto (default)', threadPolling: `${POLL} (default)` },
      generation: GREEDY,
    },
    nodeLlamaCpp: {
      getLlama: "{ gpu: false, build: 'never', skipDownload: true, usePrebuiltBinaries: true, progressLogs: false }, env NODE_LLAMA_CPP_SKIP_DOWNLOAD=true",
      loadModel: '{ modelPath, gpuLayers: 0 }',
      createContext: `{ contextSize: 1024, batchSize: ${BATCH} (its ubatch = batch), threads: THREADS, flashAttention: ${exampleFa === 'on'}, sequences: 1 }`,
      contexts: nlcContexts,
    },
    flashAttentionResolved: faResolved,
    pp: `${N_PROMPT} random token ids (mulberry32, seed 1000 + run; a different prompt warms up), KV cache cleared first. llama-bench: its pp${N_PROMPT} (random ids, decode only, its own timer). ours: ${N_PROMPT} / wall clock of generate(prompt, { max_new_tokens: 1 }) from the call to the end of the stream (prompt decode + one sampled token); r.timings.promptMs rates are in the JSON (ppRun.rate). node-llama-cpp: ${N_PROMPT} / wall clock of sequence.evaluateWithoutGeneratingNewTokens(prompt) (no logits, no sampling)`,
    tg: `${N_GEN} tokens from [BOS], greedy. llama-bench: its tg${N_GEN} (${N_GEN} single-token decodes of random ids, no sampling). ours: generate([BOS], { max_new_tokens: ${N_GEN}, ignore_eos: true, do_sample: false }) consumed by for await; (tokens after the first chunk) / (first chunk to last chunk). node-llama-cpp: sequence.evaluate([BOS], { temperature: 0, yieldEogToken: true }) consumed by for await, stopped after ${N_GEN} tokens; (tokens after the first) / (first to last token). A token bias cannot ban EOS in node-llama-cpp, so with yieldEogToken an EOS is yielded and fed back like any other token (counted in eogTokens); ours bans EOS (ignore_eos) as llama.cpp does`,
    ttft: `${N_TTFT} random token ids (seed 2000 + run), cache cleared. llama-bench: the duration of its pp${N_TTFT} test (decode only: no tokenization, no sampling, no JS). ours: from the generate() call to the first chunk in the for-await consumer. node-llama-cpp: from the sequence.evaluate() call to its first yielded token`,
    memory: `a fresh process per tool and run: load the model (mmap, the default of all three), a context of ${MEM_CONTEXT} cells (batch ${BATCH}), ${memThreads} threads, a greedy ${MEM_TOKENS}-token generation from [BOS]. ours: plain node on lib/ transpiled to JS (bench/.peers/js, no tsx); node-llama-cpp: plain node, worker.js memory; llama-bench: \`${memLlamaBenchArgs('MODEL', memThreads, exampleFa).join(' ')}\` (its context: ${MEM_TOKENS} cells asked). Peak RSS of the node processes: process.resourceUsage().maxRSS at the end; llama-bench: ${memRows[0]?.method ?? 'n/a'}`,
    load: `ours: systemInfo() (addon + backend init), loadModel(), createContext(); node-llama-cpp: getLlama() (includes its binary test in a child process), llama.loadModel(), model.createContext(); llama-bench: spawn → its 'starting' progress line (process start, backend init), 'starting' → first 'warmup' line (model load + context creation + thread pool; not separable)`,
  };

  // tables
  const throughputRows = rows.filter((r) => r.test !== 'ttft128');
  const tTable = mdTable(
    ['model', 'threads', 'test', 'llama-bench t/s', 'llama-generate t/s', 'node-llama-cpp t/s', 'ours / llama-bench', 'ours / node-llama-cpp'],
    ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
    throughputRows.map((r) => [
      r.modelLabel,
      String(r.threads),
      r.test,
      fmt(r.stats['llama-bench']),
      fmt(r.stats.ours),
      fmt(r.stats['node-llama-cpp']),
      ratio(r.oursVsLlamaBench, 1),
      ratio(r.oursVsNodeLlamaCpp, 1),
    ]),
  );
  const ttftRows = rows.filter((r) => r.test === 'ttft128');
  const fTable = mdTable(
    ['model', 'threads', 'llama-bench pp128 ms', 'llama-generate ms', 'node-llama-cpp ms', 'ours / llama-bench', 'ours / node-llama-cpp'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ttftRows.map((r) => [
      r.modelLabel,
      String(r.threads),
      fmt(r.stats['llama-bench'], 2),
      fmt(r.stats.ours, 2),
      fmt(r.stats['node-llama-cpp'], 2),
      ratio(r.oursVsLlamaBench, 1),
      ratio(r.oursVsNodeLlamaCpp, 1),
    ]),
  );
  const lTable = mdTable(
    ['model', 'tool', 'backend init ms', 'model load ms', 'context ms', 'load + context ms'],
    ['l', 'l', 'r', 'r', 'r', 'r'],
    memRows.map((r) => [
      r.modelLabel,
      LABEL[r.tool],
      fmt(r.init, 1) + (r.tool === 'llama-bench' ? ' (process start)' : ''),
      r.load ? fmt(r.load, 1) : 'n/a',
      r.context ? fmt(r.context, 1) : 'n/a',
      fmt(r.loadAndContext, 1),
    ]),
  );
  const mTable = mdTable(
    ['model', 'tool', `peak RSS MiB (${MEM_TOKENS} tokens)`, 'after import, before load MiB', 'peak − before load MiB', 'tokens/s of that run', 'measured by'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'l'],
    memRows.map((r) => [
      r.modelLabel,
      LABEL[r.tool],
      fmt(r.maxRssMiB, 1),
      r.baselineMiB ? fmt(r.baselineMiB, 1) : 'n/a',
      r.baselineMiB ? num(r.maxRssMiB.median - r.baselineMiB.median, 1) : 'n/a',
      num(stat(r.runs.map((x) => x.tokensPerSecond ?? NaN)).median, 0),
      r.method,
    ]),
  );

  // the node children's maxRSS against their VmHWM and GNU time's %M
  const spread = memRows
    .filter((r) => r.tool !== 'llama-bench')
    .flatMap((r) => r.runs)
    .flatMap((x) => {
      const raw = x.raw as { maxRssKiB: number; hwmKiB: number | null; timeKiB: number | null };
      return [raw.hwmKiB, raw.timeKiB].filter((v): v is number => !!v).map((v) => Math.abs(v - raw.maxRssKiB) / raw.maxRssKiB);
    });
  const crossCheck = spread.length
    ? `Cross-check: in every node child, VmHWM and GNU time's %M were within ${(Math.max(...spread) * 100).toFixed(1)}% of its maxRSS.`
    : null;

  // chart
  const bar = (s: Stat): { median: number; min: number; max: number } => ({ median: s.median, min: s.min, max: s.max });
  const panels: Panel[] = [];
  for (const t of TESTS) {
    for (const m of models) {
      const rs = rows.filter((r) => r.model === m.id && r.test === t.id);
      if (!rs.length) continue;
      panels.push({
        title: `${m.label} · ${t.id === 'ttft128' ? `TTFT (${N_TTFT}-token prompt)` : t.id}`,
        unit: t.higherIsBetter ? `${t.unit} (higher is better)` : `${t.unit} (lower is better)`,
        groups: rs.map((r) => ({
          label: `${r.threads} thread${r.threads > 1 ? 's' : ''}`,
          values: Object.fromEntries(TOOLS.map((tool) => [tool, bar(r.stats[tool])])),
        })),
      });
    }
  }
  if (memRows.length) {
    for (const m of models) {
      const rs = memRows.filter((r) => r.model === m.id);
      if (!rs.length) continue;
      panels.push({
        title: `${m.label} · peak RSS, ${MEM_TOKENS} tokens`,
        unit: 'MiB (lower is better)',
        groups: [{ label: `${memThreads} thread${memThreads > 1 ? 's' : ''}, fresh process`, values: Object.fromEntries(rs.map((r) => [r.tool, bar(r.maxRssMiB)])) }],
      });
    }
  }
  const svg = renderChart({
    title: 'llama.cpp (llama-bench) · llama-generate · node-llama-cpp',
    subtitle: `${machine.cpu}, ${machine.cores} vCPUs, ${machine.os}, Node ${machine.node} · ${machine.date.slice(0, 10)} · commit ${machine.commit} · ${command}`,
    note: `Bars: median of ${args.reps} interleaved runs per tool (peak RSS: ${memReps} fresh processes); whiskers: min–max. TTFT: time to first token (llama-bench: its pp${N_TTFT} decode time).`,
    series: TOOLS.map((t) => ({ key: t, label: LABEL[t], color: COLOR[t] })),
    panels,
    columns: Math.min(2, models.length) || 1,
  });

  const md = [
    '# Peers: llama.cpp, llama-generate, node-llama-cpp (issue 6)',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}; ${machine.date}; load average ${machine.loadAverage.before[0]} before, ${machine.loadAverage.after[0]} after.`,
    '',
    `Versions: llama.cpp ${versions.llamaCpp}; llama-bench ${versions.llamaBench}; ours: ${versions.ours}; node-llama-cpp ${versions.nodeLlamaCpp}.`,
    `CPU backend chosen at run time: ours and llama-bench \`libggml-cpu-${versions.oursCpuVariant}\`; node-llama-cpp \`${nlcInfo.cpuBackend ?? 'built in'}\`.`,
    `CPU features: ours and llama-bench \`${versions.oursCpu.trim()}\`; node-llama-cpp \`${versions.nodeLlamaCppCpu.trim()}\`.`,
    '',
    `Method: ${args.reps} run${args.reps > 1 ? 's' : ''} per row and tool, interleaved (${settings.order}), each run in a fresh process of its tool (ours and node-llama-cpp: a new worker process, plain node; llama-bench: one invocation), each test warmed up right before it (llama-bench's own warm-up: the same prompt test, or a one-token generation before tg; the other two do the same). Median [min–max]; ratios are of medians.`,
    `llama-bench: \`${settings.llamaBenchCommand}\` (one invocation per run). Ours: \`createContext({ contextSize: 1024, batchSize: ${BATCH}, ubatchSize: ${UBATCH}, threads, threadsBatch: threads })\`, flash attention 'auto'. node-llama-cpp: getLlama(${settings.nodeLlamaCpp.getLlama.split(', env')[0]}), createContext(${settings.nodeLlamaCpp.createContext}). Flash attention resolved to: ${Object.entries(faResolved).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    `pp512: ${settings.pp}.`,
    '',
    `tg128: ${settings.tg}.`,
    '',
    `Time to first token: ${settings.ttft}.`,
    '',
    '![three-way benchmark](peers.svg)',
    '',
    ...tTable,
    '',
    `Every tg128 run produced exactly ${N_GEN} tokens on all three (checked); node-llama-cpp yielded ${runs.reduce((a, r) => a + r['node-llama-cpp'].tgRun.eogTokens, 0)} EOG tokens in all its tg128 runs together.`,
    '',
    `Time to first token (${N_TTFT}-token prompt; lower is better, so a ratio above 1 means ours is slower):`,
    '',
    ...fTable,
    '',
  ];
  if (memRows.length) {
    md.push(`Load time (fresh process, median [min–max] of ${memReps}): ${settings.load}.`, '', ...lTable, '');
    md.push(`Peak RSS: ${settings.memory}.`, '', ...mTable, '');
    if (crossCheck) md.push(crossCheck, '');
  }
  if (busy) md.push(`**Warning:** ${busy}.`, '');

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'peers.md'), md.join('\n'));
  writeFileSync(join(RESULTS, 'peers.svg'), svg);
  writeFileSync(
    join(RESULTS, 'peers.json'),
    JSON.stringify({ machine, versions, settings, rows, memory: memRows, runs }, null, 2) + '\n',
  );
  console.log('');
  console.log(tTable.join('\n'));
  console.log('\n' + fTable.join('\n'));
  if (memRows.length) console.log('\n' + lTable.join('\n') + '\n\n' + mTable.join('\n'));
  console.log(`\nload average ${machine.loadAverage.before.join(' ')} before, ${machine.loadAverage.after.join(' ')} after`);
  console.log(`wrote bench/results/peers.md, bench/results/peers.json and bench/results/peers.svg`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

