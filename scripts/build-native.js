#!/usr/bin/env node
'use strict';
/**
 * Builds the native addon with cmake-js (vendoring llama.cpp first when it is
 * missing). Extra arguments go to cmake-js, e.g.
 *   npm run build:native -- --debug
 *   npm run build:native -- --CDGGML_CUDA=ON
 * Environment: LLAMA_GENERATE_NATIVE=1 tunes for this CPU (-march=native).
 * `--out DIR` builds in DIR instead of build/. The compiler: see compiler.js.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pickCompilers } = require('./compiler');

const root = path.join(__dirname, '..');

function takeOption(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}

function ensureLlamaCpp() {
  const vendor = require('./vendor-llama-cpp');
  const own = process.env.LLAMA_GENERATE_LLAMA_CPP_DIR;
  if (own) {
    vendor.warnPatches(own);
    return;
  }
  const dir = path.join(root, 'vendor', 'llama.cpp');
  if (!fs.existsSync(path.join(dir, 'include', 'llama.h'))) {
    vendor.vendorOrExit();
  } else if (fs.existsSync(vendor.PATCH_DIR) && fs.existsSync(path.join(dir, '.git'))) {
    // a checkout vendored before a patch was added (the published package's sources come patched)
    vendor.applyPatches(dir);
  }
}

function main(argv) {
  const args = [...argv];
  const out = takeOption(args, '--out');
  ensureLlamaCpp();
  if (process.env.LLAMA_GENERATE_NATIVE === '1') args.push('--CDLLAMA_GENERATE_NATIVE=ON');
  if (out) args.push('--out', out);
  const env = { ...process.env };
  const crossBuild = args.some((a) => a.includes('CMAKE_TOOLCHAIN_FILE')) || args.includes('--arch');
  const compilers = crossBuild ? null : pickCompilers(env);
  if (compilers) {
    console.log(`llama-generate: compiling with ${compilers.CXX} (${compilers.reason}); set CC and CXX to choose`);
    env.CC = compilers.CC;
    env.CXX = compilers.CXX;
  }
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'build', '--directory', root, ...args], { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

main(process.argv.slice(2));
