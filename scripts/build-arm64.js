#!/usr/bin/env node
'use strict';
/**
 * Cross-compiles the linux-arm64 binary directory on another Linux machine
 * (x86-64 CI runners, developer machines) into build/linux-arm64/Release:
 * llama_generate.node, libllama.so, libggml*.so and one libggml-cpu-<variant>.so
 * per arm64 CPU level (armv8.0_1 … armv9.2_2, picked at run time).
 *
 *   npm run build:arm64 [-- extra cmake-js arguments]
 *   node scripts/build-arm64.js [--out DIR] [extra cmake-js arguments]
 *
 * Needs the GNU aarch64 cross toolchain and clang 16+ (Debian/Ubuntu:
 * `apt-get install g++-aarch64-linux-gnu clang-16`); see
 * cmake/toolchains/aarch64-linux-gnu.cmake for choosing another compiler
 * (LLAMA_GENERATE_CROSS_COMPILER). `npm run test:arm64` runs the result under
 * qemu-user. Not for building on an arm64 machine: `npm run build:native` there.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const toolchain = path.join(root, 'cmake', 'toolchains', 'aarch64-linux-gnu.cmake');
const EM_AARCH64 = 183;

function takeOption(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}

function onPath(program) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, program)));
}

/** e_machine of an ELF file, or null when it is not one. */
function elfMachine(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(20);
    fs.readSync(fd, b, 0, 20, 0);
    if (b.readUInt32BE(0) !== 0x7f454c46) return null;
    return b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
  } finally {
    fs.closeSync(fd);
  }
}

function main(argv) {
  if (process.platform !== 'linux') {
    console.error('build-arm64: cross-compiling for linux-arm64 works from a Linux host only.');
    process.exit(1);
  }
  const args = [...argv];
  const out = path.resolve(takeOption(args, '--out') ?? path.join(root, 'build', 'linux-arm64'));
  const triple = process.env.LLAMA_GENERATE_CROSS_TRIPLE || 'aarch64-linux-gnu';
  if (!onPath(`${triple}-g++`) && !onPath(`${triple}-ld`)) {
    console.error(`build-arm64: the ${triple} cross toolchain is missing (Debian/Ubuntu: apt-get install g++-${triple}).`);
    process.exit(1);
  }
  // -march=native would tune for this (x86-64) machine: never for a cross build.
  const env = { ...process.env };
  delete env.LLAMA_GENERATE_NATIVE;

  const started = Date.now();
  const r = spawnSync(process.execPath, [
    path.join(__dirname, 'build-native.js'),
    '--out', out,
    '--arch', 'arm64',
    `--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`,
    ...args,
  ], { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const seconds = (Date.now() - started) / 1000;

  const config = args.includes('--debug') || args.includes('-D') ? 'Debug' : 'Release';
  const dir = path.join(out, config);
  const addon = path.join(dir, 'llama_generate.node');
  if (!fs.existsSync(addon) || elfMachine(addon) !== EM_AARCH64) {
    console.error(`build-arm64: ${addon} is missing or not an AArch64 ELF file.`);
    process.exit(1);
  }
  const variants = fs.readdirSync(dir)
    .map((f) => /^libggml-cpu-(.+)\.so$/.exec(f)?.[1])
    .filter(Boolean)
    .sort();
  console.log(`\nbuild-arm64: ${dir} (${seconds.toFixed(0)} s)`);
  console.log(`build-arm64: CPU variants: ${variants.join(', ') || '(one, no variants)'}`);
}

main(process.argv.slice(2));
