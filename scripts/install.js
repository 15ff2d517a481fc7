#!/usr/bin/env node
'use strict';
/**
 * `npm install` hook. In order:
 * 1. a binary the loader finds (lib/binary/locate.ts: LLAMA_GENERATE_BINARY,
 *    the platform package @llama-generate/<platform>-<arch>, build/Release/,
 *    prebuilds/) and that loads: print which, compile nothing;
 * 2. otherwise, when this machine can build (cmake, a C++ compiler, cmake-js
 *    and node-addon-api, the llama.cpp sources: vendor/llama.cpp/, the
 *    published package's vendor/llama.cpp.tar.gz, or git to vendor them):
 *    build from source with scripts/build-native.js;
 * 3. otherwise: fail with one message saying what was looked for and the
 *    ways out.
 * LLAMA_GENERATE_FORCE_BUILD=1 skips step 1. In a repository checkout before
 * the TypeScript build (`npm ci`: install runs before prepare) there is no
 * dist/ yet, hence no loader: that is a source build.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
/** The trimmed llama.cpp sources in the published package (scripts/pack.js). */
const LLAMA_CPP_ARCHIVE = path.join(root, 'vendor', 'llama.cpp.tar.gz');
const log = (line) => console.log(`llama-generate: ${line}`);

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function resolvePackage(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [root] }));
  } catch {
    return null;
  }
}

function libc() {
  if (process.platform !== 'linux') return '';
  const header = process.report?.getReport?.().header;
  return header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : 'musl';
}

function target() {
  const c = libc();
  return `${process.platform}-${process.arch}${c ? ` (${c})` : ''}`;
}

/** The loader's search, or null without dist/ (a checkout before `npm run build:ts`). */
function locate() {
  let locator;
  try {
    locator = require('../dist/binary/locate.js');
  } catch {
    return null;
  }
  const result = locator.locateBinary({ packageRoot: root, platform: process.platform, arch: process.arch, env: process.env, isFile, resolvePackage });
  return { locator, result, found: locator.isBinaryLocation(result) };
}

function describe(found) {
  const where = path.relative(root, found.dir) || '.';
  const from =
    found.source === 'package' ? `the prebuilt package ${found.packageName}` :
    found.source === 'build' ? 'the local build' :
    found.source === 'prebuilds' ? 'prebuilds/' :
    `LLAMA_GENERATE_BINARY`;
  const gpu = found.gpuPackages.length ? `, with ${found.gpuPackages.map((g) => g.packageName).join(', ')}` : '';
  return `${from} (${found.source === 'package' || found.source === 'env' ? found.dir : where})${gpu}`;
}

/** Loads the addon (only dlopen: no backend is initialised) to catch a binary this system cannot run, e.g. a too old glibc. */
function loadError(addon) {
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', addon], { encoding: 'utf8' });
  if (r.status === 0) return null;
  const lines = (r.stderr || '').split('\n').filter((l) => /Error|error|GLIBC|not found/.test(l));
  return lines[0]?.trim() || `exit ${r.status ?? r.signal}`;
}

function onPath(names) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  for (const name of names) {
    for (const dir of dirs) {
      for (const ext of exts) {
        if (isFile(path.join(dir, name + ext))) return name;
      }
    }
  }
  return null;
}

function canResolve(name) {
  try {
    require.resolve(`${name}/package.json`, { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

/** What a source build lacks on this machine (empty: it can build). */
function sourceBuildMissing() {
  const missing = [];
  if (!onPath(['cmake'])) missing.push('cmake');
  // Windows: cmake-js finds Visual Studio itself.
  if (process.platform !== 'win32' && !(process.env.CXX && onPath([process.env.CXX.split(' ')[0]])) && !onPath(['c++', 'g++', 'clang++'])) {
    missing.push('a C++17 compiler (c++, g++ or clang++)');
  }
  const packages = ['cmake-js', 'node-addon-api'].filter((name) => !canResolve(name));
  if (packages.length) missing.push(`the npm packages ${packages.join(' and ')}`);
  const sources = process.env.LLAMA_GENERATE_LLAMA_CPP_DIR || path.join(root, 'vendor', 'llama.cpp');
  if (!isFile(path.join(sources, 'include', 'llama.h')) && !isFile(LLAMA_CPP_ARCHIVE) && !onPath(['git'])) {
    missing.push('the llama.cpp sources (vendor/llama.cpp), or git to fetch them');
  }
  return missing;
}

function fail(searched, missing, extra, headline = `no native binary for ${target()}, and none can be built here.`) {
  const omitted = /optional/.test(process.env.npm_config_omit || '') || process.env.npm_config_optional === 'false';
  const lines = [
    headline,
    'Looked for:',
    ...searched.map((s) => `  - ${s}`),
    ...(extra ? [extra] : []),
    ...(omitted ? ['(optional dependencies are omitted in this install, so the prebuilt package was not installed)'] : []),
    `A source build needs ${missing.join(', ')}.`,
    'Ways out:',
    '  1. install a toolchain: cmake (>= 3.19) and a C++17 compiler, plus `npm install cmake-js node-addon-api`',
    '     if they are missing, then run `npm rebuild llama-generate`',
    '  2. set LLAMA_GENERATE_BINARY to a binary directory (or its llama_generate.node) built elsewhere',
    '     for this platform, then run `npm rebuild llama-generate`',
  ];
  console.error(`llama-generate: ${lines.join('\n')}`);
  process.exit(1);
}

/**
 * The published package carries llama.cpp's sources packed (scripts/pack.js):
 * unpack them into vendor/llama.cpp/ for a source build. With cmake, which
 * the build needs anyway; into a temporary directory renamed when complete.
 */
function unpackLlamaCpp() {
  const dest = path.join(root, 'vendor', 'llama.cpp');
  if (process.env.LLAMA_GENERATE_LLAMA_CPP_DIR || isFile(path.join(dest, 'include', 'llama.h')) || !isFile(LLAMA_CPP_ARCHIVE)) return;
  const temp = path.join(root, 'vendor', `.llama.cpp-unpack-${process.pid}`);
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(temp, { recursive: true });
  const r = spawnSync('cmake', ['-E', 'tar', 'xzf', LLAMA_CPP_ARCHIVE], { cwd: temp, stdio: 'inherit' });
  if (r.status !== 0 || !isFile(path.join(temp, 'llama.cpp', 'include', 'llama.h'))) {
    fs.rmSync(temp, { recursive: true, force: true });
    console.error(`llama-generate: cannot unpack ${path.relative(root, LLAMA_CPP_ARCHIVE)} with cmake -E tar (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(path.join(temp, 'llama.cpp'), dest);
  fs.rmSync(temp, { recursive: true, force: true });
  log(`unpacked the llama.cpp sources into ${path.relative(root, dest)}`);
}

function buildFromSource(reason) {
  log(`${reason}; building llama.cpp and the addon from source`);
  unpackLlamaCpp();
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}

function main() {
  const force = process.env.LLAMA_GENERATE_FORCE_BUILD === '1';
  const located = locate();
  if (located && located.found && !force) {
    const found = located.result;
    const error = loadError(found.addon);
    if (!error) {
      log(`using ${describe(found)}`);
      return;
    }
    if (found.source === 'env') {
      console.error(`llama-generate: LLAMA_GENERATE_BINARY is ${found.addon}, but it does not load here: ${error}`);
      process.exit(1);
    }
    const missing = sourceBuildMissing();
    const note = `  (found ${found.addon}, but it does not load on this system: ${error})`;
    if (missing.length) fail([found.addon], missing, note);
    buildFromSource(`${found.addon} does not load on this system (${error})`);
    return;
  }
  if (located && !located.found && located.result.explicitError && !force) {
    // The app names its own binary: never build over it; the loader reports it again at run time.
    console.warn(`llama-generate: warning: ${located.result.explicitError}`);
    return;
  }
  const missing = sourceBuildMissing();
  if (!force && missing.length) {
    fail(located ? located.result.searched : ['(dist/ is not built: this is a repository checkout)'], missing);
  }
  if (force && missing.length) {
    fail(['(nothing: LLAMA_GENERATE_FORCE_BUILD=1 skips prebuilt binaries)'], missing, undefined,
      `LLAMA_GENERATE_FORCE_BUILD=1 asks for a source build for ${target()}, but none can be done here.`);
  }
  buildFromSource(force ? 'LLAMA_GENERATE_FORCE_BUILD=1' : located ? `no prebuilt binary for ${target()}` : 'repository checkout');
}

main();
