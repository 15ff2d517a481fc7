#!/usr/bin/env node
'use strict';
/**
 * Smoke test of the cross-compiled linux-arm64 binary (scripts/build-arm64.js)
 * on an x86-64 Linux machine: runs an arm64 Node.js under qemu-user with
 * LLAMA_GENERATE_BINARY=build/linux-arm64/Release, greedy-generates 32 tokens
 * of models/stories260K.gguf for "Once upon a time" through dist/, prints the
 * token ids and the CPU variant ggml picked, does the same with the host's
 * node and its own build (build/Release), and fails unless the tokens match.
 *
 *   npm run test:arm64 [-- options]
 *
 * Options:
 *   --binary DIR      the arm64 binary directory (build/linux-arm64/Release)
 *   --x64-binary DIR  the host binary directory (build/Release)
 *   --cpu MODEL       also run under this qemu CPU model (repeatable; default
 *                     cortex-a53, an armv8.0 core without dotprod/SVE);
 *                     --cpu none: only qemu's default CPU model ("max")
 *   --tokens N        tokens to generate (32)
 *   --setup-node      only fetch the arm64 Node.js (see below) and exit
 *
 * What it needs:
 * - qemu-user (`qemu-aarch64`, or `qemu-aarch64-static`; $LLAMA_GENERATE_QEMU)
 * - an arm64 Node.js and the arm64 libraries it links against, as a root
 *   directory for qemu (-L / QEMU_LD_PREFIX): $LLAMA_GENERATE_ARM64_SYSROOT,
 *   with node at usr/bin/node in it or at $LLAMA_GENERATE_ARM64_NODE. Default:
 *   build/arm64-node/root, which this script fills on Debian/Ubuntu from the
 *   distribution's nodejs:arm64 package and its dependencies (apt-get download
 *   + dpkg -x, nothing is installed) once arm64 is a foreign architecture:
 *   `dpkg --add-architecture arm64 && apt-get update`.
 * - dist/ built (npm run build:ts), and build/Release for the comparison.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const PROMPT = 'Once upon a time';
const MARK = 'ARM64-SMOKE-RESULT ';

// --- the child: runs under whichever node (arm64 under qemu, or the host) ---
async function child(tokens) {
  const lib = require(path.join(root, 'dist'));
  const model = await lib.loadModel(path.join(root, 'models', 'stories260K.gguf'));
  try {
    const context = await model.createContext({ contextSize: 256 });
    const started = Date.now();
    const r = await context.generate(PROMPT, { max_new_tokens: tokens, do_sample: false }).result;
    const info = lib.systemInfo();
    process.stdout.write(MARK + JSON.stringify({
      node: process.version,
      arch: process.arch,
      tokens: Array.from(r.tokens),
      text: r.text,
      finishReason: r.finishReason,
      ms: Date.now() - started,
      modules: info.modules,
    }) + '\n');
  } finally {
    model.dispose();
  }
}

// --- the parent ---------------------------------------------------------------
function onPath(program) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, program))) return path.join(dir, program);
  }
  return null;
}

function fail(message) {
  console.error(`test-arm64: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  return r;
}

/** Fetches Debian/Ubuntu's nodejs:arm64 and what it links against into sysroot (no installation). */
function setupNode(sysroot) {
  if (!onPath('apt-get') || !onPath('dpkg')) fail('no apt-get/dpkg here: set LLAMA_GENERATE_ARM64_SYSROOT to a root directory with an arm64 node');
  const foreign = run('dpkg', ['--print-foreign-architectures']).stdout.split(/\s+/);
  if (!foreign.includes('arm64')) {
    fail('arm64 is not a foreign architecture of dpkg yet; run (as root): dpkg --add-architecture arm64 && apt-get update');
  }
  // nodejs:arm64 and its run-time dependencies: the arm64 libraries and the
  // architecture-independent node-* modules Debian's node loads from /usr/share.
  const deps = run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
    '--no-breaks', '--no-replaces', '--no-enhances', '--no-pre-depends', 'nodejs:arm64']);
  if (deps.status !== 0) fail(`apt-cache depends nodejs:arm64 failed:\n${deps.stderr}`);
  const skip = new Set(['dpkg', 'tar', 'install-info', 'openssl', 'perl-base', 'debconf']);
  const names = new Set();
  for (const line of deps.stdout.split('\n')) {
    if (!line || line.startsWith(' ') || line.startsWith('<')) continue;
    const [name, arch] = line.trim().split(':');
    if (skip.has(name)) continue;
    if (arch === 'arm64' || (!arch && name.startsWith('node-'))) names.add(arch ? `${name}:${arch}` : name);
  }
  if (!names.has('nodejs:arm64')) fail('apt knows no nodejs:arm64 (apt-get update after dpkg --add-architecture arm64?)');
  const debs = path.join(path.dirname(sysroot), 'debs');
  fs.rmSync(debs, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  console.log(`test-arm64: apt-get download ${[...names].join(' ')}`);
  const dl = run('apt-get', ['download', ...names], { cwd: debs, stdio: 'inherit' });
  if (dl.status !== 0) fail('apt-get download failed');
  fs.rmSync(sysroot, { recursive: true, force: true });
  for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
    const x = run('dpkg', ['-x', path.join(debs, deb), sysroot], { stdio: 'inherit' });
    if (x.status !== 0) fail(`dpkg -x ${deb} failed`);
  }
  console.log(`test-arm64: arm64 node unpacked in ${sysroot}`);
}

function parseArgs(argv) {
  const o = {
    binary: path.join(root, 'build', 'linux-arm64', 'Release'),
    x64Binary: path.join(root, 'build', 'Release'),
    cpus: [],
    tokens: 32,
    setupOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--binary') o.binary = path.resolve(argv[++i]);
    else if (a === '--x64-binary') o.x64Binary = path.resolve(argv[++i]);
    else if (a === '--cpu') o.cpus.push(argv[++i]);
    else if (a === '--tokens') o.tokens = Number(argv[++i]);
    else if (a === '--setup-node') o.setupOnly = true;
    else fail(`unknown option ${a}`);
  }
  if (o.cpus.length === 0) o.cpus = ['cortex-a53'];
  o.cpus = o.cpus.filter((c) => c !== 'none');
  return o;
}

function runChild(label, cmd, args, env) {
  console.log(`\n== ${label}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
    timeout: 15 * 60 * 1000,
  });
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith(MARK));
  if (r.status !== 0 || !line) {
    process.stdout.write(r.stdout || '');
    process.stderr.write(r.stderr || '');
    fail(`${label}: exited with ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}`);
  }
  const result = JSON.parse(line.slice(MARK.length));
  const m = result.modules || {};
  console.log(`node ${result.node} ${result.arch}, ${((Date.now() - started) / 1000).toFixed(1)} s in all, generation ${result.ms} ms`);
  console.log(`cpuVariant: ${m.cpuVariant || '(none)'}`);
  console.log(`cpuFeatures: ${JSON.stringify(m.cpuFeatures || {})}`);
  console.log(`loaded: ${(m.loaded || []).map((l) => `${l.backend} ${path.basename(l.path)}`).join(', ')}`);
  if (m.failed && m.failed.length) console.log(`failed: ${JSON.stringify(m.failed)}`);
  console.log(`tokens: ${JSON.stringify(result.tokens)}`);
  console.log(`text: ${JSON.stringify(PROMPT + result.text)}`);
  return result;
}

function main(argv) {
  const o = parseArgs(argv);
  const sysroot = path.resolve(process.env.LLAMA_GENERATE_ARM64_SYSROOT || path.join(root, 'build', 'arm64-node', 'root'));
  if (o.setupOnly) return setupNode(sysroot);

  if (process.platform !== 'linux') fail('runs on Linux only (qemu-user)');
  const qemu = process.env.LLAMA_GENERATE_QEMU || onPath('qemu-aarch64') || onPath('qemu-aarch64-static');
  if (!qemu) fail('qemu-aarch64 not found (Debian/Ubuntu: apt-get install qemu-user)');
  if (!fs.existsSync(path.join(o.binary, 'llama_generate.node'))) fail(`no ${o.binary}/llama_generate.node: npm run build:arm64`);
  if (!fs.existsSync(path.join(o.x64Binary, 'llama_generate.node'))) fail(`no ${o.x64Binary}/llama_generate.node: npm run build:native`);
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) fail('no dist/: npm run build:ts');
  let node = process.env.LLAMA_GENERATE_ARM64_NODE || path.join(sysroot, 'usr', 'bin', 'node');
  if (!fs.existsSync(node) && !process.env.LLAMA_GENERATE_ARM64_NODE && !process.env.LLAMA_GENERATE_ARM64_SYSROOT) {
    setupNode(sysroot);
  }
  if (!fs.existsSync(node)) fail(`no arm64 node at ${node} (npm run test:arm64 -- --setup-node)`);

  const self = __filename;
  const childArgs = [self, '--child', String(o.tokens)];
  const arm = { LLAMA_GENERATE_BINARY: o.binary, QEMU_LD_PREFIX: sysroot };
  delete process.env.QEMU_CPU;
  const runs = [];
  runs.push(['arm64, qemu default CPU (max)', runChild('arm64 under qemu-aarch64 (default CPU model: max)', qemu, [node, ...childArgs], arm)]);
  for (const cpu of o.cpus) {
    runs.push([`arm64, qemu -cpu ${cpu}`, runChild(`arm64 under qemu-aarch64 -cpu ${cpu}`, qemu, ['-cpu', cpu, node, ...childArgs], arm)]);
  }
  const host = runChild(`${process.arch} host (${o.x64Binary})`, process.execPath, childArgs, { LLAMA_GENERATE_BINARY: o.x64Binary });

  console.log('\n== comparison with the host');
  let ok = true;
  for (const [label, r] of runs) {
    const same = r.tokens.length === host.tokens.length && r.tokens.every((t, i) => t === host.tokens[i]);
    const firstDiff = r.tokens.findIndex((t, i) => t !== host.tokens[i]);
    console.log(`${same ? 'same' : 'DIFFERENT'}: ${label} (${r.modules?.cpuVariant}) vs ${host.arch} (${host.modules?.cpuVariant})` +
      (same ? '' : `, first difference at token ${firstDiff}`));
    ok &&= same;
  }
  if (!ok) fail('the arm64 tokens differ from the host\'s');
  console.log('test-arm64: ok');
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]) || 32).catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
} else {
  main(process.argv.slice(2));
}
