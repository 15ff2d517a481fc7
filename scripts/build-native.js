#!/usr/bin/env node
'use strict';
/**
 * Builds the native addon with cmake-js (vendoring llama.cpp first when it is
 * missing). Extra arguments go to cmake-js, e.g.
 *   npm run build:native -- --debug
 *   npm run build:native -- --CDGGML_CUDA=ON
 * Environment: LLAMA_GENERATE_NATIVE=1 tunes for this CPU (-march=native).
 * `--out DIR` builds in DIR instead of build/, `--copy-to DIR` copies the
 * resulting .node there (binding.gyp uses both to delegate to CMake).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

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
  const copyTo = takeOption(args, '--copy-to');
  ensureLlamaCpp();
  if (process.env.LLAMA_GENERATE_NATIVE === '1') args.push('--CDLLAMA_GENERATE_NATIVE=ON');
  if (out) args.push('--out', out);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'build', '--directory', root, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  if (copyTo) {
    const config = args.includes('--debug') || args.includes('-D') ? 'Debug' : 'Release';
    const built = path.join(out ?? path.join(root, 'build'), config, 'llama_generate.node');
    fs.mkdirSync(copyTo, { recursive: true });
    fs.copyFileSync(built, path.join(copyTo, 'llama_generate.node'));
  }
}

main(process.argv.slice(2));
