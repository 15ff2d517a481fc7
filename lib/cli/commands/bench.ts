/**
 * `llama-generate bench <model.gguf>`: prompt processing (pp) and token
 * generation (tg) speed through generate(), measured as llama-bench does:
 * a warm-up before each test, then N repetitions, mean ± stddev.
 */
import type { Context } from '../../context';
import type { Model } from '../../model';
import { physicalCoreCount } from '../../system';
import { parseCommand, standardFlags } from '../command';
import { flagBoolean, flagInteger, flagIntegerList, type Flag } from '../flags';
import type { CommandIo } from '../io';
import { contextOptions, loadOptions, modelFlags } from '../modelFlags';
import { openModel } from '../openModel';
import { Progress } from '../progress';
import { UsageError } from '../usageError';

/** The flags of `bench`. */
export function benchFlags(): Flag[] {
  return [
    { name: 'n-prompt', short: 'p', type: 'string', value: 'n,...', defaultText: '512', help: 'prompt lengths to time (pp tests; 0: none)' },
    { name: 'n-gen', short: 'n', type: 'string', value: 'n,...', defaultText: '128', help: 'generation lengths to time (tg tests; 0: none)' },
    { name: 'threads', short: 't', type: 'string', value: 'n,...', defaultText: `${physicalCoreCount()} (physical cores)`, help: 'CPU thread counts' },
    { name: 'repetitions', short: 'r', type: 'string', value: 'n', defaultText: '5', help: 'runs of each test' },
    { name: 'batch-size', short: 'b', type: 'string', value: 'n', defaultText: '512', help: 'most tokens per llama_decode call' },
    { name: 'json', type: 'boolean', help: 'print the results as JSON' },
    ...standardFlags(),
    ...modelFlags({ threads: false, contextSize: false }),
  ];
}

const HELP = {
  usage: 'llama-generate bench <model.gguf> [-p 512] [-n 128] [-t 1,2] [-r 5]',
  description: [
    'Times prompt processing (ppN: N prompt tokens in one generate() call) and token',
    'generation (tgN: N tokens streamed by a for-await loop, greedy, EOS ignored) like',
    "llama.cpp's llama-bench: each test warmed up first, then repeated; tokens/s as",
    'mean ± sample standard deviation.',
  ].join('\n'),
  examples: ['llama-generate bench model.gguf', 'llama-generate bench model.gguf -p 128,512 -n 64 -t 1,2 -r 3 --json'],
};

/** One row of the results. */
export interface BenchRow {
  test: string;
  threads: number;
  /** tokens/s of each repetition */
  samples: number[];
  mean: number;
  stddev: number;
}

function stats(samples: number[]): { mean: number; stddev: number } {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const stddev = samples.length > 1 ? Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples.length - 1)) : 0;
  return { mean, stddev };
}

/** Deterministic prompt of `n` ordinary token ids (a linear congruential sequence). */
function promptOf(model: Model, n: number, salt: number): number[] {
  const specials = new Set(Object.values(model.specialTokens).filter((t): t is number => t !== null));
  const out: number[] = [];
  let x = (salt * 2654435761) >>> 0;
  while (out.length < n) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const id = x % model.vocabSize;
    if (!specials.has(id) && !model.isEog(id)) out.push(id);
  }
  return out;
}

const GREEDY = { do_sample: false, ignore_eos: true } as const;

async function timePrompt(context: Context, tokens: number[]): Promise<number> {
  await context.clear();
  const r = await context.generate(tokens, { ...GREEDY, max_new_tokens: 1 }).result;
  return tokens.length / (r.timings.promptMs / 1000);
}

async function timeGeneration(context: Context, start: number, n: number): Promise<number> {
  await context.clear();
  const generation = context.generate([start], { ...GREEDY, max_new_tokens: n });
  let tokens = 0;
  for await (const chunk of generation) tokens += chunk.tokens.length;
  const r = await generation.result;
  if (tokens !== n) throw new Error(`generated ${tokens} tokens instead of ${n}`);
  // the first token comes out of the prompt's decode; the other n - 1 are generation steps
  return n === 1 ? 1 / (r.timings.promptMs / 1000) : (n - 1) / (r.timings.generationMs / 1000);
}

/** Runs `bench`; returns the exit code. */
export async function bench(argv: readonly string[], io: CommandIo): Promise<number> {
  const command = parseCommand(argv, benchFlags(), HELP, io, 0);
  if (!command) return 0;
  const { parsed, modelPath: path } = command;
  const prompts = flagIntegerList(parsed, 'n-prompt', 0, [512]).filter((n) => n > 0);
  const gens = flagIntegerList(parsed, 'n-gen', 0, [128]).filter((n) => n > 0);
  const threadCounts = flagIntegerList(parsed, 'threads', 1, [physicalCoreCount()]);
  const reps = flagInteger(parsed, 'repetitions', 1, 1000) ?? 5;
  const batchSize = flagInteger(parsed, 'batch-size', 1) ?? 512;
  if (prompts.length + gens.length === 0) throw new UsageError('nothing to time: -p and -n are both 0');
  const base = contextOptions(parsed, { threads: false });
  const contextSize = Math.max(0, ...prompts, ...gens.map((n) => n + 1)) + 1;

  const model = await openModel(path, loadOptions(parsed), io);
  const rows: BenchRow[] = [];
  const progress = new Progress(io, 'bench', 'runs');
  const total = threadCounts.length * (prompts.length + gens.length) * reps;
  let done = 0;
  try {
    const bos = model.specialTokens.bos ?? promptOf(model, 1, 0)[0];
    for (const threads of threadCounts) {
      const context = await model.createContext({
        ...base, contextSize, batchSize: Math.min(batchSize, contextSize), threads, threadsBatch: threads,
      });
      const tests: [string, (rep: number) => Promise<number>][] = [
        ...prompts.map((n): [string, (rep: number) => Promise<number>] => [`pp${n}`, (rep) => timePrompt(context, promptOf(model, n, rep + 1))]),
        ...gens.map((n): [string, (rep: number) => Promise<number>] => [`tg${n}`, () => timeGeneration(context, bos, n)]),
      ];
      for (const [test, once] of tests) {
        await once(-1); // warm-up, as llama-bench
        const samples: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          samples.push(await once(rep));
          progress.update(++done, total);
        }
        rows.push({ test, threads, samples, ...stats(samples) });
      }
      context.dispose();
    }
  } finally {
    progress.stop();
    await model.disposeAsync();
  }
  if (flagBoolean(parsed, 'json')) {
    io.stdout.write(JSON.stringify({ model: path, description: model.description, parameters: model.parameterCount, sizeBytes: model.sizeBytes, repetitions: reps, batchSize, rows }, null, 2) + '\n');
    return 0;
  }
  const header = ['model', 'size', 'params', 'threads', 'test', 't/s'];
  const size = `${(model.sizeBytes / 2 ** 20).toFixed(2)} MiB`;
  const params = model.parameterCount >= 1e9 ? `${(model.parameterCount / 1e9).toFixed(2)} B` : `${(model.parameterCount / 1e6).toFixed(2)} M`;
  const body = rows.map((r) => [model.description, size, params, String(r.threads), r.test, `${r.mean.toFixed(2)} ± ${r.stddev.toFixed(2)}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  io.stdout.write([line(header), `|${widths.map((w, i) => (i >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`, ...body.map(line)].join('\n') + '\n');
  return 0;
}
