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
 *   --llama-only         only llama-bench
 *
 * Writes bench/results/generate.md and bench/results/generate.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModel, systemInfo, type Context } from '../lib';
import {
  BATCH,
  GREEDY,
  LLAMA_BATCHED_BENCH,
  N_GEN,
  N_PROMPT,
  POLL,
  RESULTS,
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
  randomPrompt,
  ratio,
  resolvedFlashAttention,
  runLlamaBench,
  runOursPp,
  runOursTg,
  selectModels,
  sourceState,
  stat,
  ts,
  type LlamaBenchRow,
  type PpRun,
  type Stat,
  type TgRun,
} from './common';

const CONCURRENCY_MODEL = 'random-100m-q8_0';
const CONCURRENCY_THREADS = 2;
const STREAMS = [1, 2, 4];

/** Goals of the issue. */
const MIN_RATIO = 0.95;
const MIN_SCALING_4 = 2.5;

// ---------------------------------------------------------------------------
// Arguments
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
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--models') args.models = listArg(argv[++i], a);
    else if (a === '--threads') args.threads = listArg(argv[++i], a).map(Number);
    else if (a === '--quick') args.reps = 1;
    else if (a === '--skip-concurrency') args.concurrency = false;
    else if (a === '--llama-only') args.llamaOnly = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(Number.isInteger(args.reps) && args.reps >= 1)) throw new Error('--reps must be an integer >= 1');
  if (!args.threads.every((t) => Number.isInteger(t) && t >= 1)) throw new Error('--threads must be integers >= 1');
  return args;
}

// ---------------------------------------------------------------------------
// llama-bench: one invocation (pp512 and tg128, one repetition each, after its own warm-up)
// ---------------------------------------------------------------------------
function runLlamaBenchPpTg(modelPath: string, threads: number, fa: string): { pp: LlamaBenchRow; tg: LlamaBenchRow } {
  const rows = runLlamaBench(modelPath, { threads, fa });
  return { pp: llamaBenchRow(rows, N_PROMPT, 0), tg: llamaBenchRow(rows, 0, N_GEN) };
}

// ---------------------------------------------------------------------------
// Concurrent streams
// ---------------------------------------------------------------------------
interface StreamsRun {
  streams: number;
  totalTokens: number;
  wallMs: number;
  /** total tokens / (start to last token) */
  aggregate: number;
  perStream: { tokens: number; firstMs: number; lastMs: number }[];
}

/** S generations at once, one per sequence, each consumed by its own for-await loop. */
async function runStreams(ctx: Context, streams: number, bos: number, vocabSize: number): Promise<StreamsRun> {
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
  const busy = busyWarning(loadBefore);
  if (busy) console.warn(`warning: ${busy}`);
  ensureLlamaBench();
  const models = selectModels(args.models);
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
      const fa = llamaBenchFa(resolved);
      faNote = `ours: flashAttention 'auto' (the default), which resolved to '${resolved}'; llama-bench: -fa ${fa}`;

      const ctx = await model.createContext(contextOptions(threads));
      console.log(`\n${m.label}, ${threads} thread${threads > 1 ? 's' : ''}: ${args.reps} alternating run${args.reps > 1 ? 's' : ''} (llama-bench -fa ${fa})`);
      const prompt = (rep: number): number[] => randomPrompt(N_PROMPT, vocabSize, 1000 + rep);
      if (!llamaOnly) {
        // warm-up, as llama-bench does before its runs
        await runOursPp(ctx, prompt(-1));
        await runOursTg(ctx, [bos]);
      }
      const lPp: LlamaBenchRow[] = [];
      const lTg: LlamaBenchRow[] = [];
      const oPp: PpRun[] = [];
      const oTg: TgRun[] = [];
      const llamaRun = (): void => {
        const r = runLlamaBenchPpTg(m.path, threads, fa);
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
        oTg.push(await runOursTg(ctx, [bos]));
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
        const r = ours ? ours.median / llama.median : null;
        rows.push({
          model: m.id,
          modelLabel: m.label,
          threads,
          test,
          flashAttention: fa,
          llama,
          ours,
          oursSecondary: secondary,
          ratio: r,
          meetsGoal: r === null ? null : r >= MIN_RATIO,
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
        ));
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
  const machine = { ...machineInfo(source, loadBefore), llamaCppBuild: lib.llamaCppBuild ?? null, llamaBenchBuild };
  const command = `npx tsx bench/generate.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
  const exampleFa = rows[0]?.flashAttention ?? 'on';
  const settings = {
    command,
    reps: args.reps,
    llamaOnly,
    llamaBenchCommand: `bench/.llama/build/bin/llama-bench ${llamaBenchArgs('MODEL', { threads: 0, fa: exampleFa }).join(' ').replace('-t 0', '-t THREADS')}`,
    contextOptions: { ...contextOptions(0), threads: 'THREADS', threadsBatch: 'THREADS', flashAttention: 'auto (default)', threadPolling: `${POLL} (default)` },
    generation: { ...GREEDY, max_new_tokens: { pp512: 1, tg128: N_GEN } },
    flashAttention: faNote,
    flashAttentionResolved: faResolved,
    pp: `${N_PROMPT} random token ids in [3, vocab) (mulberry32, seed 1000 + run), context cleared first; rate = ${N_PROMPT} / r.timings.promptMs`,
    tg: `prompt [BOS], ${N_GEN} new tokens, greedy, ignore_eos; rate = (tokens after the first chunk) / (first chunk to last chunk), measured in the for-await consumer`,
    concurrency: `${CONCURRENCY_MODEL}, ${CONCURRENCY_THREADS} threads, sequences = streams, contextSize 256 × streams; each stream [BOS, distinct token], ${N_GEN} new tokens; aggregate = all tokens / (start to last token); llama-batched-bench: \`bench/.llama/build/bin/llama-batched-bench ${batchedBenchArgs('MODEL', 0, 'on').join(' ').replace(/-c 0|-npl 0|-no-kvu/g, (x) => ({ '-c 0': '-c 256×S', '-npl 0': '-npl S', '-no-kvu': '-kvu (S > 1)' })[x]!)}\`, rate = S × ${N_GEN} / (t_pp + t_tg)`,
    goals: { minRatio: MIN_RATIO, minScaling4: MIN_SCALING_4 },
  };

  const goalCell = (r: Row): string => (r.meetsGoal === null ? '–' : r.meetsGoal ? `≥ ${MIN_RATIO} ✓` : `< ${MIN_RATIO} ✗`);
  const table = [
    '| model | threads | test | llama-bench t/s | ours t/s | ours / llama-bench | goal | ours, other measure |',
    '|---|---:|---|---:|---:|---:|---|---:|',
    ...rows.map(
      (r) =>
        `| ${r.modelLabel} | ${r.threads} | ${r.test} | ${ts(r.llama)} | ${ts(r.ours)} | ${ratio(r.ratio, 1)} | ${goalCell(r)} | ${
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
    `Code: ${codeLine(machine)}.`,
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
  if (busy) md.push(`**Warning:** ${busy}.`, '');

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
