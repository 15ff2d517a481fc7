#!/usr/bin/env node
'use strict';
/**
 * GPU smoke test of a binary directory with a GPU backend module (CUDA,
 * Vulkan, Metal): the backend loaded and lists a device, a model loads with
 * every layer offloaded (llama.cpp says so in its log), and its greedy tokens
 * equal those of a CPU-only run (another binary directory, or the same one
 * with gpuLayers 0) in a separate process.
 *
 *   LLAMA_GENERATE_BINARY=build/cuda/Release node scripts/gpu-smoke.js \
 *     --expect-backend CUDA [--compare-cpu build/Release] [--model m.gguf]... [--tokens 64]
 *
 * Needs dist/ (npm run build:ts). Prints one JSON line per model; exits 1 when
 * the backend is missing, no layer was offloaded or the tokens differ.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const PROMPTS = ['Once upon a time', 'The little dog', 'Lily wanted to'];

function parseArgs(argv) {
  const o = { expectBackend: null, compareCpu: null, models: [], tokens: 64, child: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--expect-backend') o.expectBackend = argv[++i];
    else if (a === '--compare-cpu') o.compareCpu = argv[++i];
    else if (a === '--model') o.models.push(argv[++i]);
    else if (a === '--tokens') o.tokens = Number(argv[++i]);
    else if (a === '--child') o.child = argv[++i];
    else throw new Error(`gpu-smoke: unknown argument ${a}`);
  }
  if (o.models.length === 0) o.models.push(path.join(root, 'models', 'stories260K.gguf'));
  return o;
}

/** Greedy tokens of every prompt; `gpu`: all layers offloaded (and the log line that says so). */
async function run(model, tokens, gpu) {
  const lib = require(path.join(root, 'dist'));
  const log = [];
  lib.setLogger((level, text) => log.push(text));
  lib.setLogLevel('info');
  const m = await lib.loadModel(model, { gpuLayers: gpu ? 'max' : 0 });
  const context = await m.createContext({ contextSize: 512 });
  const out = [];
  const started = performance.now();
  let generated = 0;
  for (const prompt of PROMPTS) {
    const r = await context.generate(prompt, { max_new_tokens: tokens, ignore_eos: true }).result;
    out.push(Array.from(r.tokens));
    generated += r.tokens.length;
    await context.clear();
  }
  const seconds = (performance.now() - started) / 1000;
  const offload = log.join('').match(/offloaded (\d+)\/(\d+) layers to GPU/);
  const info = lib.systemInfo();
  await m.disposeAsync();
  return {
    tokens: out,
    tokensPerSecond: generated / seconds,
    offloaded: offload ? { layers: Number(offload[1]), of: Number(offload[2]) } : null,
    backends: info.modules.loaded.map((b) => `${b.backend}:${b.devices}`),
    failed: info.modules.failed,
    devices: lib.listDevices().map((d) => `${d.name} (${d.type}, ${d.description})`),
  };
}

function firstDifference(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) {
    const r = await run(o.child, o.tokens, false);
    process.stdout.write(JSON.stringify(r));
    return;
  }
  let ok = true;
  for (const model of o.models) {
    const gpu = await run(model, o.tokens, true);
    const env = { ...process.env };
    if (o.compareCpu) env.LLAMA_GENERATE_BINARY = o.compareCpu;
    const child = spawnSync(process.execPath, [__filename, '--child', model, '--tokens', String(o.tokens)], { env, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`CPU run failed: ${child.stderr}`);
    const cpu = JSON.parse(child.stdout);
    const agreement = gpu.tokens.map((t, i) => firstDifference(t, cpu.tokens[i]));
    const hasBackend = !o.expectBackend || gpu.backends.some((b) => b.toLowerCase().startsWith(o.expectBackend.toLowerCase()) && !b.endsWith(':0'));
    const fullyOffloaded = gpu.offloaded !== null && gpu.offloaded.layers === gpu.offloaded.of;
    const isStories = path.basename(model).startsWith('stories260K');
    const identical = agreement.every((d) => d === -1);
    console.log(JSON.stringify({
      model: path.basename(model),
      backends: gpu.backends,
      devices: gpu.devices,
      failedModules: gpu.failed,
      offloaded: gpu.offloaded,
      firstDifferencePerPrompt: agreement,
      identical,
      gpuTokensPerSecond: Number(gpu.tokensPerSecond.toFixed(1)),
      cpuTokensPerSecond: Number(cpu.tokensPerSecond.toFixed(1)),
    }));
    if (!hasBackend || !fullyOffloaded || (isStories && !identical)) ok = false;
  }
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
