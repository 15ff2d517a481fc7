/**
 * Generation benchmark (issue 5): tokens per second of `context.generate()`
 * consumed by a `for await` loop, next to llama.cpp's own `llama-bench` built
 * from vendor/llama.cpp with the same ggml settings (scripts/build-llama-bench.js),
 * on the same model, threads, batch sizes and flash-attention setting, greedy.
 * Runs alternate between llama-bench and ours so machine noise hits both alike.
 * Then the aggregate throughput of 1, 2 and 4 concurrent streams on the 100M model.
 *
 * Usage:  npx tsx bench/generate.ts [--reps N] [--models a,b] [--threads 1,2] [--quick]
 *                                   [--skip-concurrency] [--llama-only]
 *   --reps N             alternating runs per row and side (default 7; median [min–max] reported)
 *   --models a,b         restrict to models whose id contains one of these
 *                        (ids: stories260K, random-100m-q8_0)
 *   --threads 1,2        thread counts (default 1,2)
 *   --quick              1 rep (smoke test)
 *   --skip-concurrency   skip the 1/2/4-stream aggregate throughput
 *   --llama-only         only llama-bench (also the fallback while context.generate() is missing)
 *
 * Writes bench/results/generate.md and bench/results/generate.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModel, setLogger, setLogLevel, systemInfo, type Context, type ContextOptions, type Model } from '../lib';
import { mulberry32 } from '../test/support/random';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
const LLAMA_BENCH = join(ROOT, 'bench', '.llama', 'bin', process.platform === 'win32' ? 'llama-bench.exe' : 'llama-bench');
const LLAMA_BATCHED_BENCH = join(ROOT, 'bench', '.llama', 'bin', process.platform === 'win32' ? 'llama-batched-bench.exe' : 'llama-batched-bench');

const MODELS = [
  { id: 'stories260K', label: 'stories260K', path: join(ROOT, 'models', 'stories260K.gguf'), make: null },
  {
    id: 'random-100m-q8_0',
    label: '100M Q8_0 (random)',
    path: join(ROOT, 'bench', 'models', 'random-llama-100m-q8_0.gguf'),
    make: 'bench:model',
  },
] as const;
type BenchModel = (typeof MODELS)[number];
const CONCURRENCY_MODEL = 'random-100m-q8_0';
const CONCURRENCY_THREADS = 2;
const STREAMS = [1, 2, 4];

const N_PROMPT = 512;
const N_GEN = 128;
const BATCH = 512;
const UBATCH = 512;
/** ggml's thread-pool polling: llama-bench's `--poll` default and our `threadPolling` default. */
const POLL = 50;

/** Goals of the issue. */
const MIN_RATIO = 0.95;
const MIN_SCALING_4 = 2.5;
/** A 1-minute load average above this before the run gets a warning in the output. */
const BUSY_LOAD = 0.5;

// ---------------------------------------------------------------------------
// The generate() contract, typed so this file compiles before (and is checked
// against the real signature after) `Context.generate` lands in lib/.
// ---------------------------------------------------------------------------
interface ContractChunk {
  tokens: number[];
  text: string;
}
interface ContractResult {
  usage: { promptTokens: number; cachedPromptTokens: number; completionTokens: number };
  timings: { promptMs: number; generationMs: number; promptTokensPerSecond: number; tokensPerSecond: number };
}
interface ContractGeneration extends AsyncIterable<ContractChunk> {
  result: Promise<ContractResult>;
}
type ContractGenerate = (
  tokens: number[] | Int32Array,
  config: { max_new_tokens: number; ignore_eos: boolean; do_sample: boolean },
  options?: { sequence?: number },
) => ContractGeneration;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type GenContext = Context extends { generate: (...args: any[]) => any } ? Context : Context & { generate: ContractGenerate };

const hasGenerate = (ctx: Context): boolean => typeof (ctx as unknown as { generate?: unknown }).generate === 'function';

// ---------------------------------------------------------------------------
// Arguments, statistics, formatting
// ---------------------------------------------------------------------------
interface Args {
  reps: number;
  models: string[] | null;
  threads: number[];
  concurrency: boolean;
  llamaOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { reps: 7, models: null, threads: [1, 2], concurrency: true, llamaOnly: false };
  const list = (v: string | undefined, name: string): string[] => {
    if (!v) throw new Error(`${name} needs a value`);
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--models') args.models = list(argv[++i], a);
    else if (a === '--threads') args.threads = list(argv[++i], a).map(Number);
    else if (a === '--quick') args.reps = 1;
    else if (a === '--skip-concurrency') args.concurrency = false;
    else if (a === '--llama-only') args.llamaOnly = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(Number.isInteger(args.reps) && args.reps >= 1)) throw new Error('--reps must be an integer >= 1');
  if (!args.threads.every((t) => Number.isInteger(t) && t >= 1)) throw new Error('--threads must be integers >= 1');
  return args;
}

interface Stat {
  mean: number;
  stddev: number;
  median: number;
  samples: number[];
}

/** Mean and sample standard deviation (as llama-bench reports: avg_ts, stddev_ts), and the median. */
function stat(samples: number[]): Stat {
  const n = samples.length;
  const mean = n ? samples.reduce((a, b) => a + b, 0) / n : NaN;
  const stddev = n > 1 ? Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const median = n ? (n % 2 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2) : NaN;
  return { mean, stddev, median, samples };
}

/** Median [min–max]: this VM's speed is bimodal run to run, so medians compare better than means. */
const ts = (s: Stat | null | undefined): string => {
  if (!s || !Number.isFinite(s.median)) return '–';
  const d = s.median < 100 ? 2 : 0;
  return `${s.median.toFixed(d)} [${Math.min(...s.samples).toFixed(d)}–${Math.max(...s.samples).toFixed(d)}]`;
};

// ---------------------------------------------------------------------------
// Preparation: llama-bench binary, models
// ---------------------------------------------------------------------------
function ensureLlamaBench(): void {
  if (existsSync(LLAMA_BENCH) && existsSync(LLAMA_BATCHED_BENCH)) return;
  console.log('llama-bench not built yet: running scripts/build-llama-bench.js (several minutes the first time)');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-llama-bench.js')], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(LLAMA_BENCH) || !existsSync(LLAMA_BATCHED_BENCH)) throw new Error('building llama-bench failed (see above); try `npm run bench:llama`');
}

function ensureModel(m: BenchModel): void {
  if (existsSync(m.path)) return;
  if (!m.make) throw new Error(`model ${m.path} is missing`);
  console.log(`${relative(ROOT, m.path)} missing: running \`npm run ${m.make}\``);
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', m.make], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0 || !existsSync(m.path)) throw new Error(`\`npm run ${m.make}\` did not produce ${m.path}`);
}

// ---------------------------------------------------------------------------
// llama-bench
// ---------------------------------------------------------------------------
interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
  stddev_ts: number;
  samples_ts?: number[];
  build_commit?: string;
  build_number?: number;
  cpu_info?: string;
  backends?: string;
  flash_attn?: unknown;
  n_threads?: number;
  [key: string]: unknown;
}

function llamaBenchArgs(modelPath: string, threads: number, fa: string, reps: number): string[] {
  return [
    '-m', modelPath,
    '-t', String(threads),
    '-p', String(N_PROMPT),
    '-n', String(N_GEN),
    '-b', String(BATCH),
    '-ub', String(UBATCH),
    '-ngl', '0',
    '-fa', fa,
    '--poll', String(POLL),
    '-r', String(reps),
    '-o', 'json',
  ];
}

/** One llama-bench invocation (pp512 and tg128, one repetition each, after its own warm-up). */
function runLlamaBench(modelPath: string, threads: number, fa: string): { pp: LlamaBenchRow; tg: LlamaBenchRow } {
  const out = execFileSync(LLAMA_BENCH, llamaBenchArgs(modelPath, threads, fa, 1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const start = out.indexOf('[');
  const rows = JSON.parse(out.slice(start)) as LlamaBenchRow[];
  const pp = rows.find((r) => r.n_prompt === N_PROMPT && r.n_gen === 0);
  const tg = rows.find((r) => r.n_prompt === 0 && r.n_gen === N_GEN);
  if (!pp || !tg) throw new Error(`llama-bench output lacks pp${N_PROMPT}/tg${N_GEN}: ${out.slice(0, 500)}`);
  return { pp, tg };
}

// ---------------------------------------------------------------------------
// Ours
// ---------------------------------------------------------------------------
function contextOptions(threads: number, sequences = 1, contextSize = 1024): ContextOptions {
  return { contextSize, batchSize: BATCH, ubatchSize: UBATCH, threads, threadsBatch: threads, sequences };
}

/** What flash attention 'auto' resolved to, from llama.cpp's log while a context is created. */
async function resolvedFlashAttention(model: Model, threads: number): Promise<'enabled' | 'disabled' | 'unknown'> {
  let log = '';
  setLogger((_level, text) => {
    log += text;
  });
  setLogLevel('info');
  try {
    const ctx = await model.createContext(contextOptions(threads));
    ctx.dispose();
    await new Promise((r) => setTimeout(r, 100)); // log messages arrive asynchronously
  } finally {
    setLogLevel('none');
    setLogger(null);
  }
  if (/Flash Attention enabled/i.test(log)) return 'enabled';
  if (/Flash Attention not supported|flash_attn\s*=\s*(0|disabled)/i.test(log)) return 'disabled';
  return 'unknown';
}

interface PpRun {
  /** 512 / r.timings.promptMs: the headline for pp. */
  rate: number;
  /** 512 / (wall-clock from the generate() call to the end of the stream). */
  wallRate: number;
  promptMs: number;
  promptTokensPerSecond: number;
  cachedPromptTokens: number;
}

interface TgRun {
  /** (tokens after the first chunk) / (time from the first chunk to the last), in the consumer. */
  rate: number;
  /** r.timings.tokensPerSecond */
  reported: number;
  tokens: number;
  completionTokens: number;
  chunks: number;
  elapsedMs: number;
}

function randomPrompt(n: number, vocabSize: number, seed: number): number[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => 3 + Math.floor(rand() * (vocabSize - 3)));
}

const GREEDY = { ignore_eos: true, do_sample: false } as const;

async function runOursPp(ctx: GenContext, prompt: number[]): Promise<PpRun> {
  await ctx.clear();
  const t0 = performance.now();
  const gen = ctx.generate(prompt, { max_new_tokens: 1, ...GREEDY });
  for await (const chunk of gen) void chunk;
  const t1 = performance.now();
  const r = await gen.result;
  if (r.usage.cachedPromptTokens !== 0) throw new Error(`pp run reused ${r.usage.cachedPromptTokens} cached prompt tokens`);
  if (r.usage.promptTokens !== prompt.length) throw new Error(`pp run: usage.promptTokens ${r.usage.promptTokens} != ${prompt.length}`);
  return {
    rate: prompt.length / (r.timings.promptMs / 1000),
    wallRate: prompt.length / ((t1 - t0) / 1000),
    promptMs: r.timings.promptMs,
    promptTokensPerSecond: r.timings.promptTokensPerSecond,
    cachedPromptTokens: r.usage.cachedPromptTokens,
  };
}

async function runOursTg(ctx: GenContext, bos: number): Promise<TgRun> {
  await ctx.clear();
  const gen = ctx.generate([bos], { max_new_tokens: N_GEN, ...GREEDY });
  let tokens = 0;
  let firstTokens = 0;
  let chunks = 0;
  let first = 0;
  let last = 0;
  for await (const chunk of gen) {
    const now = performance.now();
    const n = chunk.tokens.length;
    if (n === 0) continue;
    if (tokens === 0) {
      first = now;
      firstTokens = n;
    }
    tokens += n;
    chunks++;
    last = now;
  }
  const r = await gen.result;
  if (tokens !== N_GEN) throw new Error(`tg run streamed ${tokens} tokens, expected ${N_GEN}`);
  if (r.usage.completionTokens !== tokens) throw new Error(`tg run: usage.completionTokens ${r.usage.completionTokens} != ${tokens} streamed`);
  return {
    rate: (tokens - firstTokens) / ((last - first) / 1000),
    reported: r.timings.tokensPerSecond,
    tokens,
    completionTokens: r.usage.completionTokens,
    chunks,
    elapsedMs: last - first,
  };
}

interface StreamsRun {
  streams: number;
  totalTokens: number;
  wallMs: number;
  /** total tokens / (start to last token) */
  aggregate: number;
  perStream: { tokens: number; firstMs: number; lastMs: number }[];
}

/** S generations at once, one per sequence, each consumed by its own for-await loop. */
async function runStreams(ctx: GenContext, streams: number, bos: number, vocabSize: number): Promise<StreamsRun> {
  await ctx.clear();
  const start = performance.now();
  const consume = async (s: number): Promise<{ tokens: number; firstMs: number; lastMs: number }> => {
    // a distinct short prompt per stream: BOS + one token
    const gen = ctx.generate([bos, 3 + ((s * 97) % (vocabSize - 3))], { max_new_tokens: N_GEN, ...GREEDY }, { sequence: s });
    let tokens = 0;
    let firstMs = 0;
    let lastMs = 0;
    for await (const chunk of gen) {
      if (chunk.tokens.length === 0) continue;
      const now = performance.now() - start;
      if (tokens === 0) firstMs = now;
      tokens += chunk.tokens.length;
      lastMs = now;
    }
    const r = await gen.result;
    if (r.usage.cachedPromptTokens !== 0) throw new Error(`stream ${s} reused ${r.usage.cachedPromptTokens} cached prompt tokens`);
    if (tokens !== N_GEN || r.usage.completionTokens !== N_GEN) {
      throw new Error(`stream ${s}: ${tokens} tokens streamed, ${r.usage.completionTokens} reported, expected ${N_GEN}`);
    }
    return { tokens, firstMs, lastMs };
  };
  const perStream = await Promise.all(Array.from({ length: streams }, (_, s) => consume(s)));
  const wallMs = Math.max(...perStream.map((p) => p.lastMs));
  const totalTokens = perStream.reduce((a, p) => a + p.tokens, 0);
  return { streams, totalTokens, wallMs, aggregate: totalTokens / (wallMs / 1000), perStream };
}

/** llama.cpp's llama-batched-bench arguments for S streams, the same shape as runStreams(). */
function batchedBenchArgs(modelPath: string, streams: number, fa: string): string[] {
  return [
    '-m', modelPath, '-c', String(256 * streams), '-b', String(BATCH), '-ub', String(UBATCH),
    '-npp', '2', '-ntg', String(N_GEN), '-npl', String(streams),
    '-t', String(CONCURRENCY_THREADS), '-tb', String(CONCURRENCY_THREADS), '-fa', fa, '--poll', String(POLL),
    // as our contexts: one unified KV buffer when there are several sequences
    streams > 1 ? '-kvu' : '-no-kvu',
    '--output-format', 'jsonl',
  ];
}

/** One llama-batched-bench run: generated tokens / (prompt + generation time), like our aggregate. */
function runBatchedBench(modelPath: string, streams: number, fa: string): number {
  const r = spawnSync(LLAMA_BATCHED_BENCH, batchedBenchArgs(modelPath, streams, fa), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`llama-batched-bench failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`llama-batched-bench printed no result: ${r.stdout.slice(-500)}`);
  const j = JSON.parse(line) as { pl: number; tg: number; t: number };
  return (j.pl * j.tg) / j.t;
}

// ---------------------------------------------------------------------------
// Provenance
// ---------------------------------------------------------------------------
function git(cwd: string, ...args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function llamaCppCommit(): string {
  const head = git(join(ROOT, 'vendor', 'llama.cpp'), 'rev-parse', 'HEAD');
  if (head && /^[0-9a-f]{40}$/.test(head)) return head;
  try {
    const m = /llama\.cpp commit \| `([0-9a-f]{40})`/.exec(readFileSync(join(ROOT, 'vendor', 'README.md'), 'utf8'));
    if (m) return m[1];
  } catch {
    // no README
  }
  return 'unknown';
}

/** Which code was measured (as bench/sampler.ts records it). */
function sourceState(): { commit: string; libDirty: boolean | null; nativeDirty: boolean | null; addonBuilt: string | null; llamaBenchBuilt: string | null } {
  const dirty = (dir: string): boolean | null => {
    const s = git(ROOT, 'status', '--porcelain', '--', dir);
    return s === null ? null : s.length > 0;
  };
  const mtime = (p: string): string | null => {
    try {
      return statSync(p).mtime.toISOString();
    } catch {
      return null;
    }
  };
  return {
    commit: git(ROOT, 'rev-parse', '--short', 'HEAD') ?? 'unknown',
    libDirty: dirty('lib'),
    nativeDirty: dirty('native'),
    addonBuilt: mtime(join(ROOT, 'build', 'Release', 'llama_generate.node')),
    llamaBenchBuilt: mtime(LLAMA_BENCH),
  };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------
interface Row {
  model: string;
  modelLabel: string;
  threads: number;
  test: 'pp512' | 'tg128';
  flashAttention: string;
  llama: Stat;
  ours: Stat | null;
  /** pp: wall-clock rate incl. the first sampled token; tg: r.timings.tokensPerSecond */
  oursSecondary: Stat | null;
  ratio: number | null;
  meetsGoal: boolean | null;
  llamaRuns: LlamaBenchRow[];
  oursRuns: (PpRun | TgRun)[];
}

interface ConcurrencyRow {
  streams: number;
  aggregate: Stat;
  /** llama-batched-bench, same shape, alternating with ours */
  llama: Stat;
  llamaRuns: number[];
  /** llama-batched-bench's own S streams / 1 stream */
  llamaVsOne: number | null;
  perStreamMean: number;
  vsOne: number | null;
  runs: StreamsRun[];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const source = sourceState(); // before loading: the addon may be rebuilt while this runs
  const loadBefore = os.loadavg();
  if (loadBefore[0] > BUSY_LOAD) {
    console.warn(`warning: 1-minute load average ${loadBefore[0].toFixed(2)} before the run: other work on the machine will skew the results`);
  }
  ensureLlamaBench();
  const models = MODELS.filter((m) => !args.models || args.models.some((s) => m.id.toLowerCase().includes(s.toLowerCase())));
  if (models.length === 0) throw new Error(`--models matched none of ${MODELS.map((m) => m.id).join(', ')}`);
  for (const m of models) ensureModel(m);

  const rows: Row[] = [];
  const concurrency: ConcurrencyRow[] = [];
  let llamaOnly = args.llamaOnly;
  let faNote = '';
  const faResolved: Record<string, string> = {};
  let llamaBenchBuild = '';

  for (const m of models) {
    const model = await loadModel(m.path);
    const vocabSize = model.vocabSize;
    const bos = model.specialTokens.bos ?? 1;
    for (const threads of args.threads) {
      // Our default is flashAttention 'auto'; give llama-bench what it resolves to here.
      const resolved = await resolvedFlashAttention(model, threads);
      faResolved[`${m.id}/t${threads}`] = resolved;
      const fa = resolved === 'enabled' ? 'on' : resolved === 'disabled' ? 'off' : 'auto';
      faNote = `ours: flashAttention 'auto' (the default), which resolved to '${resolved}'; llama-bench: -fa ${fa}`;

      const ctx = (await model.createContext(contextOptions(threads))) as GenContext;
      if (!llamaOnly && !hasGenerate(ctx)) {
        console.warn('context.generate() is not available in lib/ yet: measuring llama-bench only');
        llamaOnly = true;
      }
      console.log(`\n${m.label}, ${threads} thread${threads > 1 ? 's' : ''}: ${args.reps} alternating run${args.reps > 1 ? 's' : ''} (llama-bench -fa ${fa})`);
      const prompt = (rep: number): number[] => randomPrompt(N_PROMPT, vocabSize, 1000 + rep);
      if (!llamaOnly) {
        // warm-up, as llama-bench does before its runs
        await runOursPp(ctx, prompt(-1));
        await runOursTg(ctx, bos);
      }
      const lPp: LlamaBenchRow[] = [];
      const lTg: LlamaBenchRow[] = [];
      const oPp: PpRun[] = [];
      const oTg: TgRun[] = [];
      const llamaRun = (): void => {
        const r = runLlamaBench(m.path, threads, fa);
        lPp.push(r.pp);
        lTg.push(r.tg);
        llamaBenchBuild = `${r.tg.build_commit ?? '?'} (${r.tg.build_number ?? '?'})`;
      };
      const oursRun = async (rep: number): Promise<void> => {
        // Each llama-bench invocation warms up right before each test (a full
        // pp512, a one-token generation); do the same: after an idle gap this
        // VM's first decode runs up to 40% slower.
        await runOursPp(ctx, prompt(-1));
        oPp.push(await runOursPp(ctx, prompt(rep)));
        await ctx.generate([bos], { max_new_tokens: 1, ...GREEDY }).result;
        oTg.push(await runOursTg(ctx, bos));
      };
      for (let rep = 0; rep < args.reps; rep++) {
        // alternate which side goes first, so drift hits both alike
        if (llamaOnly) llamaRun();
        else if (rep % 2 === 0) {
          llamaRun();
          await oursRun(rep);
        } else {
          await oursRun(rep);
          llamaRun();
        }
        const last = (xs: { rate: number }[]): string => (xs.length ? xs[xs.length - 1].rate.toFixed(1) : '–');
        console.log(
          `  run ${rep + 1}: pp${N_PROMPT} llama-bench ${lPp[lPp.length - 1].avg_ts.toFixed(1)} ours ${last(oPp)} t/s | ` +
            `tg${N_GEN} llama-bench ${lTg[lTg.length - 1].avg_ts.toFixed(1)} ours ${last(oTg)} t/s`,
        );
      }
      ctx.dispose();
      for (const [test, lr, or] of [
        ['pp512', lPp, oPp],
        ['tg128', lTg, oTg],
      ] as const) {
        const llama = stat(lr.map((r) => r.avg_ts));
        const ours = or.length ? stat(or.map((r) => r.rate)) : null;
        const secondary = or.length
          ? stat(or.map((r) => ('wallRate' in r ? r.wallRate : r.reported)))
          : null;
        const ratio = ours ? ours.median / llama.median : null;
        rows.push({
          model: m.id,
          modelLabel: m.label,
          threads,
          test,
          flashAttention: fa,
          llama,
          ours,
          oursSecondary: secondary,
          ratio,
          meetsGoal: ratio === null ? null : ratio >= MIN_RATIO,
          llamaRuns: lr,
          oursRuns: or,
        });
      }
    }

    if (args.concurrency && !llamaOnly && m.id === CONCURRENCY_MODEL) {
      console.log(`\n${m.label}, ${CONCURRENCY_THREADS} threads: aggregate throughput of ${STREAMS.join(', ')} concurrent streams`);
      for (const streams of STREAMS) {
        const ctx = (await model.createContext(
          contextOptions(CONCURRENCY_THREADS, streams, 256 * streams),
        )) as GenContext;
        const fa = (await resolvedFlashAttention(model, CONCURRENCY_THREADS)) === 'disabled' ? 'off' : 'on';
        await runStreams(ctx, streams, bos, vocabSize); // warm-up
        runBatchedBench(m.path, streams, fa);
        const runs: StreamsRun[] = [];
        const llamaRuns: number[] = [];
        for (let rep = 0; rep < args.reps; rep++) {
          // alternate which side goes first, as for the rows above
          if (rep % 2 === 0) llamaRuns.push(runBatchedBench(m.path, streams, fa));
          runs.push(await runStreams(ctx, streams, bos, vocabSize));
          if (rep % 2 === 1) llamaRuns.push(runBatchedBench(m.path, streams, fa));
        }
        ctx.dispose();
        const aggregate = stat(runs.map((r) => r.aggregate));
        const llama = stat(llamaRuns);
        concurrency.push({ streams, aggregate, llama, llamaRuns, llamaVsOne: null, perStreamMean: aggregate.median / streams, vsOne: null, runs });
        console.log(`  ${streams} stream${streams > 1 ? 's' : ''}: ours ${ts(aggregate)} t/s aggregate, llama-batched-bench ${ts(llama)} t/s`);
      }
      const one = concurrency.find((c) => c.streams === 1);
      for (const c of concurrency) {
        c.vsOne = one ? c.aggregate.median / one.aggregate.median : null;
        c.llamaVsOne = one ? c.llama.median / one.llama.median : null;
      }
    }
    model.dispose();
  }

  // --- report -----------------------------------------------------------------
  let lib: { llamaCppBuild?: unknown } = {};
  try {
    lib = systemInfo() as { llamaCppBuild?: unknown };
  } catch {
    // addon unavailable
  }
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    llamaCppCommit: llamaCppCommit(),
    llamaCppBuild: lib.llamaCppBuild ?? null,
    llamaBenchBuild,
    date: new Date().toISOString(),
    /** 1/5/15-minute load averages before and after: other work on the machine skews both sides. */
    loadAverage: { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)) },
    ...source,
  };
  const command = `npx tsx bench/generate.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
  const exampleFa = rows[0]?.flashAttention ?? 'on';
  const settings = {
    command,
    reps: args.reps,
    llamaOnly,
    llamaBenchCommand: `bench/.llama/bin/llama-bench ${llamaBenchArgs('MODEL', 0, exampleFa, 1).join(' ').replace('-t 0', '-t THREADS')}`,
    contextOptions: { ...contextOptions(0), threads: 'THREADS', threadsBatch: 'THREADS', flashAttention: 'auto (default)', threadPolling: `${POLL} (default)` },
    generation: { ...GREEDY, max_new_tokens: { pp512: 1, tg128: N_GEN } },
    flashAttention: faNote,
    flashAttentionResolved: faResolved,
    pp: `${N_PROMPT} random token ids in [3, vocab) (mulberry32, seed 1000 + run), context cleared first; rate = ${N_PROMPT} / r.timings.promptMs`,
    tg: `prompt [BOS], ${N_GEN} new tokens, greedy, ignore_eos; rate = (tokens after the first chunk) / (first chunk to last chunk), measured in the for-await consumer`,
    concurrency: `${CONCURRENCY_MODEL}, ${CONCURRENCY_THREADS} threads, sequences = streams, contextSize 256 × streams; each stream [BOS, distinct token], ${N_GEN} new tokens; aggregate = all tokens / (start to last token); llama-batched-bench: \`bench/.llama/bin/llama-batched-bench ${batchedBenchArgs('MODEL', 0, 'on').join(' ').replace(/-c 0|-npl 0|-no-kvu/g, (x) => ({ '-c 0': '-c 256×S', '-npl 0': '-npl S', '-no-kvu': '-kvu (S > 1)' })[x]!)}\`, rate = S × ${N_GEN} / (t_pp + t_tg)`,
    goals: { minRatio: MIN_RATIO, minScaling4: MIN_SCALING_4 },
  };

  const goalCell = (r: Row): string => (r.meetsGoal === null ? '–' : r.meetsGoal ? `≥ ${MIN_RATIO} ✓` : `< ${MIN_RATIO} ✗`);
  const table = [
    '| model | threads | test | llama-bench t/s | ours t/s | ours / llama-bench | goal | ours, other measure |',
    '|---|---:|---|---:|---:|---:|---|---:|',
    ...rows.map(
      (r) =>
        `| ${r.modelLabel} | ${r.threads} | ${r.test} | ${ts(r.llama)} | ${ts(r.ours)} | ${r.ratio === null ? '–' : r.ratio.toFixed(3) + '×'} | ${goalCell(r)} | ${
          r.oursSecondary ? `${ts(r.oursSecondary)} (${r.test === 'pp512' ? 'wall clock' : 'r.timings'})` : '–'
        } |`,
    ),
  ];
  const cTable = concurrency.length
    ? [
        '| streams | ours aggregate t/s | per stream t/s | ours vs 1 stream | llama-batched-bench t/s | its vs 1 stream | ours / llama-batched-bench | goal |',
        '|---:|---:|---:|---:|---:|---:|---:|---|',
        ...concurrency.map(
          (c) =>
            `| ${c.streams} | ${ts(c.aggregate)} | ${c.perStreamMean.toFixed(2)} | ${c.vsOne === null ? '–' : c.vsOne.toFixed(2) + '×'} | ${ts(c.llama)} | ${
              c.llamaVsOne === null ? '–' : c.llamaVsOne.toFixed(2) + '×'
            } | ${(c.aggregate.median / c.llama.median).toFixed(3)}× | ${
              c.streams === 4 && c.vsOne !== null ? (c.vsOne >= MIN_SCALING_4 ? `≥ ${MIN_SCALING_4}× ✓` : `< ${MIN_SCALING_4}× ✗`) : ''
            } |`,
        ),
      ]
    : [];
  const measured = rows.filter((r) => r.ratio !== null);
  const worst = measured.reduce<Row | null>((w, r) => (w === null || (r.ratio ?? Infinity) < (w.ratio ?? Infinity) ? r : w), null);
  const four = concurrency.find((c) => c.streams === 4);
  const goals = [
    measured.length
      ? `every row ≥ ${MIN_RATIO}× llama-bench: ${measured.filter((r) => r.meetsGoal).length}/${measured.length} rows` +
        (worst ? ` (lowest ${worst.ratio!.toFixed(3)}×: ${worst.modelLabel} t${worst.threads} ${worst.test})` : '') +
        (measured.every((r) => r.meetsGoal) ? ' ✓' : ' ✗')
      : `every row ≥ ${MIN_RATIO}× llama-bench: not measured (llama-bench only)`,
    four && four.vsOne !== null
      ? `4 streams ≥ ${MIN_SCALING_4}× one stream: ${four.vsOne.toFixed(2)}× ${four.vsOne >= MIN_SCALING_4 ? '✓' : '✗'}`
      : `4 streams ≥ ${MIN_SCALING_4}× one stream: not measured`,
  ];
  const md = [
    '# Generation benchmark (issue 5)',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}; llama.cpp ${machine.llamaCppCommit.slice(0, 12)} (llama-bench build ${machine.llamaBenchBuild}); ${machine.date}; load average ${machine.loadAverage.before[0]} before, ${machine.loadAverage.after[0]} after.`,
    '',
    `Code: commit ${machine.commit}${machine.libDirty ? ' + uncommitted changes under lib/' : ''}${machine.nativeDirty ? ' + uncommitted changes under native/' : ''}; addon built ${machine.addonBuilt ?? 'unknown'}; llama-bench built ${machine.llamaBenchBuilt ?? 'unknown'}.`,
    '',
    `llama-bench: \`${settings.llamaBenchCommand}\`, one repetition per invocation; ours: \`createContext({ contextSize: 1024, batchSize: ${BATCH}, ubatchSize: ${UBATCH}, threads, threadsBatch: threads })\`, greedy, \`ignore_eos\`.`,
    `${args.reps} run${args.reps > 1 ? 's' : ''} per side, alternating (llama-bench first on odd runs, ours first on even ones), each test warmed up right before it on both sides (llama-bench's own warm-up: the same pp512, a one-token generation); median [min–max] of tokens/s; ratios are of medians.`,
    `Flash attention: ${faNote}.`,
    `pp512: ${settings.pp}. tg128: ${settings.tg}.`,
    '',
    ...table,
    '',
  ];
  if (cTable.length) md.push(`Concurrent streams: ${settings.concurrency}.`, '', ...cTable, '');
  md.push(`Goals: ${goals.join('; ')}.`, '');
  if (machine.loadAverage.before[0] > BUSY_LOAD) {
    md.push(`**Warning:** the 1-minute load average was ${machine.loadAverage.before[0]} before the run: other work on the machine may have skewed these numbers.`, '');
  }

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'generate.md'), md.join('\n'));
  writeFileSync(join(RESULTS, 'generate.json'), JSON.stringify({ machine, settings, rows, concurrency, goals }, null, 2) + '\n');
  console.log('');
  console.log(table.join('\n'));
  if (cTable.length) console.log('\n' + cTable.join('\n'));
  console.log(`\nGoals: ${goals.join('\n       ')}`);
  console.log(`\nwrote ${join('bench', 'results', 'generate.md')} and ${join('bench', 'results', 'generate.json')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
