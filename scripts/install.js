#!/usr/bin/env node
'use strict';
/**
 * `npm install` hook: use a prebuilt binary (prebuilds/<platform>-<arch>/)
 * or an existing build when one loads; otherwise vendor llama.cpp and build
 * from source. LLAMA_GENERATE_FORCE_BUILD=1 always builds.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');

function existingBinary() {
  if (process.env.LLAMA_GENERATE_FORCE_BUILD === '1') return null;
  try {
    return require('node-gyp-build').path(root);
  } catch {
    return null;
  }
}

const found = existingBinary();
if (found) {
  console.log(`llama-generate: using ${path.relative(root, found)}`);
} else {
  console.log('llama-generate: no prebuilt binary for this platform; building llama.cpp and the addon from source');
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
