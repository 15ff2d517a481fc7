/**
 * llama-generate's side of the load-time and memory measurement of bench/peers.ts,
 * in a fresh process. bench/peers.ts transpiles lib/ and this file to plain
 * CommonJS (bench/.peers/js/) and runs it with plain `node`, so that the process
 * carries no TypeScript loader (tsx adds ~40 MiB of RSS).
 *
 *   node bench/.peers/js/bench/peers/ours-child.js <model> <threads> <contextSize> <tokens> <flashAttention on|off>
 *
 * Loads the addon, the model and a context, generates <tokens> tokens greedily
 * from [BOS] (ignore_eos), and prints one JSON line: the times of each step,
 * process.resourceUsage().maxRSS and VmHWM (KiB) before loading and at the end.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** VmHWM of this process (KiB): its own peak RSS, unlike ru_maxrss not inherited from the parent across fork/exec. */
function vmHwmKiB(): number | null {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const [modelPath, threads, contextSize, tokens, fa] = process.argv.slice(2);
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../../lib') as typeof import('../../lib');
  const importMs = performance.now() - t0;
  const baselineKiB = process.resourceUsage().maxRSS;
  const baselineHwmKiB = vmHwmKiB();
  const t1 = performance.now();
  lib.systemInfo(); // loads the addon and initialises llama.cpp's backends
  const initMs = performance.now() - t1;
  const afterInitKiB = process.resourceUsage().maxRSS;
  const t2 = performance.now();
  const model = await lib.loadModel(modelPath);
  const loadMs = performance.now() - t2;
  const t3 = performance.now();
  const ctx = await model.createContext({
    contextSize: Number(contextSize),
    batchSize: 512,
    ubatchSize: 512,
    threads: Number(threads),
    threadsBatch: Number(threads),
    flashAttention: fa === 'on',
  });
  const contextMs = performance.now() - t3;
  const bos = model.specialTokens.bos;
  if (bos === null) throw new Error('the model has no BOS token');
  const n = Number(tokens);
  const gen = ctx.generate([bos], { max_new_tokens: n, ignore_eos: true, do_sample: false });
  let streamed = 0;
  for await (const chunk of gen) streamed += chunk.tokens.length;
  const r = await gen.result;
  if (streamed !== n || r.usage.completionTokens !== n) throw new Error(`generated ${streamed} tokens (${r.usage.completionTokens} reported), expected ${n}`);
  const maxRssKiB = process.resourceUsage().maxRSS;
  const hwmKiB = vmHwmKiB();
  process.stdout.write(
    JSON.stringify({
      importMs,
      initMs,
      loadMs,
      contextMs,
      tokens: streamed,
      tokensPerSecond: r.timings.tokensPerSecond,
      baselineKiB,
      afterInitKiB,
      maxRssKiB,
      baselineHwmKiB,
      hwmKiB,
    }) + '\n',
  );
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
