/**
 * Helpers shared by the generation benchmarks (bench/generate.ts, bench/peers.ts):
 * paths, the benchmark models, llama-bench invocation, our pp/tg runs,
 * statistics, provenance (git, build times, machine) and markdown tables.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setLogger, setLogLevel, type Context, type ContextOptions, type Model } from '../lib';
import { mulberry32 } from '../test/support/random';

export const ROOT = resolve(__dirname, '..');
export const RESULTS = join(ROOT, 'bench', 'results');
const exe = (tool: string): string => join(ROOT, 'bench', '.llama', 'build', 'bin', process.platform === 'win32' ? `${tool}.exe` : tool);
export const LLAMA_BENCH = exe('llama-bench');
export const LLAMA_BATCHED_BENCH = exe('llama-batched-bench');

export const MODELS = [
  { id: 'stories260K', label: 'stories260K', path: join(ROOT, 'models', 'stories260K.gguf'), make: null },
  {
    id: 'random-100m-q8_0',
    label: '100M Q8_0 (random)',
    path: join(ROOT, 'bench', 'models', 'random-llama-100m-q8_0.gguf'),
    make: 'bench:model',
  },
] as const;
export type BenchModel = (typeof MODELS)[number];

export const N_PROMPT = 512;
export const N_GEN = 128;
export const BATCH = 512;
export const UBATCH = 512;
/** ggml's thread-pool polling: llama-bench's `--poll` default and our `threadPolling` default. */
export const POLL = 50;
/** A 1-minute load average above this before the run gets a warning in the output. */
export const BUSY_LOAD = 0.5;

/** Greedy, never stopping at EOS (llama-bench never samples, so never stops). */
export const GREEDY = { ignore_eos: true, do_sample: false } as const;

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------
/** `--flag a,b` → ['a', 'b'] */
export function listArg(value: string | undefined, name: string): string[] {
  if (!value) throw new Error(`${name} needs a value`);
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The models whose id contains one of `filters` (all when null). */
export function selectModels(filters: string[] | null): BenchModel[] {
  const models = MODELS.filter((m) => !filters || filters.some((s) => m.id.toLowerCase().includes(s.toLowerCase())));
  if (models.length === 0) throw new Error(`--models matched none of ${MODELS.map((m) => m.id).join(', ')}`);
  return models;
}

// ---------------------------------------------------------------------------
// Statistics and formatting
// ---------------------------------------------------------------------------
export interface Stat {
  mean: number;
  stddev: number;
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** Mean and sample standard deviation (as llama-bench reports: avg_ts, stddev_ts), median, min, max. */
export function stat(samples: number[]): Stat {
  const n = samples.length;
  const mean = n ? samples.reduce((a, b) => a + b, 0) / n : NaN;
  const stddev = n > 1 ? Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const median = n ? (n % 2 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2) : NaN;
  return { mean, stddev, median, min: n ? sorted[0] : NaN, max: n ? sorted[n - 1] : NaN, samples };
}

/** A number with 2 decimals under 100, none above. */
export function num(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return '–';
  return x.toFixed(digits ?? (Math.abs(x) < 100 ? 2 : 0));
}

/** Median [min–max]: this VM's speed is bimodal run to run, so medians compare better than means. */
export function ts(s: Stat | null | undefined, digits?: number): string {
  if (!s || !Number.isFinite(s.median)) return '–';
  const d = digits ?? (s.median < 100 ? 2 : 0);
  return `${s.median.toFixed(d)} [${s.min.toFixed(d)}–${s.max.toFixed(d)}]`;
}

/** `a / b` as `0.953×`, or '–'. */
export function ratio(a: number | null | undefined, b: number | null | undefined, digits = 3): string {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(digits)}×`;
}

/** A GitHub markdown table; `align` has 'l' or 'r' per column. */
export function mdTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

// ---------------------------------------------------------------------------
// Preparation: llama-bench binaries, models
// ---------------------------------------------------------------------------
/** Builds llama-bench (and llama-batched-bench) through scripts/build-llama-bench.js when one of `tools` is missing. */
export function ensureLlamaBench(tools: string[] = [LLAMA_BENCH, LLAMA_BATCHED_BENCH]): void {
  if (tools.every((t) => existsSync(t))) return;
  console.log('llama-bench not built yet: running scripts/build-llama-bench.js (several minutes the first time)');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-llama-bench.js')], { stdio: 'inherit' });
  if (r.status !== 0 || !tools.every((t) => existsSync(t))) throw new Error('building llama-bench failed (see above); try `npm run bench:llama`');
}

export function ensureModel(m: BenchModel): void {
  if (existsSync(m.path)) return;
  if (!m.make) throw new Error(`model ${m.path} is missing`);
  console.log(`${relative(ROOT, m.path)} missing: running \`npm run ${m.make}\``);
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', m.make], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0 || !existsSync(m.path)) throw new Error(`\`npm run ${m.make}\` did not produce ${m.path}`);
}

// ---------------------------------------------------------------------------
// llama-bench
// ---------------------------------------------------------------------------
export interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ns: number;
  avg_ts: number;
  stddev_ts: number;
  samples_ns?: number[];
  samples_ts?: number[];
  build_commit?: string;
  build_number?: number;
  cpu_info?: string;
  backends?: string;
  flash_attn?: unknown;
  n_threads?: number;
  [key: string]: unknown;
}

export interface LlamaBenchOptions {
  threads: number;
  /** -fa value: on, off or auto */
  fa: string;
  reps?: number;
  /** -p values (default [N_PROMPT]) */
  prompts?: number[];
  /** -n values (default [N_GEN]) */
  gens?: number[];
}

/** llama-bench's arguments with the addon's settings: batch sizes, no GPU layers, thread polling. */
export function llamaBenchArgs(modelPath: string, o: LlamaBenchOptions): string[] {
  return [
    '-m', modelPath,
    '-t', String(o.threads),
    '-p', (o.prompts ?? [N_PROMPT]).join(','),
    '-n', (o.gens ?? [N_GEN]).join(','),
    '-b', String(BATCH),
    '-ub', String(UBATCH),
    '-ngl', '0',
    '-fa', o.fa,
    '--poll', String(POLL),
    '-r', String(o.reps ?? 1),
    '-o', 'json',
  ];
}

/** One llama-bench invocation; each of its tests runs after its own warm-up (a full prompt run, or a one-token generation). */
export function runLlamaBench(modelPath: string, o: LlamaBenchOptions): LlamaBenchRow[] {
  const out = execFileSync(LLAMA_BENCH, llamaBenchArgs(modelPath, o), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.slice(out.indexOf('['))) as LlamaBenchRow[];
}

/** The row of test ppN (`prompt`, 0) or tgN (0, `gen`). */
export function llamaBenchRow(rows: LlamaBenchRow[], prompt: number, gen: number): LlamaBenchRow {
  const row = rows.find((r) => r.n_prompt === prompt && r.n_gen === gen);
  if (!row) throw new Error(`llama-bench output lacks the test (n_prompt ${prompt}, n_gen ${gen}): ${JSON.stringify(rows).slice(0, 500)}`);
  return row;
}

// ---------------------------------------------------------------------------
// Ours
// ---------------------------------------------------------------------------
export function contextOptions(threads: number, sequences = 1, contextSize = 1024): ContextOptions {
  return { contextSize, batchSize: BATCH, ubatchSize: UBATCH, threads, threadsBatch: threads, sequences };
}

/** What flash attention 'auto' resolved to, from llama.cpp's log while a context is created. */
export async function resolvedFlashAttention(model: Model, threads: number): Promise<'enabled' | 'disabled' | 'unknown'> {
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

/** llama-bench's -fa value for what our 'auto' resolved to. */
export const llamaBenchFa = (resolved: string): string => (resolved === 'enabled' ? 'on' : resolved === 'disabled' ? 'off' : 'auto');

/** n random token ids in [3, vocabSize) (mulberry32 with this seed). */
export function randomPrompt(n: number, vocabSize: number, seed: number): number[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => 3 + Math.floor(rand() * (vocabSize - 3)));
}

export interface PpRun {
  /** prompt length / r.timings.promptMs */
  rate: number;
  /** prompt length / (wall clock from the generate() call to the end of the stream) */
  wallRate: number;
  promptMs: number;
  wallMs: number;
  promptTokensPerSecond: number;
  cachedPromptTokens: number;
}

export interface TgRun {
  /** (tokens after the first chunk) / (time from the first chunk to the last), in the consumer. */
  rate: number;
  /** r.timings.tokensPerSecond */
  reported: number;
  tokens: number;
  completionTokens: number;
  chunks: number;
  elapsedMs: number;
  /** from the generate() call to the first chunk */
  firstMs: number;
}

/** Prompt processing: the context cleared, `prompt` evaluated, one token sampled. */
export async function runOursPp(ctx: Context, prompt: number[]): Promise<PpRun> {
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
    wallMs: t1 - t0,
    promptTokensPerSecond: r.timings.promptTokensPerSecond,
    cachedPromptTokens: r.usage.cachedPromptTokens,
  };
}

export interface TtftRun {
  /** from the generate() call to the first chunk in the for-await consumer */
  ms: number;
  /** r.timings.promptMs of the same run */
  promptMs: number;
}

/** Time to first token: the context cleared, `prompt` evaluated, one token generated and streamed. */
export async function runOursTtft(ctx: Context, prompt: number[]): Promise<TtftRun> {
  await ctx.clear();
  const t0 = performance.now();
  const gen = ctx.generate(prompt, { max_new_tokens: 1, ...GREEDY });
  let first = 0;
  for await (const chunk of gen) if (!first && chunk.tokens.length) first = performance.now();
  const r = await gen.result;
  if (!first || r.usage.completionTokens !== 1) throw new Error(`ttft run: ${r.usage.completionTokens} tokens`);
  if (r.usage.cachedPromptTokens !== 0) throw new Error(`ttft run reused ${r.usage.cachedPromptTokens} cached prompt tokens`);
  return { ms: first - t0, promptMs: r.timings.promptMs };
}

/** Token generation: the context cleared, `prompt` (default [BOS]) evaluated, exactly `n` tokens generated and streamed. */
export async function runOursTg(ctx: Context, prompt: number[], n: number = N_GEN): Promise<TgRun> {
  await ctx.clear();
  const t0 = performance.now();
  const gen = ctx.generate(prompt, { max_new_tokens: n, ...GREEDY });
  let tokens = 0;
  let firstTokens = 0;
  let chunks = 0;
  let first = 0;
  let last = 0;
  for await (const chunk of gen) {
    const now = performance.now();
    const k = chunk.tokens.length;
    if (k === 0) continue;
    if (tokens === 0) {
      first = now;
      firstTokens = k;
    }
    tokens += k;
    chunks++;
    last = now;
  }
  const r = await gen.result;
  if (tokens !== n) throw new Error(`tg run streamed ${tokens} tokens, expected ${n}`);
  if (r.usage.completionTokens !== tokens) throw new Error(`tg run: usage.completionTokens ${r.usage.completionTokens} != ${tokens} streamed`);
  return {
    rate: (tokens - firstTokens) / ((last - first) / 1000),
    reported: r.timings.tokensPerSecond,
    tokens,
    completionTokens: r.usage.completionTokens,
    chunks,
    elapsedMs: last - first,
    firstMs: first - t0,
  };
}

// ---------------------------------------------------------------------------
// Provenance
// ---------------------------------------------------------------------------
export function git(cwd: string, ...args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function llamaCppCommit(): string {
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

export function mtime(p: string): string | null {
  try {
    return statSync(p).mtime.toISOString();
  } catch {
    return null;
  }
}

export interface SourceState {
  commit: string;
  libDirty: boolean | null;
  nativeDirty: boolean | null;
  addonBuilt: string | null;
  llamaBenchBuilt: string | null;
}

/** Which code was measured (as bench/sampler.ts records it). */
export function sourceState(): SourceState {
  const dirty = (dir: string): boolean | null => {
    const s = git(ROOT, 'status', '--porcelain', '--', dir);
    return s === null ? null : s.length > 0;
  };
  return {
    commit: git(ROOT, 'rev-parse', '--short', 'HEAD') ?? 'unknown',
    libDirty: dirty('lib'),
    nativeDirty: dirty('native'),
    addonBuilt: mtime(join(ROOT, 'build', 'Release', 'llama_generate.node')),
    llamaBenchBuilt: mtime(LLAMA_BENCH),
  };
}

export interface Machine extends SourceState {
  cpu: string;
  cores: number;
  os: string;
  node: string;
  llamaCppCommit: string;
  date: string;
  loadAverage: { before: number[]; after: number[] };
}

/** The machine and the code; `loadBefore` is os.loadavg() taken before the run. */
export function machineInfo(source: SourceState, loadBefore: number[]): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    llamaCppCommit: llamaCppCommit(),
    date: new Date().toISOString(),
    /** 1/5/15-minute load averages before and after: other work on the machine skews every side. */
    loadAverage: { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)) },
    ...source,
  };
}

/** "commit abc1234 + uncommitted changes under lib/; addon built …; llama-bench built …" */
export function codeLine(m: SourceState): string {
  return (
    `commit ${m.commit}${m.libDirty ? ' + uncommitted changes under lib/' : ''}${m.nativeDirty ? ' + uncommitted changes under native/' : ''}; ` +
    `addon built ${m.addonBuilt ?? 'unknown'}; llama-bench built ${m.llamaBenchBuilt ?? 'unknown'}`
  );
}

/** Warns (and returns the warning) when the machine was busy before the run. */
export function busyWarning(loadBefore: number[]): string | null {
  if (loadBefore[0] <= BUSY_LOAD) return null;
  return `the 1-minute load average was ${loadBefore[0].toFixed(2)} before the run: other work on the machine may have skewed these numbers`;
}
