/**
 * Beam search benchmark (issue 13): generation speed of num_beams 2, 4 and 8
 * beside greedy on the same model and context, and what a beam reordering
 * costs: copying a sequence's cache (llama_memory_seq_cp, cells shared in
 * the unified KV cache) against evaluating its tokens again.
 *
 * Usage:  npx tsx bench/beams.ts [--reps N] [--threads N] [--tokens N] [--prompt N] [--model stories260K|random-100m-q8_0]
 *   --reps N      runs per width, interleaved (default 5; median [min–max] reported)
 *   --threads N   CPU threads (default 2)
 *   --tokens N    max_new_tokens, EOS ignored, so every run makes exactly N steps (default 64)
 *   --prompt N    random prompt tokens (default 32)
 *
 * Writes bench/results/beams.md and bench/results/beams.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadModel } from '../lib';
import { RESULTS, busyWarning, codeLine, contextOptions, ensureModel, machineInfo, mdTable, randomPrompt, selectModels, sourceState, stat, ts, type Stat } from './common';

const WIDTHS = [1, 2, 4, 8];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '5' },
      threads: { type: 'string', default: '2' },
      tokens: { type: 'string', default: '64' },
      prompt: { type: 'string', default: '32' },
      model: { type: 'string', default: 'random-100m-q8_0' },
    },
  });
  const reps = Number(values.reps);
  const threads = Number(values.threads);
  const steps = Number(values.tokens);
  const loadBefore = os.loadavg();
  const source = sourceState();
  const [bench] = selectModels([values.model!]);
  ensureModel(bench);
  const model = await loadModel(bench.path);
  const prompt = randomPrompt(Number(values.prompt), model.vocabSize, 7);
  const context = await model.createContext(contextOptions(threads, 8, 8 * (prompt.length + steps + 64)));

  // Generation: one context with 8 sequences for every width; widths interleaved run by run.
  const ms = new Map<number, number[]>(WIDTHS.map((w) => [w, []]));
  for (let rep = 0; rep < reps + 1; rep++) {
    for (const width of WIDTHS) {
      await context.clear();
      const config = width === 1 ? { max_new_tokens: steps, ignore_eos: true } : { num_beams: width, max_new_tokens: steps, ignore_eos: true };
      const r = await context.generate(prompt, config).result;
      if (r.tokens.length !== steps) throw new Error(`width ${width}: ${r.tokens.length} tokens, expected ${steps}`);
      if (rep > 0) ms.get(width)!.push(r.timings.generationMs); // rep 0 warms up
    }
  }
  const gen = new Map<number, Stat>(WIDTHS.map((w) => [w, stat(ms.get(w)!)]));
  const greedy = gen.get(1)!.median;

  context.dispose();

  // Reordering: seq_cp of an L-token sequence vs evaluating those L tokens again.
  const kv = await model.createContext(contextOptions(threads, 2, 4096));
  const reorder: Array<{ tokens: number; copyMs: Stat; evalMs: Stat }> = [];
  for (const length of [64, 256, 1024]) {
    const tokens = randomPrompt(length, model.vocabSize, length);
    const copy: number[] = [];
    const evaluate: number[] = [];
    for (let rep = 0; rep < reps + 1; rep++) {
      await kv.clear();
      await kv.evaluate(tokens, { sequence: 0, logits: 'none' });
      let t = performance.now();
      await kv.copySequence(0, 1);
      const c = performance.now() - t;
      await kv.clearSequence(1);
      t = performance.now();
      await kv.evaluate(tokens, { sequence: 1, logits: 'none' });
      const e = performance.now() - t;
      if (rep > 0) {
        copy.push(c);
        evaluate.push(e);
      }
    }
    reorder.push({ tokens: length, copyMs: stat(copy), evalMs: stat(evaluate) });
  }
  kv.dispose();
  model.dispose();

  const machine = machineInfo(source, loadBefore);
  const command = `npx tsx bench/beams.ts --reps ${reps} --threads ${threads} --tokens ${steps} --prompt ${prompt.length} --model ${bench.id}`;
  const md = [
    `### Results: \`${command}\``,
    '',
    `${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}; ${codeLine(machine)}; ${bench.label}, ${threads} threads, ` +
      `a ${prompt.length}-token random prompt, ${steps} tokens (EOS ignored: every run makes ${steps} steps), one context with 8 sequences (unified KV cache).`,
    '',
    ...mdTable(
      ['decoding', 'generation ms', 'steps/s', 'sequence-tokens/s (beams × steps)', 'time / greedy'],
      ['l', 'r', 'r', 'r', 'r'],
      WIDTHS.map((w) => {
        const s = gen.get(w)!;
        const perSecond = (n: number): Stat => stat(s.samples.map((x) => (n * 1000) / x));
        return [
          w === 1 ? 'greedy' : `num_beams ${w}`,
          ts(s, 0),
          ts(perSecond(steps), 0),
          ts(perSecond(steps * w), 0),
          `${(s.median / greedy).toFixed(2)}×`,
        ];
      }),
    ),
    '',
    'Reordering a beam: `context.copySequence()` (llama_memory_seq_cp, what the engine calls for a beam that moves to another sequence) against evaluating the same tokens again (each through the JS API, so both include one queued native call):',
    '',
    ...mdTable(
      ['sequence length', 'seq_cp ms', 're-evaluation ms'],
      ['r', 'r', 'r'],
      reorder.map((r) => [String(r.tokens), ts(r.copyMs, 3), ts(r.evalMs, 1)]),
    ),
    '',
    ...(busyWarning(loadBefore) ? [`> ${busyWarning(loadBefore)}`, ''] : []),
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'beams.md'), md + '\n');
  writeFileSync(
    join(RESULTS, 'beams.json'),
    JSON.stringify({ machine, command, generationMs: Object.fromEntries([...gen].map(([w, s]) => [w, s])), reorder }, null, 2) + '\n',
  );
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
