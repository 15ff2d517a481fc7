#!/usr/bin/env node
'use strict';
/**
 * `npm run test:vulkan`: builds the Vulkan variant of the addon (in
 * build/vulkan/, beside the default build/) when it is missing or out of date,
 * then greedy-generates from the same prompts twice, each run in a child
 * process:
 *
 *   vulkan  LLAMA_GENERATE_BINARY=build/vulkan/Release, every layer on the
 *           Vulkan device (GGML_VK_VISIBLE_DEVICES=0 by default, see below);
 *   cpu     the CPU reference: LLAMA_GENERATE_BINARY=build/Release when that
 *           build exists (else build/vulkan/Release with no Vulkan device
 *           visible), gpuLayers 0;
 *
 * and compares the tokens prompt by prompt (identical, or the index of the
 * first difference). It fails (exit 1) when no Vulkan device is listed, when
 * llama.cpp does not report layers offloaded to it, or when the tokens of
 * stories260K differ. The ~100M random-weight bench model
 * (bench/models/, `npm run bench:model`) runs too, with fewer tokens, and is
 * only reported: the late tokens of a random model can flip on float
 * rounding differences between the backends.
 *
 * Without a GPU this runs on lavapipe, Mesa's Vulkan driver on the CPU
 * (Debian: mesa-vulkan-drivers). lavapipe reports itself as a device of type
 * VK_PHYSICAL_DEVICE_TYPE_CPU, and ggml-vulkan by default takes only discrete
 * and integrated GPUs, so without GGML_VK_VISIBLE_DEVICES it finds no device
 * at all; naming the index (0, or whatever `vulkaninfo --summary` lists
 * lavapipe as) selects it regardless of its type.
 *
 * Options:
 *   --tokens N          tokens per stories260K prompt (default 64)
 *   --bench-tokens N    tokens per bench-model prompt (default 32; 0 skips the bench model)
 *   --bench-model PATH  bench model(s) to run (repeatable; default bench/models/random-llama-100m-{q8_0,f16}.gguf,
 *                       written with `npm run bench:model` when missing)
 *   --cpu-binary DIR    the CPU reference build (default build/Release when it has the addon)
 *   --expect-device S   the Vulkan device's description must contain S (default "llvmpipe"; "" accepts any)
 *   --no-build          use build/vulkan as it is
 * Environment: GGML_VK_VISIBLE_DEVICES (default 0) picks the Vulkan device.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const VULKAN_BUILD = path.join(root, 'build', 'vulkan');
const VULKAN_BINARY = path.join(VULKAN_BUILD, 'Release');
const VULKAN_MODULE = process.platform === 'win32' ? 'ggml-vulkan.dll' : 'libggml-vulkan.so';
const STORIES = process.env.LLAMA_GENERATE_STORIES_MODEL || firstExisting([
  path.join(root, 'models', 'stories260K.gguf'),
  '/work/shared/models/stories260K.gguf',
]);
const PROMPTS = ['Once upon a time', 'The little dog', 'Lily wanted to play with', 'One day, Tom found a big'];
const BENCH_PROMPTS = ['Once upon a time', 'The quick brown fox'];
const CHILD_TIMEOUT_MS = 15 * 60 * 1000;

function firstExisting(paths) {
  return paths.find((p) => fs.existsSync(p)) ?? paths[0];
}

// ---------------------------------------------------------------------------
// child: one model, one binary, every prompt; writes a JSON report
// ---------------------------------------------------------------------------

async function child(spec) {
  const lib = require(path.join(root, 'dist', 'index.js'));
  let log = '';
  lib.setLogger((_level, text) => {
    log += text;
  });
  lib.setLogLevel('info');
  const flushLog = () => new Promise((resolve) => setTimeout(resolve, 100));

  const devices = lib.listDevices();
  const vulkan = devices.filter((d) => d.backend === 'Vulkan');
  const report = { devices, modules: lib.systemInfo().modules, results: [] };
  const started = process.hrtime.bigint();
  const model = await lib.loadModel(spec.model, {
    gpuLayers: spec.gpuLayers,
    devices: spec.gpuLayers !== 0 && vulkan.length > 0 ? [vulkan[0].name] : undefined,
  });
  report.loadMs = Number(process.hrtime.bigint() - started) / 1e6;
  try {
    const context = await model.createContext({ contextSize: spec.contextSize });
    // Warm-up (pipelines, first-use allocations), then a clean cache for each prompt.
    await context.generate(spec.prompts[0], { max_new_tokens: 2, ignore_eos: true }).result;
    for (const prompt of spec.prompts) {
      await context.clear();
      const r = await context.generate(prompt, { max_new_tokens: spec.tokens, ignore_eos: true, do_sample: false }).result;
      report.results.push({
        prompt,
        tokens: r.tokens,
        text: r.text,
        tokensPerSecond: r.timings.tokensPerSecond,
        promptTokensPerSecond: r.timings.promptTokensPerSecond,
      });
    }
  } finally {
    model.dispose();
  }
  await flushLog();
  const offload = log.match(/offloaded (\d+)\/(\d+) layers to GPU/);
  report.offloaded = offload ? { layers: Number(offload[1]), of: Number(offload[2]) } : null;
  report.buffers = [...log.matchAll(/(\S+) model buffer size =\s*([\d.]+) MiB/g)].map((m) => ({ buffer: m[1], mib: Number(m[2]) }));
  report.logTail = log.split('\n').filter((l) => /vulkan|offload|device/i.test(l)).slice(-12);
  fs.writeFileSync(spec.out, JSON.stringify(report));
}

// ---------------------------------------------------------------------------
// parent
// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { tokens: 64, benchTokens: 32, benchModels: [], cpuBinary: undefined, expectDevice: 'llvmpipe', build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--tokens') options.tokens = Number(value());
    else if (arg === '--bench-tokens') options.benchTokens = Number(value());
    else if (arg === '--bench-model') options.benchModels.push(path.resolve(value()));
    else if (arg === '--cpu-binary') options.cpuBinary = path.resolve(value());
    else if (arg === '--expect-device') options.expectDevice = value();
    else if (arg === '--no-build') options.build = false;
    else throw new Error(`unknown option ${arg}`);
  }
  for (const key of ['tokens', 'benchTokens']) {
    if (!Number.isInteger(options[key]) || options[key] < 0) throw new Error(`--${key === 'tokens' ? 'tokens' : 'bench-tokens'} must be a non-negative integer`);
  }
  return options;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function runOrExit(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.error(`test:vulkan: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

/** Vendors/patches llama.cpp and builds build/vulkan (incrementally); returns what it did and how long it took. */
function buildVulkan(options) {
  const built = fs.existsSync(path.join(VULKAN_BINARY, 'llama_generate.node')) && fs.existsSync(path.join(VULKAN_BINARY, VULKAN_MODULE));
  if (!options.build) {
    if (!built) {
      console.error('test:vulkan: build/vulkan has no Vulkan build and --no-build was given');
      process.exit(1);
    }
    return { kind: 'skipped (--no-build)', ms: 0 };
  }
  const vendor = require('./vendor-llama-cpp');
  if (process.env.LLAMA_GENERATE_LLAMA_CPP_DIR) vendor.warnPatches(process.env.LLAMA_GENERATE_LLAMA_CPP_DIR);
  else vendor.vendorOrExit();  // clones when missing, applies missing patches of vendor/patches/
  const kind = fs.existsSync(path.join(VULKAN_BUILD, 'CMakeCache.txt')) ? (built ? 'up-to-date check / incremental' : 'incremental') : 'cold (new build dir; ccache may hold objects)';
  const started = Date.now();
  runOrExit(process.execPath, [path.join(__dirname, 'build-native.js'), '--out', VULKAN_BUILD, '--CDGGML_VULKAN=ON'], 'the Vulkan build');
  return { kind, ms: Date.now() - started };
}

function runChild(label, spec, env) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'llama-generate-vk-')), 'report.json');
  const started = Date.now();
  const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify({ ...spec, out })], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0 || !fs.existsSync(out)) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    const error = new Error(`${label} run failed (exit ${r.status ?? r.signal}${r.error ? `: ${r.error.message}` : ''})`);
    error.signal = r.signal;
    throw error;
  }
  const report = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  report.wallMs = Date.now() - started;
  return report;
}

/** A temporary copy of binary directory `dir` without the CPU variants that use AMX (ggml then picks the next best). */
function withoutAmxVariants(dir) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'llama-generate-no-amx-'));
  for (const name of fs.readdirSync(dir)) {
    if (/^(lib)?ggml-cpu-sapphirerapids\./.test(name)) continue;
    const from = path.join(dir, name);
    if (fs.statSync(from).isFile()) fs.copyFileSync(from, path.join(copy, name));
  }
  process.on('exit', () => fs.rmSync(copy, { recursive: true, force: true }));
  return copy;
}

function compare(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return { identical: i === a.length && i === b.length, agree: i, of: Math.max(a.length, b.length) };
}

function meanTps(report) {
  const values = report.results.map((r) => r.tokensPerSecond).filter((v) => Number.isFinite(v));
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN;
}

/** Runs one model on both binaries; returns { pass, lines } (pass: the Vulkan run offloaded and tokens agree). */
function runModel(name, spec, binaries, options) {
  const visible = process.env.GGML_VK_VISIBLE_DEVICES ?? '0';
  console.log(`\n== ${name}: ${spec.prompts.length} prompts x ${spec.tokens} tokens (greedy)`);
  const vk = runChild('vulkan', { ...spec, gpuLayers: -1 }, { LLAMA_GENERATE_BINARY: VULKAN_BINARY, GGML_VK_VISIBLE_DEVICES: visible });
  // An empty GGML_VK_VISIBLE_DEVICES hides every Vulkan device: a CPU-only run even from the Vulkan build.
  let cpu;
  try {
    cpu = runChild('cpu', { ...spec, gpuLayers: 0 }, { LLAMA_GENERATE_BINARY: binaries.cpu, GGML_VK_VISIBLE_DEVICES: '' });
  } catch (err) {
    if (err.signal !== 'SIGILL' || binaries.cpuNoAmx) throw err;
    // ggml's AMX kernels (the sapphirerapids CPU variant, quantised weights) can die with SIGILL
    // where the CPU lists AMX but cannot run it here: retry with the best variant without AMX.
    binaries.cpuNoAmx = withoutAmxVariants(binaries.cpu);
    console.log(`NOTE: the CPU reference died with SIGILL (ggml's AMX kernels?); using ${binaries.cpuNoAmx}, a copy of ${binaries.cpu} without the AMX variants`);
    binaries.cpu = binaries.cpuNoAmx;
    cpu = runChild('cpu', { ...spec, gpuLayers: 0 }, { LLAMA_GENERATE_BINARY: binaries.cpu, GGML_VK_VISIBLE_DEVICES: '' });
  }

  const problems = [];
  const vkDevice = vk.devices.find((d) => d.backend === 'Vulkan');
  if (!vkDevice) problems.push(`no Vulkan device listed (GGML_VK_VISIBLE_DEVICES=${visible}); modules: ${JSON.stringify(vk.modules?.failed ?? [])}`);
  else if (options.expectDevice && !vkDevice.description.includes(options.expectDevice)) {
    problems.push(`Vulkan device is "${vkDevice.description}", expected one matching "${options.expectDevice}" (--expect-device "" accepts any)`);
  }
  if (!vk.offloaded || vk.offloaded.layers === 0) problems.push(`no layer offloaded to the GPU (llama.cpp said: ${vk.offloaded ? `${vk.offloaded.layers}/${vk.offloaded.of}` : 'nothing'})`);
  if (cpu.offloaded && cpu.offloaded.layers > 0) problems.push(`the CPU reference offloaded ${cpu.offloaded.layers} layers`);
  if (cpu.devices.some((d) => d.backend === 'Vulkan')) problems.push('the CPU reference sees a Vulkan device');

  console.log(`vulkan: ${vkDevice ? `${vkDevice.name} "${vkDevice.description}"` : 'no device'}; offloaded ${vk.offloaded ? `${vk.offloaded.layers}/${vk.offloaded.of}` : '?'} layers; ` +
    `model buffers ${vk.buffers.map((b) => `${b.buffer} ${b.mib} MiB`).join(', ') || '?'}; load ${seconds(vk.loadMs)}, run ${seconds(vk.wallMs)}`);
  const cpuDir = path.relative(root, binaries.cpu);
  console.log(`cpu:    ${cpuDir.startsWith('..') ? binaries.cpu : cpuDir} (${cpu.modules?.cpuVariant ?? '?'}); load ${seconds(cpu.loadMs)}, run ${seconds(cpu.wallMs)}`);

  let agreeAll = true;
  let agreeTokens = 0;
  let totalTokens = 0;
  for (let i = 0; i < spec.prompts.length; i++) {
    const v = vk.results[i];
    const c = cpu.results[i];
    const cmp = compare(v.tokens, c.tokens);
    agreeAll &&= cmp.identical;
    agreeTokens += cmp.agree;
    totalTokens += cmp.of;
    const verdict = cmp.identical ? `identical (${cmp.of} tokens)` : `first difference at token ${cmp.agree} of ${cmp.of}`;
    console.log(`  ${JSON.stringify(v.prompt).padEnd(28)} ${verdict}; tok/s vulkan ${v.tokensPerSecond.toFixed(1)}, cpu ${c.tokensPerSecond.toFixed(1)}`);
    if (!cmp.identical) {
      console.log(`    vulkan: ${JSON.stringify(v.text)}`);
      console.log(`    cpu:    ${JSON.stringify(c.text)}`);
    }
  }
  console.log(`  agreement: ${agreeTokens}/${totalTokens} tokens before the first difference; mean generation tok/s: vulkan ${meanTps(vk).toFixed(1)}, cpu ${meanTps(cpu).toFixed(1)}`);
  for (const p of problems) console.log(`  PROBLEM: ${p}`);
  return { problems, agreeAll, agreeTokens, totalTokens, vkTps: meanTps(vk), cpuTps: meanTps(cpu) };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(STORIES)) throw new Error(`stories260K not found at ${STORIES} (set LLAMA_GENERATE_STORIES_MODEL)`);

  const build = buildVulkan(options);
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) runOrExit(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:ts'], 'npm run build:ts');

  const defaultCpu = path.join(root, 'build', 'Release');
  const cpuBinary = options.cpuBinary ?? (fs.existsSync(path.join(defaultCpu, 'llama_generate.node')) ? defaultCpu : VULKAN_BINARY);
  const binaries = { cpu: cpuBinary };
  console.log(`test:vulkan: Vulkan build ${path.relative(root, VULKAN_BINARY)}: ${build.kind}${build.ms ? `, ${seconds(build.ms)}` : ''}`);

  const summary = [];
  const stories = runModel('stories260K', { model: STORIES, prompts: PROMPTS, tokens: options.tokens, contextSize: 256 }, binaries, options);
  summary.push(['stories260K', stories]);
  let failed = stories.problems.length > 0 || !stories.agreeAll;

  if (options.benchTokens > 0) {
    let models = options.benchModels;
    if (models.length === 0) {
      const dir = path.join(root, 'bench', 'models');
      models = ['q8_0', 'f16'].map((t) => path.join(dir, `random-llama-100m-${t}.gguf`));
      if (!models.every((m) => fs.existsSync(m))) runOrExit(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'bench:model'], 'npm run bench:model');
    }
    for (const model of models) {
      if (!fs.existsSync(model)) throw new Error(`bench model ${model} not found`);
      const r = runModel(path.basename(model), { model, prompts: BENCH_PROMPTS, tokens: options.benchTokens, contextSize: 256 }, binaries, options);
      summary.push([path.basename(model), r]);
      if (r.problems.length > 0) failed = true;  // offload/device problems fail; token differences are only reported
    }
  }

  console.log('\n== summary');
  console.log(`build: ${build.kind}${build.ms ? `, ${seconds(build.ms)}` : ''}`);
  for (const [name, r] of summary) {
    console.log(`${name.padEnd(30)} tokens agreeing ${r.agreeTokens}/${r.totalTokens}${r.agreeAll ? ' (identical)' : ''}; ` +
      `tok/s vulkan ${r.vkTps.toFixed(1)}, cpu ${r.cpuTps.toFixed(1)}${r.problems.length ? `; ${r.problems.length} problem(s)` : ''}`);
  }
  if (failed) {
    console.error(stories.agreeAll ? 'test:vulkan: FAILED (see PROBLEM lines)' : 'test:vulkan: FAILED: stories260K differs between Vulkan and CPU');
    process.exit(1);
  }
  console.log('test:vulkan: ok');
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3])).catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
} else {
  try {
    main();
  } catch (err) {
    console.error(`test:vulkan: ${err.message}`);
    process.exit(1);
  }
}
