/**
 * Sampler-chain benchmark (issue 4): time per token of our native chain next to
 * llama.cpp's own `llama_sampler_chain` doing the equivalent work, both timed in
 * C++ (native/SamplerBenchmark.cc) in the same process, on one thread.
 * Grammar rows (issue 14): (d) llama.cpp's json.gbnf, (e)/(f) the JSON Schema of
 * a tool call, with each grammar's compile time (cold: trie and compile) beside.
 *
 * Usage:  npx tsx bench/sampler.ts [--runs N] [--tokens N] [--stages] [--quick]
 *   --runs N     timed runs per row and side (default 5; the median is reported)
 *   --tokens N   tokens per run (default 200; rows slower than 2 ms/token use half)
 *   --stages     also time each stage of our chain and of llama.cpp's alone
 *                (the per-stage breakdown used to find slow stages)
 *   --quick      1 run of 50 tokens (smoke test)
 *   --grammar    only the grammar rows (d)-(f), with their baselines (a) and (f0); writes
 *                bench/results/grammar.md and bench/results/grammar.json instead
 *
 * Writes bench/results/sampler.md and bench/results/sampler.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { loadModel, nativeModelOf, type Model } from '../lib/model';
import { jsonSchemaToGbnf } from '../lib/grammar';
import { TOOL_CALL_SCHEMA } from './schemas';
import { native, type NativeModel } from '../lib/native';
import { planChain, type ChainPlan, type PlanValues } from '../lib/sampling/plan';
import { mulberry32 } from '../test/support/random';

const ROOT = resolve(__dirname, '..');
const MODELS = join(ROOT, 'vendor', 'llama.cpp', 'models');
const RESULTS = join(ROOT, 'bench', 'results');

const VOCABS = [
  { label: '32k', file: 'ggml-vocab-llama-spm.gguf' },
  { label: '128k', file: 'ggml-vocab-llama-bpe.gguf' },
  { label: '152k', file: 'ggml-vocab-qwen2.gguf' },
];

/** Goals of the issue. */
const MAX_RATIO = 1.1;
const HF_GOAL_NS = 1e6; // (b) under 1 ms per token at 152k
const GRAMMAR_GOAL_NS = 100e3; // (d)-(f) at most 100 µs per token at 152k (issue 14)


/**
 * Tokens between resets. 64 for the plain configs: HF's repetition penalty
 * looks at the whole history, llama.cpp's at the last `penalty_last_n` = 64
 * tokens, so with at most 64 tokens of history both penalise the same set.
 * 32 for the grammar, so it never runs to completion.
 */
const RESET_EVERY = 64;
const GRAMMAR_RESET_EVERY = 32;

interface Row {
  id: string;
  name: string;
  ours: PlanValues;
  llama: Record<string, unknown>;
  needsModel: boolean;
  resetEvery: number;
}

function configs(grammar: string, tool: string): Row[] {
  return [
    {
      id: 'a',
      name: 'greedy',
      ours: { do_sample: false },
      llama: { greedy: true },
      needsModel: false,
      resetEvery: RESET_EVERY,
    },
    {
      id: 'b',
      name: 'HF typical',
      ours: { do_sample: true, repetition_penalty: 1.1, temperature: 0.8, top_k: 50, top_p: 0.95, min_p: 0.05, seed: 1 },
      // llama.cpp's default order: penalties, top_k, top_p, min_p, temp, dist.
      llama: { penalty_repeat: 1.1, penalty_last_n: 64, top_k: 50, top_p: 0.95, min_p: 0.05, temp: 0.8, seed: 1 },
      needsModel: false,
      resetEvery: RESET_EVERY,
    },
    {
      id: 'c',
      name: 'llama.cpp defaults',
      ours: {
        do_sample: true,
        samplers: ['penalties', 'dry', 'top_n_sigma', 'top_k', 'typ_p', 'top_p', 'min_p', 'xtc', 'temperature'],
        top_k: 40,
        top_p: 0.95,
        min_p: 0.05,
        temperature: 0.8,
        seed: 1,
      },
      llama: { top_k: 40, top_p: 0.95, min_p: 0.05, temp: 0.8, seed: 1 },
      needsModel: false,
      resetEvery: RESET_EVERY,
    },
    {
      id: 'd',
      name: 'JSON grammar (greedy)',
      ours: { do_sample: false, grammar },
      llama: { grammar, greedy: true },
      needsModel: true,
      resetEvery: GRAMMAR_RESET_EVERY,
    },
    {
      id: 'e',
      name: 'tool-call schema (greedy)',
      ours: { do_sample: false, grammar: tool },
      llama: { grammar: tool, greedy: true },
      needsModel: true,
      resetEvery: GRAMMAR_RESET_EVERY,
    },
    {
      id: 'f0',
      name: 'top-k + temperature (sampled)',
      // (f) without its grammar: the baseline of (f)
      ours: { do_sample: true, top_k: 50, temperature: 0.8, seed: 1 },
      llama: { top_k: 50, temp: 0.8, seed: 1 },
      needsModel: false,
      resetEvery: GRAMMAR_RESET_EVERY,
    },
    {
      id: 'f',
      name: 'tool-call schema (sampled)',
      // ours: grammar, top-k, temperature, dist; llama.cpp's chain in the same order
      ours: { do_sample: true, grammar: tool, top_k: 50, temperature: 0.8, seed: 1 },
      llama: { grammar: tool, top_k: 50, temp: 0.8, seed: 1 },
      needsModel: true,
      resetEvery: GRAMMAR_RESET_EVERY,
    },
  ];
}

/** Cold compile of `grammar` for the model: the cache emptied first, so the vocabulary trie is built again too. */
function compileTimes(addon: ReturnType<typeof native>, model: NativeModel, vocabSize: number, grammar: string): { trieMs: number; compileMs: number; firstTokenMs: number } {
  addon.grammarCacheClear();
  const plan = planChain({ do_sample: false, grammar }, { vocabSize });
  const started = performance.now();
  addon.benchmarkSampler(plan, model, new Float32Array(vocabSize), 1, 1);
  const firstTokenMs = performance.now() - started;
  const entry = addon.grammarCacheStats().find((e) => e.vocabSize === vocabSize && e.textBytes === Buffer.byteLength(grammar));
  if (!entry) throw new Error('the grammar is not in the cache after its first use');
  return { trieMs: entry.trieMs, compileMs: entry.compileMs, firstTokenMs };
}

/**
 * normal(0, 3) logits (Box-Muller), plus 16 peaked tokens 8..20 above the mean
 * so the truncation samplers keep a realistic handful (top-p 0.95 keeps ~10).
 */
function makeLogits(size: number, seed: number): Float32Array {
  const rand = mulberry32(seed); // seeded, so every run sees the same logits
  const logits = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    logits[i] = 3 * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < size) logits[i + 1] = 3 * r * Math.sin(2 * Math.PI * v);
  }
  for (let j = 0; j < 16; j++) logits[Math.floor(rand() * size)] = 20 - j * 0.75;
  return logits;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Measured {
  config: string;
  name: string;
  vocab: string;
  vocabSize: number;
  tokensPerRun: number;
  runs: number;
  resetEvery: number;
  oursNs: number;
  llamaNs: number;
  oursRunsNs: number[];
  llamaRunsNs: number[];
  ratio: number;
  meetsRatio: boolean;
  meetsHfGoal?: boolean;
  meetsGrammarGoal?: boolean;
}

interface Args {
  runs: number;
  tokens: number;
  stages: boolean;
  grammar: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, tokens: 200, stages: false, grammar: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--tokens') args.tokens = Number(argv[++i]);
    else if (a === '--stages') args.stages = true;
    else if (a === '--grammar') args.grammar = true;
    else if (a === '--quick') {
      args.runs = 1;
      args.tokens = 50;
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(args.runs >= 1 && args.tokens >= 1)) throw new Error('--runs and --tokens must be >= 1');
  return args;
}

type Timer = (tokens: number) => number;

/** Warm-up, then `runs` alternating runs of ours and llama.cpp's; medians. */
function measurePair(ours: Timer, llama: Timer, tokens: number, runs: number): { ours: number[]; llama: number[]; tokens: number } {
  // Warm-up (also sizes the run: very slow rows get half the tokens).
  const warm = Math.max(8, Math.min(32, tokens));
  const probe = Math.max(ours(warm), llama(warm));
  const n = probe > 2e6 ? Math.max(16, tokens >> 1) : tokens;
  const o: number[] = [];
  const l: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Alternate which side goes first, so drift hits both alike.
    if (r % 2 === 0) {
      o.push(ours(n));
      l.push(llama(n));
    } else {
      l.push(llama(n));
      o.push(ours(n));
    }
  }
  return { ours: o, llama: l, tokens: n };
}

const us = (ns: number): string => (ns / 1000).toFixed(ns < 10_000 ? 2 : ns < 100_000 ? 1 : 0);

function goalText(m: Measured): string {
  const parts = [m.meetsRatio ? `ratio ≤ ${MAX_RATIO} ✓` : `ratio > ${MAX_RATIO} ✗`];
  if (m.meetsHfGoal !== undefined) parts.push(m.meetsHfGoal ? '< 1 ms ✓' : '≥ 1 ms ✗');
  if (m.meetsGrammarGoal !== undefined) parts.push(m.meetsGrammarGoal ? '≤ 100 µs ✓' : '> 100 µs ✗');
  return parts.join(', ');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Per-stage breakdown: each stage alone (with a greedy draw), and each draw alone. */
interface StageTiming {
  vocab: string;
  side: 'ours' | 'llama.cpp';
  stage: string;
  ns: number;
}

function stageBreakdown(
  addon: ReturnType<typeof native>,
  vocab: string,
  vocabSize: number,
  model: NativeModel,
  logits: Float32Array,
  grammar: string,
  tokens: number,
  runs: number,
): StageTiming[] {
  const out: StageTiming[] = [];
  const ours = (label: string, plan: ChainPlan, withModel = false, resetEvery = RESET_EVERY): void => {
    const t = (n: number): number => addon.benchmarkSampler(plan, withModel ? model : null, logits, n, resetEvery);
    t(16);
    out.push({ vocab, side: 'ours', stage: label, ns: median(Array.from({ length: runs }, () => t(tokens))) });
  };
  const llama = (label: string, spec: Record<string, unknown>, withModel = false, resetEvery = RESET_EVERY): void => {
    const t = (n: number): number => addon.benchmarkLlamaChain(spec, withModel ? model : null, logits, n, resetEvery);
    t(16);
    out.push({ vocab, side: 'llama.cpp', stage: label, ns: median(Array.from({ length: runs }, () => t(tokens))) });
  };
  const greedyPlan = planChain({ do_sample: false }, { vocabSize });
  const withStages = (stages: ChainPlan['stages'], draw: ChainPlan['draw'] = { kind: 'greedy' }): ChainPlan => ({
    ...greedyPlan,
    stages,
    draw,
  });
  const hf = planChain(
    { do_sample: true, repetition_penalty: 1.1, temperature: 0.8, top_k: 50, top_p: 0.95, min_p: 0.05, seed: 1 },
    { vocabSize },
  );
  const kind = (k: string): ChainPlan['stages'][number] => {
    const s = hf.stages.find((x) => x.kind === k);
    if (!s) throw new Error(`no ${k} stage in the HF plan`);
    return s;
  };
  // Ours: copy + greedy argmax is the baseline every row below includes.
  ours('baseline: copy + greedy draw', greedyPlan);
  ours('dist draw alone', withStages([], { kind: 'dist', seed: 1 }));
  ours('repetition_penalty 1.1', withStages([kind('repetition_penalty')]));
  ours('temperature 0.8', withStages([kind('temperature')]));
  ours('top_k 50', withStages([kind('top_k')]));
  ours('top_p 0.95 (full vocab)', withStages([kind('top_p')]));
  ours('min_p 0.05 (full vocab)', withStages([kind('min_p')]));
  ours('top_k 50 → top_p 0.95', withStages([kind('top_k'), kind('top_p')]));
  ours('top_k 50 → top_p → min_p', withStages([kind('top_k'), kind('top_p'), kind('min_p')]));
  ours('top_k → top_p → min_p → temperature', withStages([kind('top_k'), kind('top_p'), kind('min_p'), kind('temperature')]));
  ours('top_k → top_p → min_p → temperature → dist', withStages([kind('top_k'), kind('top_p'), kind('min_p'), kind('temperature')], hf.draw));
  ours('grammar (greedy)', planChain({ do_sample: false, grammar }, { vocabSize }), true, GRAMMAR_RESET_EVERY);
  // llama.cpp: fill + greedy is its baseline.
  llama('baseline: fill + greedy', { greedy: true });
  llama('dist alone', { seed: 1 });
  llama('penalties 1.1 / 64', { penalty_repeat: 1.1, penalty_last_n: 64, greedy: true });
  llama('temp 0.8', { temp: 0.8, greedy: true });
  llama('top_k 50', { top_k: 50, greedy: true });
  llama('top_p 0.95 (full vocab)', { top_p: 0.95, greedy: true });
  llama('min_p 0.05 (full vocab)', { min_p: 0.05, greedy: true });
  llama('top_k 50 → top_p 0.95', { top_k: 50, top_p: 0.95, greedy: true });
  llama('top_k 50 → top_p → min_p', { top_k: 50, top_p: 0.95, min_p: 0.05, greedy: true });
  llama('top_k → top_p → min_p → temp', { top_k: 50, top_p: 0.95, min_p: 0.05, temp: 0.8, greedy: true });
  llama('top_k → top_p → min_p → temp → dist', { top_k: 50, top_p: 0.95, min_p: 0.05, temp: 0.8, seed: 1 });
  llama('grammar (greedy)', { grammar, greedy: true }, true, GRAMMAR_RESET_EVERY);
  return out;
}

/** Which code was measured: the commit, whether native/ has uncommitted changes, when the addon was built. */
function sourceState(): { commit: string; nativeDirty: boolean | null; addonBuilt: string | null } {
  const git = (...args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain', '--', 'native');
  let addonBuilt: string | null = null;
  try {
    addonBuilt = statSync(join(ROOT, 'build', 'Release', 'llama_generate.node')).mtime.toISOString();
  } catch {
    // prebuilt or elsewhere: unknown
  }
  return { commit: git('rev-parse', '--short', 'HEAD') ?? 'unknown', nativeDirty: status === null ? null : status.length > 0, addonBuilt };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const source = sourceState(); // before loading: the addon file may be rebuilt while this runs
  const addon = native();
  const grammar = readFileSync(join(ROOT, 'vendor', 'llama.cpp', 'grammars', 'json.gbnf'), 'utf8');
  const tool = jsonSchemaToGbnf(TOOL_CALL_SCHEMA);
  const rows = configs(grammar, tool).filter((r) => !args.grammar || ['a', 'd', 'e', 'f0', 'f'].includes(r.id));
  const results: Measured[] = [];
  const stages: StageTiming[] = [];
  const compiles: Array<{ vocab: string; grammar: string; trieMs: number; compileMs: number; firstTokenMs: number }> = [];

  for (const v of VOCABS) {
    const model: Model = await loadModel(join(MODELS, v.file), { vocabOnly: true });
    const handle = nativeModelOf(model);
    const vocabSize = model.vocabSize;
    const logits = makeLogits(vocabSize, 1234);
    for (const [name, text] of [['json.gbnf', grammar], ['tool-call schema', tool]] as const) {
      const c = compileTimes(addon, handle, vocabSize, text);
      compiles.push({ vocab: v.label, grammar: name, ...c });
      console.log(`compile ${pad(name, 16)} ${pad(v.label, 5)} trie ${c.trieMs.toFixed(1)} ms, compile ${c.compileMs.toFixed(1)} ms, first token ${c.firstTokenMs.toFixed(1)} ms`);
    }
    for (const row of rows) {
      const plan = planChain(row.ours, { vocabSize });
      const m = row.needsModel ? handle : null;
      const ours: Timer = (n) => addon.benchmarkSampler(plan, m, logits, n, row.resetEvery);
      const llama: Timer = (n) => addon.benchmarkLlamaChain(row.llama, m, logits, n, row.resetEvery);
      const r = measurePair(ours, llama, args.tokens, args.runs);
      const oursNs = median(r.ours);
      const llamaNs = median(r.llama);
      const ratio = oursNs / llamaNs;
      const measured: Measured = {
        config: row.id,
        name: row.name,
        vocab: v.label,
        vocabSize,
        tokensPerRun: r.tokens,
        runs: args.runs,
        resetEvery: row.resetEvery,
        oursNs,
        llamaNs,
        oursRunsNs: r.ours,
        llamaRunsNs: r.llama,
        ratio,
        meetsRatio: ratio <= MAX_RATIO,
      };
      if (row.id === 'b' && v.label === '152k') measured.meetsHfGoal = oursNs < HF_GOAL_NS;
      if (['d', 'e', 'f'].includes(row.id) && v.label === '152k') measured.meetsGrammarGoal = oursNs <= GRAMMAR_GOAL_NS;
      results.push(measured);
      console.log(
        `(${row.id}) ${pad(row.name, 22)} ${pad(v.label, 5)} ours ${pad(us(oursNs), 8)} µs  llama.cpp ${pad(us(llamaNs), 8)} µs  ratio ${ratio.toFixed(2)}  ${goalText(measured)}`,
      );
    }
    if (args.stages) stages.push(...stageBreakdown(addon, v.label, vocabSize, handle, logits, grammar, Math.min(args.tokens, 128), args.runs));
    model.dispose();
  }

  results.sort((a, b) => a.config.localeCompare(b.config) || VOCABS.findIndex((v) => v.label === a.vocab) - VOCABS.findIndex((v) => v.label === b.vocab));
  const info = addon.systemInfo();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    llamaCppBuild: info.llamaCppBuild,
    date: new Date().toISOString(),
    ...source,
  };
  const settings = {
    command: `npx tsx bench/sampler.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`,
    threads: 1,
    runs: args.runs,
    tokensPerRun: args.tokens,
    resetEvery: RESET_EVERY,
    grammarResetEvery: GRAMMAR_RESET_EVERY,
    logits: 'normal(0, 3), seed 1234 (mulberry32 + Box-Muller), plus 16 peaked tokens at 20, 19.25, ..., 8.75',
    goals: { maxRatio: MAX_RATIO, hfTypicalAt152kNs: HF_GOAL_NS, grammarAt152kNs: GRAMMAR_GOAL_NS },
    toolCallSchema: TOOL_CALL_SCHEMA,
  };

  const table = [
    '| config | vocab | ours µs/token | llama.cpp µs/token | ours / llama.cpp | goal |',
    '|---|---|---:|---:|---:|---|',
    ...results.map(
      (m) => `| (${m.config}) ${m.name} | ${m.vocab} (${m.vocabSize}) | ${us(m.oursNs)} | ${us(m.llamaNs)} | ${m.ratio.toFixed(2)}× | ${goalText(m)} |`,
    ),
  ];
  const md = [
    args.grammar ? '# Grammar engine benchmark (issue 14): the grammar rows of the sampler chain benchmark' : '# Sampler chain benchmark (issue 4)',
    '',
    `Command: \`${settings.command}\``,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}; llama.cpp ${machine.llamaCppBuild}; ${machine.date}.`,
    '',
    `Code: commit ${machine.commit}${machine.nativeDirty ? ' + uncommitted changes under native/' : ''}; addon built ${machine.addonBuilt ?? 'unknown'}.`,
    '',
    `One thread; median of ${args.runs} runs of ${args.tokens} tokens (rows above 2 ms/token: half as many), ours and llama.cpp's chain alternating after a warm-up;`,
    `both timed in C++ (native/SamplerBenchmark.cc). Chains reset every ${RESET_EVERY} tokens (grammar: every ${GRAMMAR_RESET_EVERY}). Logits: ${settings.logits}.`,
    '',
    ...table,
    '',
  ];
  // Grammar rows: the grammar's own share (the row minus (a), the copy and the greedy draw over the
  // same logits), and what a cold compile costs.
  const grammarTable = [
    '| config | vocab | ours µs/token | of which the grammar (− (a), (f): − (f0)) | llama.cpp µs/token | ours / llama.cpp | cold compile: trie + grammar (ms) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...results
      .filter((m) => ['d', 'e', 'f'].includes(m.config))
      .map((m) => {
        const base = results.find((b) => b.config === (m.config === 'f' ? 'f0' : 'a') && b.vocab === m.vocab);
        const c = compiles.find((x) => x.vocab === m.vocab && x.grammar === (m.config === 'd' ? 'json.gbnf' : 'tool-call schema'));
        const share = base ? us(Math.max(0, m.oursNs - base.oursNs)) : '';
        const compile = c ? `${c.trieMs.toFixed(0)} + ${c.compileMs.toFixed(1)}` : '';
        return `| (${m.config}) ${m.name} | ${m.vocab} (${m.vocabSize}) | ${us(m.oursNs)} | ${share} | ${us(m.llamaNs)} | ${m.ratio.toFixed(3)}× | ${compile} |`;
      }),
  ];
  md.push('## Grammar rows (issue 14)', '', ...grammarTable, '');
  if (stages.length > 0) {
    md.push('## Each stage alone (µs/token, each includes its side\'s baseline)', '');
    const labels = [...new Set(stages.map((s) => `${s.side}|${s.stage}`))];
    md.push(`| side | stage | ${VOCABS.map((v) => v.label).join(' | ')} |`, `|---|---|${VOCABS.map(() => '---:').join('|')}|`);
    for (const key of labels) {
      const [side, stage] = key.split('|');
      const cells = VOCABS.map((v) => {
        const s = stages.find((x) => x.side === side && x.stage === stage && x.vocab === v.label);
        return s ? us(s.ns) : '';
      });
      md.push(`| ${side} | ${stage} | ${cells.join(' | ')} |`);
    }
    md.push('');
  }
  mkdirSync(RESULTS, { recursive: true });
  const out = args.grammar ? 'grammar' : 'sampler';
  writeFileSync(join(RESULTS, `${out}.md`), md.join('\n'));
  writeFileSync(join(RESULTS, `${out}.json`), JSON.stringify({ machine, settings, results, compiles, stages }, null, 2) + '\n');
  console.log('');
  console.log(table.join('\n'));
  console.log('\n' + grammarTable.join('\n'));
  if (stages.length > 0) console.log('\n' + md.slice(md.indexOf("## Each stage alone (µs/token, each includes its side's baseline)")).join('\n'));
  console.log(`\nwrote ${join('bench', 'results', `${out}.md`)} and ${join('bench', 'results', `${out}.json`)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
