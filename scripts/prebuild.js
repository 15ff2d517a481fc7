#!/usr/bin/env node
'use strict';
/**
 * Stages a prebuilt-binary package (sharp's layout) for this machine's
 * platform and architecture:
 *
 *   npm run pack:prebuilt                          CPU package, built in build/prebuild-cpu/
 *   npm run pack:prebuilt -- --from build/Release  CPU package from an existing build (no compile)
 *   npm run pack:prebuilt -- --backend vulkan      GPU package: only bin/libggml-vulkan.so
 *
 * (Not `npm run prebuild`: npm would run a script of that name before every
 * `npm run build`.)
 *
 * The CPU package `@llama-generate/<platform>-<arch>` gets the whole binary
 * directory in `bin/` (the addon, libllama, libggml, libggml-base and every
 * CPU variant module, see lib/binary/locate.ts); a GPU package
 * `@llama-generate/<platform>-<arch>-<backend>` gets only its backend module.
 * Binaries are stripped. The package lands in `packages/dist/<platform>-<arch>[-<backend>]/`
 * (`--out DIR` for another staging root); `npm run pack:all` packs it.
 *
 * Options:
 *   --backend cpu|vulkan|cuda  what to stage (default cpu)
 *   --from DIR                 take the binaries from DIR (a build's Release/ directory) instead of building
 *   --build-dir DIR            where to build (default build/prebuild-<backend>)
 *   --out DIR                  staging root (default packages/dist)
 *   --arch ARCH                the binaries' architecture when cross-compiled (default: this machine's), e.g. arm64
 *   --no-strip                 keep symbols
 *   -- ARGS                    passed on to scripts/build-native.js (cmake-js), e.g. -- --CDGGML_CUDA_ARCHITECTURES=...
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const BACKEND_FLAGS = Object.freeze({ cpu: [], vulkan: ['--CDGGML_VULKAN=ON'], cuda: ['--CDGGML_CUDA=ON'] });
const DEFAULT_STAGING = path.join(root, 'packages', 'dist');

/** The package name constants and file names: lib/binary/locate.ts is the contract. */
function locateModule() {
  const file = path.join(root, 'dist', 'binary', 'locate.js');
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} is missing: run \`npm run build:ts\` first`);
  return require(file);
}

/** Whether a file in a binary directory is a shared library or the addon (not a build by-product). */
function isBinaryFile(name, platform) {
  if (name === 'llama_generate.node') return true;
  if (platform === 'win32') return name.endsWith('.dll');
  if (platform === 'darwin') return name.endsWith('.dylib') || name.endsWith('.so');
  return name.endsWith('.so');
}

/**
 * The files of a binary directory that go into a package's `bin/`.
 * `backend: 'cpu'`: everything but the GPU backend modules published
 * separately; a GPU backend: only its module. Throws when a required file is
 * missing (so a half-built directory is never staged).
 */
function selectBinaryFiles(names, { platform, backend, locate }) {
  const binaries = names.filter((name) => isBinaryFile(name, platform)).sort();
  if (backend !== 'cpu') {
    const file = locate.backendModuleFile(platform, backend);
    if (!binaries.includes(file)) throw new Error(`no ${file} in the binary directory: was it built with the ${backend} backend?`);
    return [file];
  }
  const gpuModules = new Set(locate.GPU_BACKENDS.map((b) => locate.backendModuleFile(platform, b)));
  const selected = binaries.filter((name) => !gpuModules.has(name));
  const required = [locate.ADDON_FILE];
  for (const name of required) {
    if (!selected.includes(name)) throw new Error(`no ${name} in the binary directory`);
  }
  if (!selected.some((name) => /ggml-cpu/.test(name))) throw new Error('no ggml CPU backend module (libggml-cpu*) in the binary directory');
  return selected;
}

/** npm `libc` field value for the running Node, or undefined off Linux. */
function hostLibc(platform) {
  if (platform !== 'linux') return undefined;
  const header = process.report?.getReport?.().header;
  return header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The staged platform package's package.json. */
function platformPackageJson({ name, version, platform, arch, libc, backend, mainPackage }) {
  const json = {
    name,
    version,
    description:
      backend === 'cpu'
        ? `Prebuilt native binary of ${mainPackage} for ${platform}-${arch}`
        : `${backend} backend module of ${mainPackage} for ${platform}-${arch}`,
    license: 'MIT',
    os: [platform],
    cpu: [arch],
  };
  if (libc) json.libc = [libc];
  json.files = ['bin/', 'LICENSE', 'LICENSES/'];
  json.preferUnplugged = true;  // Yarn PnP: native files must be on disk
  if (backend !== 'cpu') json.peerDependencies = { [mainPackage]: version };
  return json;
}

function platformReadme({ name, platform, arch, backend, mainPackage, files }) {
  const what =
    backend === 'cpu'
      ? `the prebuilt native binary of **${mainPackage}** for ${platform}-${arch}: ` +
        'the Node-API addon, llama.cpp and ggml as shared libraries, and one ggml CPU backend per instruction-set level ' +
        '(ggml picks the best one for the CPU at run time).'
      : `the ${backend} backend module of **${mainPackage}** for ${platform}-${arch}. ` +
        `Install it beside ${mainPackage} to offload layers to the GPU; ggml loads it at run time, and without a ${backend} driver it is reported by \`systemInfo()\` and otherwise ignored.`;
  const how =
    backend === 'cpu'
      ? `You do not install it yourself: it is an optional dependency of ${mainPackage}, and npm installs it on matching systems only.`
      : `\`npm install ${mainPackage} ${name}\``;
  return [
    `# ${name}`,
    '',
    `This package holds ${what}`,
    '',
    how,
    '',
    `Files in \`bin/\`: ${files.map((f) => `\`${f}\``).join(', ')}.`,
    '',
    'License: MIT (this package and llama.cpp/ggml, see LICENSES/).',
    '',
  ].join('\n');
}

/** Cross toolchains' strip for Linux binaries of another architecture (GNU strip handles only its own). */
const CROSS_STRIP = Object.freeze({ arm64: 'aarch64-linux-gnu-strip', x64: 'x86_64-linux-gnu-strip' });

function strip(file, platform, arch) {
  const args = platform === 'darwin' ? ['-x', file] : platform === 'win32' ? null : ['--strip-unneeded', file];
  if (!args) return;
  const tool = platform === 'linux' && arch !== process.arch ? CROSS_STRIP[arch] ?? 'strip' : 'strip';
  const r = spawnSync(tool, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed${r.error ? `: ${r.error.message}` : ''} (--no-strip skips it)`);
}

/** Linux: every binary finds its neighbours through RUNPATH $ORIGIN. */
function checkRunPaths(dir, files) {
  for (const file of files) {
    const r = spawnSync('readelf', ['-d', path.join(dir, file)], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return;  // no readelf: skip the check
    const needsLocal = /\(NEEDED\).*\[lib(llama|ggml)/.test(r.stdout);
    if (needsLocal && !/\((RUNPATH|RPATH)\).*\$ORIGIN/.test(r.stdout)) {
      throw new Error(`${file} links to libllama/libggml but has no $ORIGIN run path; it would not load from bin/`);
    }
  }
}

function copyLicenses(dest) {
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(dest, 'LICENSE'));
  fs.cpSync(path.join(root, 'LICENSES'), path.join(dest, 'LICENSES'), { recursive: true });
}

function parseArgs(argv) {
  const options = { backend: 'cpu', from: undefined, buildDir: undefined, out: DEFAULT_STAGING, strip: true, arch: process.arch, buildArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--') {
      options.buildArgs.push(...argv.slice(i + 1));
      break;
    } else if (arg === '--backend') options.backend = value();
    else if (arg === '--from') options.from = value();
    else if (arg === '--build-dir') options.buildDir = value();
    else if (arg === '--out') options.out = value();
    else if (arg === '--no-strip') options.strip = false;
    else if (arg === '--arch') options.arch = value();
    else throw new Error(`unknown option ${arg}`);
  }
  if (!Object.hasOwn(BACKEND_FLAGS, options.backend)) throw new Error(`--backend must be one of ${Object.keys(BACKEND_FLAGS).join(', ')}`);
  return options;
}

/** Refuses a --from build that is not portable (tuned for this CPU, or one CPU variant only). */
function checkPortableBuild(binaryDir, backend, arch) {
  const cache = path.join(binaryDir, '..', 'CMakeCache.txt');
  if (!fs.existsSync(cache)) return;
  const text = fs.readFileSync(cache, 'utf8');
  const value = (key) => (text.match(new RegExp(`^${key}:[A-Z]+=(.*)$`, 'm')) || [])[1];
  if (backend === 'cpu' && (value('LLAMA_GENERATE_NATIVE') === 'ON' || value('GGML_NATIVE') === 'ON')) {
    throw new Error(`${binaryDir} was built for this CPU only (LLAMA_GENERATE_NATIVE/GGML_NATIVE=ON); a prebuilt package must be portable`);
  }
  if (backend === 'cpu' && value('GGML_CPU_ALL_VARIANTS') === 'OFF' && arch === 'x64') {
    throw new Error(`${binaryDir} has one CPU variant only (GGML_CPU_ALL_VARIANTS=OFF); a prebuilt package must carry them all`);
  }
}

function build(options) {
  const buildDir = path.resolve(options.buildDir ?? path.join(root, 'build', `prebuild-${options.backend}`));
  const args = [path.join(__dirname, 'build-native.js'), '--out', buildDir, ...BACKEND_FLAGS[options.backend], ...options.buildArgs];
  console.log(`prebuild: node ${args.map((a) => path.relative(root, a) || a).join(' ')}`);
  const env = { ...process.env };
  delete env.LLAMA_GENERATE_NATIVE;  // never tune a prebuild for the build machine
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env });
  if (r.status !== 0) throw new Error(`the build failed (exit ${r.status ?? r.signal})`);
  return path.join(buildDir, 'Release');
}

function main(argv) {
  const options = parseArgs(argv);
  const locate = locateModule();
  const mainPackage = require(path.join(root, 'package.json'));
  const { platform } = process;
  const { arch } = options;
  if (arch !== process.arch && !options.from) throw new Error(`--arch ${arch}: cross builds are not made here; build them, then stage with --from DIR`);
  const binaryDir = options.from ? path.resolve(options.from) : build(options);
  if (options.from) checkPortableBuild(binaryDir, options.backend, arch);

  const files = selectBinaryFiles(fs.readdirSync(binaryDir), { platform, backend: options.backend, locate });
  const name = options.backend === 'cpu' ? locate.platformPackageName(platform, arch) : locate.gpuPackageName(platform, arch, options.backend);
  const dest = path.resolve(options.out, name.slice(locate.PACKAGE_SCOPE.length + 1));
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.join(dest, 'bin'), { recursive: true });

  for (const file of files) {
    const target = path.join(dest, 'bin', file);
    fs.copyFileSync(path.join(binaryDir, file), target);
    fs.chmodSync(target, 0o755);
    if (options.strip) strip(target, platform, arch);
  }
  if (platform === 'linux') checkRunPaths(path.join(dest, 'bin'), files);
  copyLicenses(dest);
  const spec = { name, version: mainPackage.version, platform, arch, libc: hostLibc(platform), backend: options.backend, mainPackage: mainPackage.name };
  fs.writeFileSync(path.join(dest, 'package.json'), `${JSON.stringify(platformPackageJson(spec), null, 2)}\n`);
  fs.writeFileSync(path.join(dest, 'README.md'), platformReadme({ ...spec, files }));

  const bytes = files.reduce((n, f) => n + fs.statSync(path.join(dest, 'bin', f)).size, 0);
  console.log(`prebuild: staged ${name}@${mainPackage.version} in ${path.relative(process.cwd(), dest) || '.'} ` +
    `(${files.length} files in bin/, ${(bytes / 1048576).toFixed(1)} MiB${options.strip ? ', stripped' : ''}, from ${path.relative(process.cwd(), binaryDir)})`);
  return dest;
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`prebuild: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { selectBinaryFiles, platformPackageJson, isBinaryFile, parseArgs, DEFAULT_STAGING };
