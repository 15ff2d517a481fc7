// node-llama-cpp's side of bench/peers.ts. Runs in its own Node process, from
// this folder so that `node-llama-cpp` resolves to ./node_modules (installed by
// ../setup.js). Always uses the prebuilt CPU binary of @node-llama-cpp/linux-x64:
// getLlama({ gpu: false, build: 'never', skipDownload: true }), and the parent
// sets NODE_LLAMA_CPP_SKIP_DOWNLOAD=true, so nothing is ever downloaded or built.
//
//   node worker.js serve
//       IPC server for bench/peers.ts (child_process.fork): messages
//       { id, cmd, ...args } → replies { id, ok, result | error }.
//   node worker.js memory <model> <threads> <contextSize> <tokens> <flashAttention on|off>
//       one fresh process: getLlama, loadModel, createContext, then a greedy
//       generation of <tokens> tokens from [BOS]; prints one JSON line with
//       the timings and process.resourceUsage().maxRSS.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const tImport0 = performance.now();
const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
const importMs = performance.now() - tImport0;

const version = JSON.parse(readFileSync(new URL('./node_modules/node-llama-cpp/package.json', import.meta.url), 'utf8')).version;

/** @type {import('node-llama-cpp').Llama | null} */
let llama = null;
/** @type {import('node-llama-cpp').LlamaModel | null} */
let model = null;
/** @type {import('node-llama-cpp').LlamaContext | null} */
let context = null;
/** @type {import('node-llama-cpp').LlamaContextSequence | null} */
let sequence = null;
/** CPU backend variant llama.cpp loaded (from its log) */
let cpuBackend = null;

async function init() {
  if (llama) return { ms: 0 };
  const t0 = performance.now();
  llama = await getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    usePrebuiltBinaries: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.debug,
    logger(level, message) {
      const m = /loaded CPU backend from (\S+)/.exec(message);
      if (m) cpuBackend = m[1].replace(/^.*[\\/]/, '');
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) process.stderr.write(`[node-llama-cpp] ${message}\n`);
    },
  });
  const ms = performance.now() - t0;
  // give the asynchronous log a moment, then keep only warnings and errors
  await new Promise((r) => setTimeout(r, 50));
  llama.logLevel = LlamaLogLevel.warn;
  return { ms, info: info() };
}

function info() {
  if (!llama) return null;
  return {
    version,
    buildType: llama.buildType,
    gpu: llama.gpu,
    llamaCppRelease: llama.llamaCppRelease,
    systemInfo: llama.systemInfo,
    cpuBackend,
    cpuMathCores: llama.cpuMathCores,
  };
}

async function load({ modelPath }) {
  await init();
  await unload();
  const t0 = performance.now();
  model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  return { ms: performance.now() - t0, bos: model.tokens.bos };
}

async function createContext({ threads, contextSize, batchSize, flashAttention }) {
  if (context) await context.dispose();
  const t0 = performance.now();
  context = await model.createContext({ contextSize, batchSize, threads, flashAttention, sequences: 1 });
  sequence = context.getSequence();
  return {
    ms: performance.now() - t0,
    contextSize: context.contextSize,
    batchSize: context.batchSize,
    flashAttention: context.flashAttention,
    threads: context.idealThreads,
  };
}

async function unload() {
  if (context) await context.dispose();
  if (model) await model.dispose();
  context = null;
  sequence = null;
  model = null;
}

/** Prompt processing: the sequence cleared, `tokens` evaluated without generating (its idiomatic prompt path). */
async function pp({ tokens }) {
  await sequence.clearHistory();
  const t0 = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(tokens);
  const ms = performance.now() - t0;
  if (sequence.nextTokenIndex !== tokens.length) throw new Error(`pp: sequence holds ${sequence.nextTokenIndex} tokens, expected ${tokens.length}`);
  return { ms, rate: tokens.length / (ms / 1000) };
}

/**
 * Generation through sequence.evaluate() (the async iterator LlamaCompletion and
 * LlamaChat are built on): greedy (temperature 0), EOG tokens yielded and fed back
 * like any other token (yieldEogToken; a token bias cannot ban EOS in node-llama-cpp),
 * stopped after exactly `n` tokens. Returns the times of the first and last token.
 */
async function tg({ tokens, n }) {
  await sequence.clearHistory();
  const t0 = performance.now();
  let count = 0;
  let eog = 0;
  let first = 0;
  let last = 0;
  for await (const token of sequence.evaluate(tokens, { temperature: 0, yieldEogToken: true })) {
    const now = performance.now();
    if (count === 0) first = now;
    last = now;
    count++;
    if (model.isEogToken(token)) eog++;
    if (count >= n) break;
  }
  if (count !== n) throw new Error(`tg: ${count} tokens generated, expected ${n}`);
  const held = sequence.nextTokenIndex;
  if (held !== tokens.length + n - 1) throw new Error(`tg: sequence holds ${held} tokens, expected ${tokens.length + n - 1}`);
  return {
    tokens: count,
    eogTokens: eog,
    firstMs: first - t0,
    elapsedMs: last - first,
    rate: (count - 1) / ((last - first) / 1000),
  };
}

/** Time to first token: the sequence cleared, from the evaluate() call to its first yielded token (greedy). */
async function ttft({ tokens }) {
  await sequence.clearHistory();
  const t0 = performance.now();
  const it = sequence.evaluate(tokens, { temperature: 0, yieldEogToken: true });
  const first = await it.next();
  const ms = performance.now() - t0;
  await it.return(undefined);
  if (first.done) throw new Error('ttft: no token generated');
  if (sequence.nextTokenIndex !== tokens.length) throw new Error(`ttft: sequence holds ${sequence.nextTokenIndex} tokens, expected ${tokens.length}`);
  return { ms };
}

const handlers = {
  ttft,
  init,
  load,
  createContext,
  unload,
  pp,
  tg,
  info: async () => info(),
};

async function serve() {
  if (!process.send) throw new Error('worker.js serve must be started with child_process.fork');
  process.on('message', async (message) => {
    const { id, cmd, ...args } = message;
    if (cmd === 'exit') {
      await unload().catch(() => {});
      if (llama) await llama.dispose().catch(() => {});
      process.send({ id, ok: true, result: null }, () => process.exit(0));
      return;
    }
    try {
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      const result = await handler(args);
      process.send({ id, ok: true, result });
    } catch (error) {
      process.send({ id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  });
  process.send({ id: 0, ok: true, result: { ready: true, importMs } });
}

/** VmHWM of this process (KiB): its own peak RSS, unlike ru_maxrss not inherited from the parent across fork/exec. */
function vmHwmKiB() {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  } catch {
    return null;
  }
}

async function memory([modelPath, threads, contextSize, n, fa]) {
  const baselineKiB = process.resourceUsage().maxRSS;
  const baselineHwmKiB = vmHwmKiB();
  const initRes = await init();
  const afterInitKiB = process.resourceUsage().maxRSS;
  const loadRes = await load({ modelPath });
  const ctxRes = await createContext({ threads: Number(threads), contextSize: Number(contextSize), batchSize: 512, flashAttention: fa === 'on' });
  const bos = model.tokens.bos;
  if (bos == null) throw new Error('the model has no BOS token');
  const gen = await tg({ tokens: [bos], n: Number(n) });
  const maxRssKiB = process.resourceUsage().maxRSS;
  const hwmKiB = vmHwmKiB();
  process.stdout.write(
    JSON.stringify({
      importMs,
      initMs: initRes.ms,
      loadMs: loadRes.ms,
      contextMs: ctxRes.ms,
      context: ctxRes,
      tokens: gen.tokens,
      eogTokens: gen.eogTokens,
      tokensPerSecond: gen.rate,
      baselineKiB,
      afterInitKiB,
      maxRssKiB,
      baselineHwmKiB,
      hwmKiB,
      info: info(),
    }) + '\n',
  );
  await unload();
  await llama.dispose();
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'serve') await serve();
else if (mode === 'memory') await memory(rest);
else {
  console.error('usage: node worker.js serve | memory <model> <threads> <contextSize> <tokens> <on|off>');
  process.exit(2);
}
