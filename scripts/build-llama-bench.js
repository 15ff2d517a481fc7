#!/usr/bin/env node
'use strict';
/**
 * Builds llama.cpp's own `llama-bench` and `llama-batched-bench` tools from
 * vendor/llama.cpp (or LLAMA_GENERATE_LLAMA_CPP_DIR) with the ggml/llama
 * settings the addon uses (see CMakeLists.txt), for the side-by-side
 * benchmark in bench/generate.ts.
 *
 *   npm run bench:llama            # or: node scripts/build-llama-bench.js
 *
 * Build directory: bench/.llama/build; the binaries are in its bin/, beside
 * llama.cpp's shared libraries and the ggml backend modules they load (as in
 * the addon: every CPU variant, the best one chosen at run time). Only those
 * two targets (and what they load) are built.
 * A second run is quick: CMake is configured again only when the settings
 * changed, and the build itself is incremental.
 *
 * `--server` also builds `llama-server` (without its web UI, which would be
 * downloaded or built with npm), for bench/serve-load.ts:
 *   npm run bench:llama-server     # or: node scripts/build-llama-bench.js --server
 *
 * Environment: LLAMA_GENERATE_NATIVE=1 tunes for this CPU (-march=native),
 * like `npm run build:native`; JOBS=N overrides the parallel job count (2).
 * Extra arguments are passed to the CMake configure step, e.g.
 *   node scripts/build-llama-bench.js -DGGML_CUDA=ON
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pickCompilers } = require('./compiler');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'bench', '.llama');
const buildDir = path.join(outDir, 'build');
const binDir = path.join(buildDir, 'bin');
const TOOLS = ['llama-bench', 'llama-batched-bench'];
const exeName = (tool) => (process.platform === 'win32' ? `${tool}.exe` : tool);
const stampFile = path.join(buildDir, 'llama-generate-configure.json');

function llamaCppDir() {
  const fromEnv = process.env.LLAMA_GENERATE_LLAMA_CPP_DIR;
  const dir = fromEnv && fromEnv !== '' ? path.resolve(fromEnv) : path.join(root, 'vendor', 'llama.cpp');
  if (!fs.existsSync(path.join(dir, 'include', 'llama.h')) || !fs.existsSync(path.join(dir, 'tools', 'llama-bench'))) {
    const where = fromEnv ? `LLAMA_GENERATE_LLAMA_CPP_DIR (${dir})` : 'vendor/llama.cpp';
    console.error(`build-llama-bench: llama.cpp sources not found at ${where}.`);
    console.error('Run `npm run vendor` first (or point LLAMA_GENERATE_LLAMA_CPP_DIR at a llama.cpp checkout).');
    process.exit(1);
  }
  return dir;
}

function which(program) {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, program + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

function run(cmd, args) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) {
    console.error(`build-llama-bench: could not run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** The configure arguments: the same llama/ggml settings as the addon's CMakeLists.txt, plus tools. */
function configureArgs(srcDir, extra, server) {
  const native = process.env.LLAMA_GENERATE_NATIVE === '1' ? 'ON' : 'OFF';
  const args = [
    '-S', srcDir,
    '-B', buildDir,
    '-DCMAKE_BUILD_TYPE=Release',
    // as in the addon: shared llama/ggml, backends as run-time modules, every CPU variant
    '-DBUILD_SHARED_LIBS=ON',
    '-DGGML_BACKEND_DL=ON',
    `-DGGML_CPU_ALL_VARIANTS=${native === 'ON' ? 'OFF' : 'ON'}`,
    `-DGGML_NATIVE=${native}`,
    '-DGGML_OPENMP=OFF',
    '-DLLAMA_CURL=OFF',
    '-DLLAMA_OPENSSL=OFF',
    '-DLLAMA_ALL_WARNINGS=OFF',
    // llama-bench is a tool and needs the common library; nothing else
    '-DLLAMA_BUILD_COMMON=ON',
    '-DLLAMA_BUILD_TOOLS=ON',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    // llama-server (--server) without the web UI: no npm build, no download of prebuilt assets
    `-DLLAMA_BUILD_SERVER=${server ? 'ON' : 'OFF'}`,
    ...(server ? ['-DLLAMA_USE_PREBUILT_UI=OFF'] : []),
    '-DLLAMA_BUILD_APP=OFF',
    '-DLLAMA_BUILD_UI=OFF',
    '-DGGML_BUILD_TESTS=OFF',
    '-DGGML_BUILD_EXAMPLES=OFF',
  ];
  // the compiler the addon is built with (scripts/compiler.js), for a like-for-like comparison
  const compilers = pickCompilers();
  if (compilers) args.push(`-DCMAKE_C_COMPILER=${compilers.CC}`, `-DCMAKE_CXX_COMPILER=${compilers.CXX}`);
  const ccache = which('ccache');
  if (ccache) args.push(`-DCMAKE_C_COMPILER_LAUNCHER=${ccache}`, `-DCMAKE_CXX_COMPILER_LAUNCHER=${ccache}`);
  const cacheExists = fs.existsSync(path.join(buildDir, 'CMakeCache.txt'));
  // The generator cannot change in an existing build directory: only pick one for a fresh one.
  if (!cacheExists && which('ninja')) args.push('-G', 'Ninja');
  args.push(...extra);
  return args;
}

function needsConfigure(args) {
  if (!fs.existsSync(path.join(buildDir, 'CMakeCache.txt'))) return true;
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
    // -G only appears on a fresh configure; compare without it
    const strip = (a) => a.filter((x, i) => x !== '-G' && a[i - 1] !== '-G');
    return JSON.stringify(strip(stamp.args)) !== JSON.stringify(strip(args));
  } catch {
    return true;
  }
}

function builtBinary(tool) {
  const exe = exeName(tool);
  const candidates = [
    path.join(buildDir, 'bin', exe),
    path.join(buildDir, 'bin', 'Release', exe),
    path.join(buildDir, 'tools', tool.replace(/^llama-/, ''), exe),
  ];
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/** Checks a built tool is where the benchmarks look for it (bin/, beside its libraries and backends). */
function install(tool) {
  const built = builtBinary(tool);
  if (!built) {
    console.error(`build-llama-bench: the build finished but ${exeName(tool)} was not found under ${buildDir}.`);
    process.exit(1);
  }
  console.log(`${tool}: ${path.relative(process.cwd(), built) || built}`);
}

function main(argv) {
  const server = argv.includes('--server');
  const extra = argv.filter((a) => a !== '--server');
  const tools = server ? [...TOOLS, 'llama-server'] : TOOLS;
  const srcDir = llamaCppDir();
  if (!which('cmake')) {
    console.error('build-llama-bench: cmake not found on PATH (CMake >= 3.19 is needed, as for the addon).');
    process.exit(1);
  }
  fs.mkdirSync(buildDir, { recursive: true });
  const args = configureArgs(srcDir, extra, server);
  if (needsConfigure(args)) {
    run('cmake', args);
    fs.writeFileSync(stampFile, JSON.stringify({ args }, null, 2) + '\n');
  }
  const jobs = process.env.JOBS || '2';
  const targets = tools.flatMap((tool) => ['--target', tool]);
  run('cmake', ['--build', buildDir, '--config', 'Release', ...targets, '-j', jobs]);
  for (const tool of tools) install(tool);
}

if (require.main === module) main(process.argv.slice(2));

module.exports = {
  binaryPath: path.join(binDir, exeName('llama-bench')),
  batchedBinaryPath: path.join(binDir, exeName('llama-batched-bench')),
  serverBinaryPath: path.join(binDir, exeName('llama-server')),
  buildDir,
};
