#!/usr/bin/env node
'use strict';
/**
 * Vendors llama.cpp into vendor/llama.cpp from the npm registry.
 *
 * The npm package node-llama-cpp ships a git bundle of upstream llama.cpp
 * (llama/gitRelease.bundle). We `npm pack` the pinned version into a temp dir
 * (nothing is installed, no package script runs), check the tarball against a
 * pinned sha512, pull out that one file, `git clone` it and verify the pinned
 * commit. Nothing else of that package is used.
 *
 * - Patched: the series in vendor/patches/ (NNNN-name.patch, `git apply` in
 *   order) is applied to a fresh clone before it is moved into place, and to
 *   an existing checkout at the pinned commit where a patch is missing (see
 *   applyPatches). A checkout given by LLAMA_GENERATE_LLAMA_CPP_DIR is never
 *   modified; missing patches are only reported (warnPatches).
 * - Idempotent: a checkout already at the pinned commit is left alone.
 * - Atomic: the clone is made in a temp dir next to the target and renamed
 *   into place only once verified, so a half-finished clone never looks done.
 * - Offline: fails with one line saying what to do.
 *
 * Environment:
 *   LLAMA_GENERATE_LLAMA_CPP_DIR  use this existing checkout instead (nothing is fetched)
 *   LLAMA_GENERATE_VENDOR_DIR     where to clone (default: <package>/vendor/llama.cpp)
 *   LLAMA_GENERATE_LLAMA_TARBALL  use this already downloaded node-llama-cpp tarball (still verified)
 */
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { extractFileFromTgz } = require('./tgz');

const PIN = Object.freeze({
  packageName: 'node-llama-cpp',
  packageVersion: '3.22.1',
  integrity: 'sha512-bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw==',
  bundlePath: 'package/llama/gitRelease.bundle',
  commit: 'de3ff815ea7d559ee917f063901b8986f038abc6',
});

class VendorError extends Error {}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (result.error) throw new VendorError(`cannot run ${cmd}: ${result.error.message}`);
  return result;
}

function gitHead(dir) {
  if (!fs.existsSync(path.join(dir, '.git'))) return null;
  const r = run('git', ['-C', dir, 'rev-parse', 'HEAD']);
  return r.status === 0 ? r.stdout.trim() : null;
}

function integrityOf(file) {
  const hash = crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64');
  return `sha512-${hash}`;
}

function offlineHint() {
  return (
    `set LLAMA_GENERATE_LLAMA_CPP_DIR to an existing llama.cpp checkout (commit ${PIN.commit.slice(0, 12)}), ` +
    'which the build then uses, or run `npm run vendor` again when the npm registry is reachable'
  );
}

/** The patch series applied over the pinned commit (see vendor/README.md). */
const PATCH_DIR = path.join(__dirname, '..', 'vendor', 'patches');
const PATCH_NAME = /^\d{4}-[A-Za-z0-9._-]+\.patch$/;

/** The patches of the series, in the order they apply (absolute paths; none when vendor/patches/ is absent). */
function listPatches(patchDir = PATCH_DIR) {
  if (!fs.existsSync(patchDir)) return [];
  return fs
    .readdirSync(patchDir)
    .filter((name) => PATCH_NAME.test(name))
    .sort()
    .map((name) => path.join(patchDir, name));
}

/**
 * `git apply` in `dir`. GIT_CEILING_DIRECTORIES keeps git from taking an
 * enclosing repository (an app's, for sources unpacked without .git) as the
 * root the patch's paths are relative to.
 */
function gitApply(dir, patch, flags) {
  return run('git', ['apply', ...flags, patch], {
    cwd: dir,
    env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(dir)) },
  });
}

/**
 * Whether `patch` is in the tree at `dir`: 'applied' (it reverses cleanly),
 * 'missing' (it applies cleanly) or 'conflict' (neither: the tree has other
 * changes there). Patches of the series must not overlap, so that each one
 * can be checked on its own whatever the others' state.
 */
function patchState(dir, patch) {
  if (gitApply(dir, patch, ['--reverse', '--check']).status === 0) return 'applied';
  if (gitApply(dir, patch, ['--check']).status === 0) return 'missing';
  return 'conflict';
}

/** The state of every patch of the series in the tree at `dir`: `[{ name, state }]`. */
function patchStatus(dir, patchDir = PATCH_DIR) {
  return listPatches(patchDir).map((patch) => ({ name: path.basename(patch), state: patchState(dir, patch) }));
}

/**
 * Applies the patches of the series that `dir` lacks, in order; those already
 * there are left alone, so running it again changes nothing. Throws a
 * VendorError (nothing further applied) at a patch that neither applies nor
 * is already applied. Returns the names applied now and those found applied.
 */
function applyPatches(dir, { patchDir = PATCH_DIR, log = (line) => console.log(line) } = {}) {
  const applied = [];
  const present = [];
  for (const patch of listPatches(patchDir)) {
    const name = path.basename(patch);
    const state = patchState(dir, patch);
    if (state === 'applied') {
      present.push(name);
      continue;
    }
    const r = state === 'missing' ? gitApply(dir, patch, []) : null;
    if (!r || r.status !== 0) {
      throw new VendorError(
        `patch ${name} neither applies to nor is applied in ${dir}${r ? `: ${r.stderr.trim()}` : ''}; ` +
          'remove the directory and run `npm run vendor` again for a fresh patched checkout',
      );
    }
    applied.push(name);
    log(`llama-generate: applied vendor/patches/${name}`);
  }
  return { applied, present };
}

/**
 * For a llama.cpp checkout this package does not manage
 * (LLAMA_GENERATE_LLAMA_CPP_DIR): warns, one line, when patches of the series
 * are not in it; changes nothing. Returns the names of those patches.
 */
function warnPatches(dir, { patchDir = PATCH_DIR, warn = (line) => console.warn(line) } = {}) {
  const missing = patchStatus(dir, patchDir).filter((p) => p.state !== 'applied');
  if (missing.length > 0) {
    warn(
      `llama-generate: note: ${dir} lacks ${missing.length === 1 ? 'the patch' : 'the patches'} ` +
        `${missing.map((p) => `vendor/patches/${p.name}${p.state === 'conflict' ? ' (does not apply)' : ''}`).join(', ')} ` +
        `(see vendor/README.md); apply with \`git apply\` there if the build needs ${missing.length === 1 ? 'it' : 'them'}`,
    );
  }
  return missing.map((p) => p.name);
}

/** `npm pack` the pinned package into `dir` and return the tarball's path. */
function packTarball(dir) {
  const spec = `${PIN.packageName}@${PIN.packageVersion}`;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = run(npm, ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: dir,
    shell: process.platform === 'win32',
    env: { ...process.env, npm_config_fetch_retries: process.env.npm_config_fetch_retries ?? '1' },
  });
  if (r.status !== 0) {
    const reason = (r.stderr.match(/npm error (?:code )?(\S.*)/) || [, `npm pack exited with ${r.status}`])[1];
    throw new VendorError(`cannot fetch ${spec} from the npm registry (${reason.trim()}); ${offlineHint()}`);
  }
  const info = JSON.parse(r.stdout)[0];
  return path.join(dir, info.filename);
}

function vendor() {
  const override = process.env.LLAMA_GENERATE_LLAMA_CPP_DIR;
  if (override) {
    if (!fs.existsSync(path.join(override, 'include', 'llama.h'))) {
      throw new VendorError(`LLAMA_GENERATE_LLAMA_CPP_DIR=${override} is not a llama.cpp checkout (no include/llama.h)`);
    }
    const head = gitHead(override);
    if (head && head !== PIN.commit) {
      console.warn(`llama-generate: note: ${override} is at ${head.slice(0, 12)}, not the pinned ${PIN.commit.slice(0, 12)}`);
    }
    console.log(`llama-generate: using llama.cpp from LLAMA_GENERATE_LLAMA_CPP_DIR=${override}`);
    warnPatches(override);
    return override;
  }

  const target = path.resolve(process.env.LLAMA_GENERATE_VENDOR_DIR || path.join(__dirname, '..', 'vendor', 'llama.cpp'));
  const head = gitHead(target);
  if (head === PIN.commit) {
    const { applied } = applyPatches(target);
    if (applied.length === 0) {
      console.log(`llama-generate: vendor/llama.cpp already at ${PIN.commit.slice(0, 12)} with its patches; nothing to do`);
    }
    return target;
  }
  if (fs.existsSync(target)) {
    throw new VendorError(
      `${target} exists but is ${head ? `at ${head.slice(0, 12)}` : 'not a git checkout'}, not the pinned ` +
        `${PIN.commit.slice(0, 12)}; remove it and run \`npm run vendor\` again`,
    );
  }

  fs.mkdirSync(path.dirname(target), { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'llama-generate-vendor-'));
  const staging = fs.mkdtempSync(`${target}.partial-`);
  try {
    const tarball = process.env.LLAMA_GENERATE_LLAMA_TARBALL || packTarball(work);
    const got = integrityOf(tarball);
    if (got !== PIN.integrity) {
      throw new VendorError(`integrity check failed for ${path.basename(tarball)}: expected ${PIN.integrity}, got ${got}`);
    }
    const bundle = path.join(work, 'llama.bundle');
    if (!extractFileFromTgz(tarball, PIN.bundlePath, bundle)) {
      throw new VendorError(`${path.basename(tarball)} has no ${PIN.bundlePath}`);
    }
    const clone = run('git', ['clone', '--quiet', '--no-checkout', bundle, staging]);
    if (clone.status !== 0) throw new VendorError(`git clone of the bundle failed: ${clone.stderr.trim()}`);
    const checkout = run('git', ['-C', staging, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', PIN.commit]);
    if (checkout.status !== 0) throw new VendorError(`the bundle has no commit ${PIN.commit}: ${checkout.stderr.trim()}`);
    if (gitHead(staging) !== PIN.commit) throw new VendorError(`checked-out commit is not ${PIN.commit}`);
    const { applied } = applyPatches(staging, { log: () => {} });
    fs.renameSync(staging, target);
    const patches = applied.length ? ` with ${applied.length} patch${applied.length === 1 ? '' : 'es'} (${applied.join(', ')})` : '';
    console.log(`llama-generate: vendored llama.cpp ${PIN.commit.slice(0, 12)}${patches} into ${target}`);
    return target;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Runs vendor() for a command line: a VendorError becomes one line on stderr and exit code 1. */
function vendorOrExit() {
  try {
    return vendor();
  } catch (err) {
    if (err instanceof VendorError) {
      console.error(`llama-generate: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

module.exports = { vendor, vendorOrExit, PIN, VendorError, PATCH_DIR, listPatches, patchStatus, applyPatches, warnPatches };

if (require.main === module) vendorOrExit();
