#!/usr/bin/env node
'use strict';
/**
 * `npm run pack:all`: packs the main package and every platform package
 * staged by `npm run pack:prebuilt` into one directory (default packages/dist/)
 * and prints each tarball with its size.
 *
 * The main package is packed from a staged copy (packages/dist/.stage/), not
 * from the repository, because the published package differs from the
 * checkout in three ways:
 * - its package.json lists the platform packages as `optionalDependencies`
 *   (the repository's must not: they are not on the registry while
 *   developing, and `npm ci` here must not fetch them), keeps only the
 *   `install` script, and makes the source-build tools (cmake-js,
 *   node-addon-api) optional peer dependencies, as sharp does;
 * - it carries the llama.cpp sources a source build needs, trimmed (no tests,
 *   models, examples, docs, tools, Python, CI, and only the ggml backends we
 *   build or that are default somewhere: CPU, BLAS, Metal, CUDA/HIP/MUSA,
 *   Vulkan), as one archive `vendor/llama.cpp.tar.gz` that scripts/install.js
 *   unpacks into vendor/llama.cpp/ only when it builds from source: unpacked
 *   they are ~15 MiB, packed ~2.5 MiB, and most installs use a prebuilt
 *   binary and never need them;
 * - the trimmed `cmake/build-info.cmake` holds the pinned commit's values,
 *   since the sources are no longer a git checkout and llama.cpp would
 *   otherwise ask git, which inside an app's repository answers with the
 *   app's commit.
 *
 * Options:
 *   --out DIR          where the tarballs go (default packages/dist)
 *   --skip-build-ts    do not run `npm run build:ts` first (dist/ must be current)
 *   --main-only        pack only the main package
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Platforms with a prebuilt package: the main package's optionalDependencies. */
const PLATFORMS = Object.freeze(['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64']);

/** Where the trimmed llama.cpp sources go in the package, and the top directory inside the archive. */
const LLAMA_CPP_ARCHIVE = 'vendor/llama.cpp.tar.gz';
const LLAMA_CPP_ARCHIVE_ROOT = 'llama.cpp';

/** Needed only to build from source: optional peers of the published package. */
const SOURCE_BUILD_PACKAGES = Object.freeze(['cmake-js', 'node-addon-api']);

/** Scripts the published package runs at install (and what they require). */
const INSTALL_SCRIPTS = Object.freeze(['scripts/install.js', 'scripts/build-native.js', 'scripts/vendor-llama-cpp.js', 'scripts/tgz.js']);

/** ggml backends whose sources ship: built by us (CPU, Vulkan, CUDA), on by default on macOS (BLAS, Metal), or built from the CUDA sources (HIP, MUSA). */
const GGML_BACKENDS_KEPT = Object.freeze(['ggml-cpu', 'ggml-blas', 'ggml-metal', 'ggml-cuda', 'ggml-hip', 'ggml-musa', 'ggml-vulkan']);

/** Directories of llama.cpp kept whole. */
const LLAMA_CPP_DIRS = Object.freeze(['cmake/', 'include/', 'src/', 'licenses/', 'vendor/hash/', 'ggml/include/', 'ggml/cmake/']);

/** Single files of llama.cpp kept (vendor/: the interface libraries are configured unconditionally, their headers are unused). */
const LLAMA_CPP_FILES = Object.freeze([
  'CMakeLists.txt',
  'LICENSE',
  'ggml/CMakeLists.txt',
  'vendor/CMakeLists.txt',
  'vendor/miniaudio/CMakeLists.txt',
  'vendor/nlohmann/CMakeLists.txt',
  'vendor/sheredom/CMakeLists.txt',
  'vendor/stb/CMakeLists.txt',
]);

/**
 * Whether a llama.cpp file (path relative to its root, `/`-separated) goes into
 * the published package. The trimmed tree configures and builds with this
 * repository's CMakeLists.txt (checked by `npm run test:install -- --source-build`).
 */
function keepLlamaCppPath(rel) {
  const parts = rel.split('/');
  if (parts.some((part) => part.startsWith('.'))) return false;  // .gitignore, .clang-format, …
  if (LLAMA_CPP_FILES.includes(rel)) return true;
  if (LLAMA_CPP_DIRS.some((dir) => rel.startsWith(dir))) return true;
  if (parts[0] === 'ggml' && parts[1] === 'src') {
    if (parts.length === 3) return true;  // ggml core: ggml.c, ggml-backend.cpp, CMakeLists.txt, …
    return GGML_BACKENDS_KEPT.includes(parts[2]);
  }
  return false;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', shell: process.platform === 'win32', ...options });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}${r.stderr ? `:\n${r.stderr.trim()}` : ''}`);
  return r.stdout;
}

/** Files of a llama.cpp tree: git's list when it is a checkout (no build leftovers), else a walk. */
function listLlamaCppFiles(dir) {
  if (fs.existsSync(path.join(dir, '.git'))) {
    const r = spawnSync('git', ['-C', dir, 'ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status === 0) return r.stdout.split('\0').filter(Boolean);
  }
  const out = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out;
}

/** llama.cpp's cmake/build-info.cmake with the pinned commit's values instead of asking git at configure time. */
function pinnedBuildInfo(dir) {
  let commit = 'unknown';
  let number = 0;
  const head = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status === 0) commit = head.stdout.trim();
  const count = spawnSync('git', ['-C', dir, 'rev-list', '--count', 'HEAD'], { encoding: 'utf8' });
  if (count.status === 0) number = Number(count.stdout.trim()) || 0;
  return [
    '# Written by llama-generate scripts/pack.js: the sources in this package are not a git',
    '# checkout, so the build info is the pinned commit (see vendor/README.md), not git\'s answer.',
    `set(BUILD_NUMBER ${number})`,
    `set(BUILD_COMMIT "${commit}")`,
    'set(BUILD_COMPILER "${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")',
    'if(CMAKE_VS_PLATFORM_NAME)',
    '    set(BUILD_TARGET ${CMAKE_VS_PLATFORM_NAME})',
    'else()',
    '    set(BUILD_TARGET "${CMAKE_SYSTEM_NAME} ${CMAKE_SYSTEM_PROCESSOR}")',
    'endif()',
    '',
  ].join('\n');
}

/** Copies the trimmed llama.cpp tree from `src` to `dest`; returns its files (relative, sorted) and their bytes. */
function copyTrimmedLlamaCpp(src, dest) {
  const files = [];
  let bytes = 0;
  for (const rel of listLlamaCppFiles(src).filter(keepLlamaCppPath).sort()) {
    const from = path.join(src, rel);
    const stat = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!stat || !stat.isFile()) continue;  // no symbolic links
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, rel));
    files.push(rel);
    bytes += stat.size;
  }
  fs.writeFileSync(path.join(dest, 'cmake', 'build-info.cmake'), pinnedBuildInfo(src));
  return { files, bytes };
}

/** A ustar header for a regular file (`name` split into prefix/name when longer than 100 bytes). */
function tarHeader(name, size, mode) {
  const header = Buffer.alloc(512);
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // The first `/` after which at most 100 bytes remain; what precedes it must fit the 155-byte prefix.
    let i = name.indexOf('/');
    while (i >= 0 && Buffer.byteLength(name.slice(i + 1)) > 100) i = name.indexOf('/', i + 1);
    if (i <= 0 || Buffer.byteLength(name.slice(0, i)) > 155) throw new Error(`path too long for a tar archive: ${name}`);
    prefix = name.slice(0, i);
    name = name.slice(i + 1);
  }
  const put = (text, offset, length) => header.write(text, offset, length, 'utf8');
  const octal = (n, length) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);  // uid
  put(octal(0, 8), 116, 8);  // gid
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);  // mtime: fixed, for a reproducible archive
  put('        ', 148, 8);  // checksum placeholder
  put('0', 156, 1);  // regular file
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** Writes `files` (relative to `dir`) as a gzipped ustar archive under the top directory `top`: reproducible (sorted, fixed owner and times). */
function writeTarGz(dir, files, top, out) {
  const chunks = [];
  for (const rel of [...files].sort()) {
    const data = fs.readFileSync(path.join(dir, rel));
    const executable = (fs.statSync(path.join(dir, rel)).mode & 0o111) !== 0;
    chunks.push(tarHeader(`${top}/${rel}`, data.length, executable ? 0o755 : 0o644), data);
    if (data.length % 512) chunks.push(Buffer.alloc(512 - (data.length % 512)));
  }
  chunks.push(Buffer.alloc(1024));
  const gz = zlib.gzipSync(Buffer.concat(chunks), { level: 9 });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, gz);
  return gz.length;
}

/** The published package.json, made from the repository's. */
function publishedPackageJson(pkg, { platforms = PLATFORMS, scope = '@llama-generate' } = {}) {
  const out = { ...pkg };
  delete out.devDependencies;
  delete out.allowScripts;
  out.scripts = pkg.scripts?.install ? { install: pkg.scripts.install } : {};
  const dependencies = { ...pkg.dependencies };
  const peers = { ...pkg.peerDependencies };
  const peersMeta = { ...pkg.peerDependenciesMeta };
  for (const name of SOURCE_BUILD_PACKAGES) {
    const range = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name] ?? pkg.peerDependencies?.[name];
    if (!range) continue;
    delete dependencies[name];
    peers[name] = range;
    peersMeta[name] = { optional: true };
  }
  out.dependencies = dependencies;
  out.peerDependencies = peers;
  out.peerDependenciesMeta = peersMeta;
  out.optionalDependencies = {
    ...pkg.optionalDependencies,
    ...Object.fromEntries(platforms.map((p) => [`${scope}/${p}`, pkg.version])),
  };
  const files = (pkg.files ?? []).filter((f) => f !== LLAMA_CPP_ARCHIVE);
  out.files = [...files, LLAMA_CPP_ARCHIVE];
  return out;
}

/** The files `npm pack` takes from the repository (its `files` list), as paths relative to the root. */
function repositoryPackFiles() {
  const json = JSON.parse(run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }));
  return json[0].files.map((f) => f.path);
}

function packDir(dir, out) {
  const json = JSON.parse(run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: dir, maxBuffer: 64 * 1024 * 1024 }));
  const info = json[0];
  return { name: info.name, file: path.join(out, info.filename), size: info.size, unpackedSize: info.unpackedSize, entryCount: info.entryCount };
}

function stageMain(stage) {
  const pkg = require(path.join(root, 'package.json'));
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  let count = 0;
  for (const rel of repositoryPackFiles()) {
    if (rel === 'package.json') continue;
    fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
    fs.copyFileSync(path.join(root, rel), path.join(stage, rel));
    count++;
  }
  for (const rel of INSTALL_SCRIPTS) {
    if (!fs.existsSync(path.join(stage, rel))) throw new Error(`${rel} is not in the package: add it to "files" in package.json`);
  }
  const llamaCpp = process.env.LLAMA_GENERATE_LLAMA_CPP_DIR || path.join(root, 'vendor', 'llama.cpp');
  if (!fs.existsSync(path.join(llamaCpp, 'include', 'llama.h'))) throw new Error(`no llama.cpp sources at ${llamaCpp}: run \`npm run vendor\``);
  const trimmedDir = path.join(stage, '..', LLAMA_CPP_ARCHIVE_ROOT);
  fs.rmSync(trimmedDir, { recursive: true, force: true });
  const trimmed = copyTrimmedLlamaCpp(llamaCpp, trimmedDir);
  const archiveBytes = writeTarGz(trimmedDir, trimmed.files, LLAMA_CPP_ARCHIVE_ROOT, path.join(stage, LLAMA_CPP_ARCHIVE));
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(publishedPackageJson(pkg), null, 2)}\n`);
  return { files: count + 2, llamaCpp: { dir: trimmedDir, files: trimmed.files.length, bytes: trimmed.bytes, archiveBytes } };
}

/** Staged platform packages: directories under `stagingRoot` holding an @llama-generate package.json. */
function stagedPlatformPackages(stagingRoot) {
  if (!fs.existsSync(stagingRoot)) return [];
  return fs
    .readdirSync(stagingRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => path.join(stagingRoot, e.name))
    .filter((dir) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name.startsWith('@llama-generate/');
      } catch {
        return false;
      }
    });
}

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;

function main(argv) {
  const options = { out: path.join(root, 'packages', 'dist'), buildTs: true, platforms: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') options.out = path.resolve(argv[++i]);
    else if (argv[i] === '--skip-build-ts') options.buildTs = false;
    else if (argv[i] === '--main-only') options.platforms = false;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (options.buildTs) {
    console.log('pack: npm run build:ts');
    run(npm, ['run', 'build:ts', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  if (!fs.existsSync(path.join(root, 'dist', 'index.d.ts'))) throw new Error('dist/ is not built: run `npm run build:ts`');
  fs.mkdirSync(options.out, { recursive: true });

  const stage = path.join(root, 'packages', 'dist', '.stage', 'llama-generate');
  const staged = stageMain(stage);
  const { llamaCpp } = staged;
  console.log(`pack: staged the main package (${staged.files} files); llama.cpp trimmed to ${llamaCpp.files} files, ` +
    `${mib(llamaCpp.bytes)}, in ${LLAMA_CPP_ARCHIVE} (${mib(llamaCpp.archiveBytes)}; unpacked copy in ${path.relative(process.cwd(), llamaCpp.dir)})`);
  const results = [packDir(stage, options.out)];
  if (results[0].entryCount !== staged.files) {
    throw new Error(`the main tarball has ${results[0].entryCount} files but ${staged.files} were staged: an ignore file dropped some`);
  }
  if (options.platforms) {
    for (const dir of stagedPlatformPackages(path.join(root, 'packages', 'dist'))) results.push(packDir(dir, options.out));
  }
  for (const r of results) {
    console.log(`${path.relative(process.cwd(), r.file)}  ${mib(r.size)} packed, ${mib(r.unpackedSize)} unpacked, ${r.entryCount} files  (${r.name})`);
  }
  return results;
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`pack: ${err.message}`);
    process.exit(1);
  }
}

module.exports = {
  LLAMA_CPP_ARCHIVE,
  LLAMA_CPP_ARCHIVE_ROOT,
  PLATFORMS,
  SOURCE_BUILD_PACKAGES,
  INSTALL_SCRIPTS,
  GGML_BACKENDS_KEPT,
  keepLlamaCppPath,
  publishedPackageJson,
  pinnedBuildInfo,
  copyTrimmedLlamaCpp,
  tarHeader,
  writeTarGz,
};
