#!/usr/bin/env node
'use strict';
/**
 * Installs node-llama-cpp (the version pinned in bench/peers/node-llama-cpp/package.json)
 * into bench/peers/node-llama-cpp/node_modules for bench/peers.ts, apart from the
 * root package (it is no dependency of llama-generate).
 *
 *   node bench/peers/setup.js              # npm run bench:peers runs this first
 *   node bench/peers/setup.js --update-lock # rewrite package-lock.json after editing package.json
 *
 * Idempotent: when node_modules matches package.json and package-lock.json (a
 * stamp records their hash), it does nothing and needs no network.
 *
 * Only the npm registry is used, through `npm install --no-save` (the lock file is
 * followed, integrity checked, and left as it is; not `npm ci`, which refuses this
 * lock file: npm 11 leaves the optional platform packages that cannot install on
 * the machine that wrote it out of the lock, and `npm ci` then reports them
 * missing), and nothing is downloaded or built at install time or later:
 *   - the prebuilt CPU binary comes from the npm package @node-llama-cpp/linux-x64,
 *     a direct dependency here, so `--omit=optional` keeps it while skipping
 *     node-llama-cpp's other optional platform packages (CUDA, Vulkan: large);
 *   - `--ignore-scripts` skips node-llama-cpp's postinstall (which would check the
 *     binary and could fall back to downloading and building llama.cpp), and
 *     NODE_LLAMA_CPP_SKIP_DOWNLOAD=true / NODE_LLAMA_CPP_POSTINSTALL=skip say the
 *     same should scripts run anyway;
 *   - at run time bench/peers/node-llama-cpp/worker.js calls
 *     getLlama({ gpu: false, build: 'never', skipDownload: true }).
 */
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, 'node-llama-cpp');
const pkgPath = path.join(dir, 'package.json');
const lockPath = path.join(dir, 'package-lock.json');
const stampPath = path.join(dir, 'node_modules', '.llama-generate-bench-stamp');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const PLATFORM_PACKAGE = '@node-llama-cpp/linux-x64';

const env = {
  ...process.env,
  NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true',
  NODE_LLAMA_CPP_POSTINSTALL: 'skip',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

function fail(lines) {
  console.error(['', 'bench/peers/setup.js: node-llama-cpp could not be set up.', ...lines, ''].join('\n'));
  process.exit(1);
}

function stamp() {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(pkgPath));
  h.update(fs.readFileSync(lockPath));
  h.update(`${process.platform}-${process.arch}`);
  return h.digest('hex');
}

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function upToDate(pkg) {
  try {
    if (fs.readFileSync(stampPath, 'utf8').trim() !== stamp()) return false;
  } catch {
    return false;
  }
  return Object.entries(pkg.dependencies).every(([name, version]) => installedVersion(name) === version);
}

const NETWORK = /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH|HOSTUNREACH)|network|offline|socket hang up|request to .* failed/i;

function runNpm(args) {
  console.log(`bench/peers/setup.js: npm ${args.join(' ')}  (in ${path.relative(process.cwd(), dir) || '.'})`);
  const r = spawnSync(npm, args, { cwd: dir, env, encoding: 'utf8', shell: process.platform === 'win32', maxBuffer: 64 << 20 });
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.error) fail([`Could not run npm: ${r.error.message}`]);
  if (r.status !== 0) {
    const out = `${r.stdout}\n${r.stderr}`;
    if (NETWORK.test(out)) {
      fail([
        'The npm registry could not be reached (offline?). node-llama-cpp is fetched from it the first time',
        '(the packages node-llama-cpp and @node-llama-cpp/linux-x64 and their dependencies, ~85 MB installed;',
        'npm\'s cache is used when it already holds them). Connect to the network and rerun `npm run bench:peers`.',
      ]);
    }
    fail([`\`npm ${args.join(' ')}\` exited with ${r.status} (see above).`]);
  }
}

/** package-lock.json without what would name hosts in the repository (funding links); `resolved` is omitted by npm. */
function cleanLock() {
  const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  for (const entry of Object.values(lock.packages ?? {})) delete entry.funding;
  fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
  if (/https?:\/\//.test(fs.readFileSync(lockPath, 'utf8'))) fail(['package-lock.json still holds a URL; check it by hand.']);
}

function main() {
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  if (process.argv.includes('--update-lock')) {
    fs.rmSync(lockPath, { force: true });
    runNpm(['install', '--package-lock-only', '--ignore-scripts', '--omit-lockfile-registry-resolved']);
    cleanLock();
    console.log('bench/peers/setup.js: package-lock.json updated');
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail([
      `This setup pins node-llama-cpp's prebuilt binary for linux-x64 (${PLATFORM_PACKAGE}); this machine is ${process.platform}-${process.arch}.`,
      `Replace ${PLATFORM_PACKAGE} in ${path.relative(process.cwd(), pkgPath)} by the package for this platform and run \`node bench/peers/setup.js --update-lock\`.`,
    ]);
  }
  if (!fs.existsSync(lockPath)) fail([`${lockPath} is missing; run \`node bench/peers/setup.js --update-lock\`.`]);
  if (upToDate(pkg)) {
    console.log(`bench/peers/setup.js: node-llama-cpp ${pkg.dependencies['node-llama-cpp']} already installed`);
    return;
  }
  const lockBefore = fs.readFileSync(lockPath);
  runNpm(['install', '--omit=optional', '--ignore-scripts', '--no-save', '--prefer-offline', '--no-audit', '--no-fund']);
  if (!fs.readFileSync(lockPath).equals(lockBefore)) {
    fs.writeFileSync(lockPath, lockBefore);
    fail(['npm changed package-lock.json (restored): it does not match package.json; run `node bench/peers/setup.js --update-lock`.']);
  }
  for (const [name, version] of Object.entries(pkg.dependencies)) {
    if (installedVersion(name) !== version) fail([`${name}@${version} is not in node_modules after npm install.`]);
  }
  const addon = path.join(dir, 'node_modules', ...PLATFORM_PACKAGE.split('/'), 'bins', 'linux-x64', 'llama-addon.node');
  if (!fs.existsSync(addon)) fail([`The prebuilt binary ${addon} is missing.`]);
  fs.writeFileSync(stampPath, stamp() + '\n');
  console.log(`bench/peers/setup.js: node-llama-cpp ${pkg.dependencies['node-llama-cpp']} installed with its prebuilt CPU binary`);
}

main();
