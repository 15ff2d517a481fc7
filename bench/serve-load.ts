/**
 * Load test of `llama-generate serve` beside llama.cpp's own `llama-server`,
 * run the same way: each server in its own process on the same model, with
 * the same parallel sequences, context and threads; N concurrent clients
 * (the official `openai` client) stream completions for T seconds, each
 * starting a new request as soon as its last one ends.
 *
 *   npm run bench:model              # the 100M models in bench/models (once)
 *   npm run bench:llama-server       # builds llama-server (once; several minutes)
 *   npx tsx bench/serve-load.ts      # --clients 8 --duration 20 --parallel 4 --max-tokens 64 --models stories,100m --peers ours,llama-server --context-size N
 *
 * Each request: POST /v1/completions, stream, a fixed prompt, greedy
 * (`temperature: 0`), `ignore_eos` (every request generates `max_tokens`),
 * `stream_options.include_usage`. Measured per server and model: completed
 * requests, errors, generated tokens per second over the run, time to first
 * token (request sent → first text chunk), inter-token latency (per request:
 * (last chunk − first chunk) / (tokens − 1)), the gap between chunks, and the
 * server's RSS after a warm-up request and at the end. Writes
 * bench/results/serve-load.{json,md}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { loadModel } from '../lib';
import { physicalCoreCount } from '../lib/system';
import { busyWarning, codeLine, ensureModel, listArg, machineInfo, mdTable, num, RESULTS, ROOT, selectModels, sourceState, type BenchModel } from './common';

const OURS = join(ROOT, 'dist', 'cli', 'main.js');
const LLAMA_SERVER = join(ROOT, 'bench', '.llama', 'build', 'bin', process.platform === 'win32' ? 'llama-server.exe' : 'llama-server');
const PROMPT = 'Once upon a time, in a small village by the sea, there lived';

interface Options {
  clients: number;
  duration: number;
  parallel: number;
  maxTokens: number;
  models: string[] | null;
  peers: Peer[];
  /** Total context (tokens) for both servers; default parallel × the model's training context (at most 4096 each). */
  contextSize: number | null;
}

type Peer = 'ours' | 'llama-server';

function parseArgs(argv: string[]): Options {
  const o: Options = { clients: 8, duration: 20, parallel: 4, maxTokens: 64, models: null, peers: ['ours', 'llama-server'], contextSize: null };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--clients': o.clients = Number(value); i++; break;
      case '--duration': o.duration = Number(value); i++; break;
      case '--parallel': o.parallel = Number(value); i++; break;
      case '--max-tokens': o.maxTokens = Number(value); i++; break;
      case '--models': o.models = listArg(value, '--models'); i++; break;
      case '--peers': o.peers = listArg(value, '--peers') as Peer[]; i++; break;
      case '--context-size': o.contextSize = Number(value); i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return o;
}

/** Resident memory of a process in MiB (Linux), or NaN. */
function rssMiB(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

interface Running {
  child: ChildProcess;
  url: string;
  log: () => string;
}

/** Starts a server process and waits for /health. */
async function startPeer(peer: Peer, model: BenchModel, o: Options, threads: number, contextSize: number): Promise<Running> {
  const port = freePort();
  const args =
    peer === 'ours'
      ? [OURS, 'serve', model.path, '--port', String(port), '--parallel', String(o.parallel), '--threads', String(threads), '--context-size', String(contextSize)]
      : ['-m', model.path, '--port', String(port), '--host', '127.0.0.1', '-np', String(o.parallel), '-t', String(threads), '-tb', String(threads), '-c', String(contextSize), '--no-webui'];
  const child = spawn(peer === 'ours' ? process.execPath : LLAMA_SERVER, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${peer} exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) return { child, url, log: () => log };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${peer} did not become healthy:\n${log}`);
}

async function stopPeer(r: Running): Promise<void> {
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface RequestSample {
  ttftMs: number;
  itlMs: number;
  gapsMs: number[];
  tokens: number;
}

/** One streamed completion, timed. */
async function request(client: OpenAI, o: Options): Promise<RequestSample> {
  const sent = performance.now();
  const stream = await client.completions.create({
    model: 'model',
    prompt: PROMPT,
    max_tokens: o.maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
    ...({ ignore_eos: true } as object),
  });
  let first = NaN;
  let last = NaN;
  const gaps: number[] = [];
  let tokens = 0;
  for await (const chunk of stream) {
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
    if (!chunk.choices[0]?.text) continue;
    const now = performance.now();
    if (Number.isNaN(first)) first = now;
    else gaps.push(now - last);
    last = now;
  }
  if (tokens === 0 || Number.isNaN(first)) throw new Error('no tokens');
  return { ttftMs: first - sent, itlMs: tokens > 1 ? (last - first) / (tokens - 1) : NaN, gapsMs: gaps, tokens };
}

function percentile(samples: number[], p: number): number {
  const s = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface LoadResult {
  peer: Peer;
  model: string;
  threads: number;
  contextSize: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  ttft: { p50: number; p99: number };
  itl: { p50: number; p99: number };
  chunkGap: { p50: number; p99: number };
  rssStartMiB: number;
  rssEndMiB: number;
}

async function load(peer: Peer, model: BenchModel, o: Options): Promise<LoadResult> {
  const m = await loadModel(model.path, { gpuLayers: 0 });
  const threads = m.parameterCount < 20e6 ? 1 : physicalCoreCount(); // our default, given to both
  const contextSize = o.contextSize ?? o.parallel * Math.min(m.trainContextSize > 0 ? m.trainContextSize : 4096, 4096);
  m.dispose();
  const running = await startPeer(peer, model, o, threads, contextSize);
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 120_000 });
  try {
    await request(client, o); // warm-up
    const rssStart = rssMiB(running.child.pid);
    const samples: RequestSample[] = [];
    const errors: string[] = [];
    const start = performance.now();
    const end = start + o.duration * 1000;
    await Promise.all(
      Array.from({ length: o.clients }, async () => {
        while (performance.now() < end) {
          try {
            samples.push(await request(client, o));
          } catch (err) {
            const cause = (err as { cause?: { code?: string; message?: string } }).cause;
            errors.push(`${(err as Error).message ?? String(err)}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const tokens = samples.reduce((n, s) => n + s.tokens, 0);
    return {
      peer,
      model: model.id,
      threads,
      contextSize,
      requests: samples.length,
      errors: errors.length,
      errorSamples: [...new Set(errors)].slice(0, 3),
      tokens,
      seconds,
      tokensPerSecond: tokens / seconds,
      ttft: { p50: percentile(samples.map((s) => s.ttftMs), 50), p99: percentile(samples.map((s) => s.ttftMs), 99) },
      itl: { p50: percentile(samples.map((s) => s.itlMs), 50), p99: percentile(samples.map((s) => s.itlMs), 99) },
      chunkGap: { p50: percentile(samples.flatMap((s) => s.gapsMs), 50), p99: percentile(samples.flatMap((s) => s.gapsMs), 99) },
      rssStartMiB: rssStart,
      rssEndMiB: rssMiB(running.child.pid),
    };
  } finally {
    await stopPeer(running);
  }
}

function markdown(results: LoadResult[], o: Options, header: string): string {
  const label = (p: Peer): string => (p === 'ours' ? 'llama-generate serve' : 'llama-server');
  const rows = results.map((r) => [
    r.model,
    label(r.peer),
    String(r.requests),
    String(r.errors),
    num(r.tokensPerSecond, 1),
    `${num(r.ttft.p50, 1)} / ${num(r.ttft.p99, 1)}`,
    `${num(r.itl.p50, 2)} / ${num(r.itl.p99, 2)}`,
    `${num(r.chunkGap.p50, 2)} / ${num(r.chunkGap.p99, 2)}`,
    `${num(r.rssStartMiB, 0)} → ${num(r.rssEndMiB, 0)}`,
  ]);
  return [
    header,
    '',
    `${o.clients} concurrent streaming clients for ${o.duration} s, ${o.parallel} parallel sequences, ${o.maxTokens} tokens per request (greedy, EOS ignored).`,
    '',
    ...mdTable(
      ['model', 'server', 'requests', 'errors', 'tokens/s', 'TTFT ms p50 / p99', 'ITL ms p50 / p99', 'chunk gap ms p50 / p99', 'RSS MiB start → end'],
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(OURS)) throw new Error('dist/ is missing: run `npm run build:ts` first');
  if (o.peers.includes('llama-server') && !existsSync(LLAMA_SERVER)) {
    throw new Error('llama-server is not built: run `npm run bench:llama-server` (or pass --peers ours)');
  }
  const models = selectModels(o.models);
  for (const m of models) ensureModel(m);
  const loadBefore = os.loadavg();
  const source = sourceState();
  const results: LoadResult[] = [];
  for (const model of models) {
    for (const peer of o.peers) {
      console.log(`${model.id}: ${peer}...`);
      const r = await load(peer, model, o);
      console.log(
        `  ${r.requests} requests, ${r.errors} errors, ${num(r.tokensPerSecond, 1)} tokens/s, TTFT p50 ${num(r.ttft.p50, 1)} ms p99 ${num(r.ttft.p99, 1)} ms, ` +
          `ITL p50 ${num(r.itl.p50, 2)} ms p99 ${num(r.itl.p99, 2)} ms, RSS ${num(r.rssStartMiB, 0)} → ${num(r.rssEndMiB, 0)} MiB`,
      );
      if (r.errorSamples.length) console.log(`  errors: ${r.errorSamples.join(' | ')}`);
      results.push(r);
    }
  }
  const machine = machineInfo(source, loadBefore);
  const busy = busyWarning(loadBefore);
  const header =
    `${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}; ${codeLine(source)}; llama.cpp ${machine.llamaCppCommit.slice(0, 12)}` +
    (busy ? `\n\n> ${busy}` : '');
  writeFileSync(join(RESULTS, 'serve-load.json'), JSON.stringify({ machine, options: o, results }, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'serve-load.md'), markdown(results, o, header));
  console.log(`\nwrote bench/results/serve-load.{json,md}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
