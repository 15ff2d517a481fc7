/**
 * JSON mode end to end (issue 14): tokens per second of generate() constrained
 * by a JSON Schema of tool calls, next to unconstrained generation of the
 * same length on the same model and context (greedy; the unconstrained run
 * produces exactly as many tokens as the constrained one did, ignoring EOS
 * only if it would end earlier). With `--llama-cpp`, the same constrained run with llama.cpp's grammar
 * sampler (LLAMA_GENERATE_GRAMMAR_ENGINE=llama.cpp) for comparison.
 *
 * Usage:  npx tsx bench/json-mode.ts [--reps N] [--threads N] [--tokens N] [--llama-cpp]
 *   --reps N      alternating runs per side (default 7; the median is reported)
 *   --threads N   CPU threads of the context (default 2)
 *   --tokens N    max_new_tokens of the constrained run (default 512)
 *   --llama-cpp   also time llama.cpp's grammar sampler on the constrained run
 *
 * Writes bench/results/json-mode.md and bench/results/json-mode.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { loadModel, type Context } from '../lib';
import { grammarCacheStats, clearGrammarCache } from '../lib/grammar';
import { MODELS, RESULTS, codeLine, contextOptions, ensureModel, machineInfo, randomPrompt, sourceState, stat, ts, busyWarning, type Stat } from './common';
import { TOOL_CALLS_SCHEMA } from './schemas';

interface Args {
  reps: number;
  threads: number;
  tokens: number;
  llamaCpp: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { reps: 7, threads: 2, tokens: 512, llamaCpp: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--reps') a.reps = Number(argv[++i]);
    else if (x === '--threads') a.threads = Number(argv[++i]);
    else if (x === '--tokens') a.tokens = Number(argv[++i]);
    else if (x === '--llama-cpp') a.llamaCpp = true;
    else throw new Error(`unknown argument ${x}`);
  }
  return a;
}

interface Run {
  tokens: number;
  tokensPerSecond: number;
  finishReason: string;
  text: string;
}

async function run(ctx: Context, prompt: number[], options: Record<string, unknown>): Promise<Run> {
  await ctx.clear();
  const r = await ctx.generate(prompt, { do_sample: false, ...options }).result;
  return { tokens: r.usage.completionTokens, tokensPerSecond: r.timings.tokensPerSecond, finishReason: r.finishReason, text: r.text };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loadBefore = os.loadavg();
  const source = sourceState();
  const m = MODELS.find((x) => x.id === 'random-100m-q8_0')!;
  ensureModel(m);
  const model = await loadModel(m.path);
  const ctx = await model.createContext(contextOptions(args.threads, 1, 1024));
  const prompt = [model.tokenize('', { addSpecial: true })[0] ?? 1, ...randomPrompt(31, model.vocabSize, 14)];
  const constrained = { json_schema: TOOL_CALLS_SCHEMA, max_new_tokens: args.tokens };

  // Cold: the first constrained run compiles the schema for this vocabulary (the trie too).
  clearGrammarCache();
  const coldStart = performance.now();
  const cold = await run(ctx, prompt, constrained);
  const coldMs = performance.now() - coldStart;
  const entry = grammarCacheStats()[0];
  const length = cold.tokens;
  console.log(`constrained output: ${length} tokens (${cold.finishReason}), compile ${entry?.compileMs.toFixed(1)} ms + trie ${entry?.trieMs.toFixed(1)} ms`);
  console.log(`  ${JSON.stringify(cold.text.slice(0, 160))}…`);
  // Unconstrained, as many tokens: without ignore_eos when greedy does not end earlier (its EOS
  // ban is a stage of its own over the vocabulary, which the constrained run does not have).
  const probe = await run(ctx, prompt, { max_new_tokens: length });
  const free = probe.tokens === length ? { max_new_tokens: length } : { max_new_tokens: length, ignore_eos: true };

  const sides: Record<string, number[]> = { unconstrained: [], constrained: [], 'constrained (llama.cpp sampler)': [] };
  await run(ctx, prompt, free); // warm-up
  for (let rep = 0; rep < args.reps; rep++) {
    const order = rep % 2 === 0 ? ['unconstrained', 'constrained'] : ['constrained', 'unconstrained'];
    for (const side of order) {
      const r = await run(ctx, prompt, side === 'constrained' ? constrained : free);
      if (r.tokens !== length) throw new Error(`${side}: ${r.tokens} tokens, expected ${length}`);
      sides[side]!.push(r.tokensPerSecond);
    }
    if (args.llamaCpp) {
      process.env.LLAMA_GENERATE_GRAMMAR_ENGINE = 'llama.cpp';
      try {
        const r = await run(ctx, prompt, constrained);
        if (r.tokens !== length) throw new Error(`llama.cpp sampler: ${r.tokens} tokens, expected ${length}`);
        sides['constrained (llama.cpp sampler)']!.push(r.tokensPerSecond);
      } finally {
        delete process.env.LLAMA_GENERATE_GRAMMAR_ENGINE;
      }
    }
    console.log(`rep ${rep + 1}/${args.reps}: ${Object.entries(sides).filter(([, v]) => v.length > 0).map(([k, v]) => `${k} ${v[v.length - 1]!.toFixed(1)}`).join(', ')} tokens/s`);
  }
  const stats: Record<string, Stat> = {};
  for (const [k, v] of Object.entries(sides)) if (v.length > 0) stats[k] = stat(v);
  // Each rep's runs are back to back, so their ratio cancels the machine's drift between reps
  // (this VM's speed can change several-fold within minutes); the median of those ratios is the figure.
  const paired = (side: string): Stat => stat(sides[side]!.map((v, i) => v / sides.unconstrained![i]!));
  const rows = Object.entries(stats).map(([k, s]) => `| ${k} | ${ts(s, 1)} | ${k === 'unconstrained' ? '1' : ts(paired(k), 3)} |`);
  const machine = machineInfo(source, loadBefore);
  const command = `npx tsx bench/json-mode.ts${process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''}`;
  const warning = busyWarning(loadBefore);
  const md = [
    '# JSON mode end to end (issue 14)',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}; ${machine.date}. Code: ${codeLine(machine)}.`,
    ...(warning ? ['', `Note: ${warning}.`] : []),
    '',
    `${m.label}, ${args.threads} threads, greedy, a ${prompt.length}-token prompt. The constrained run follows a JSON Schema of 3 to 6`,
    `tool calls (TOOL_CALLS_SCHEMA in bench/schemas.ts) and produced ${length} tokens (${cold.finishReason}); the unconstrained run`,
    `generates as many (${'ignore_eos' in free ? 'with ignore_eos: greedy ended earlier' : 'greedy does not end earlier, so no ignore_eos'}).`,
    `Median [min–max] of ${args.reps} reps; generation tokens/s as the result's timings report them. In each rep the sides run back to back`,
    `(order alternating); the last column is the median [min–max] of the per-rep ratios to the unconstrained run.`,
    `Cold first constrained run (schema compiled for the vocabulary, trie built): ${coldMs.toFixed(0)} ms in all,`,
    `of which compile ${entry?.compileMs.toFixed(1)} ms and trie ${entry?.trieMs.toFixed(1)} ms; later runs take the compiled schema from the cache.`,
    '',
    '| generation | tokens/s | × unconstrained (per-rep ratio) |',
    '|---|---:|---:|',
    ...rows,
    '',
  ];
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'json-mode.md'), md.join('\n'));
  writeFileSync(
    join(RESULTS, 'json-mode.json'),
    JSON.stringify(
      { machine, command, args, length, finishReason: cold.finishReason, coldMs, compile: entry, samples: sides, stats, ratios: Object.fromEntries(Object.keys(stats).filter((k) => k !== 'unconstrained').map((k) => [k, paired(k)])) },
      null,
      2,
    ) + '\n',
  );
  console.log('\n' + md.join('\n'));
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
