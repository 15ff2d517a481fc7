/**
 * scripts/pack.js and scripts/prebuild.js: what goes into the published
 * tarballs (no build, no npm: the file-list and package.json logic only).
 * The real thing is `npm run test:install`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as locate from '../../lib/binary/locate';

const require = createRequire(__filename);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pack = require('../../scripts/pack.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const prebuild = require('../../scripts/prebuild.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { extractFileFromTgz } = require('../../scripts/tgz.js');
const repoPackage = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));

describe('llama.cpp sources in the main package', () => {
  it('keeps what a CMake configure and build needs', () => {
    for (const file of [
      'CMakeLists.txt',
      'LICENSE',
      'cmake/build-info.cmake',
      'cmake/common.cmake',
      'cmake/license.cmake',
      'include/llama.h',
      'src/llama.cpp',
      'src/models/llama.cpp',
      'ggml/CMakeLists.txt',
      'ggml/cmake/common.cmake',
      'ggml/include/ggml.h',
      'ggml/src/CMakeLists.txt',
      'ggml/src/ggml.c',
      'ggml/src/ggml-cpu/CMakeLists.txt',
      'ggml/src/ggml-cpu/arch/x86/quants.c',
      'ggml/src/ggml-cpu/arch/arm/quants.c',
      'ggml/src/ggml-metal/CMakeLists.txt',
      'ggml/src/ggml-blas/CMakeLists.txt',
      'ggml/src/ggml-cuda/CMakeLists.txt',
      'ggml/src/ggml-vulkan/ggml-vulkan.cpp',
      'vendor/CMakeLists.txt',
      'vendor/hash/CMakeLists.txt',
      'vendor/hash/xxhash/xxhash.c',
      'vendor/nlohmann/CMakeLists.txt',
      'licenses/LICENSE-jsonhpp',
    ]) {
      expect(pack.keepLlamaCppPath(file), file).toBe(true);
    }
  });

  it('drops tests, models, examples, docs, tools, Python, CI and unused backends', () => {
    for (const file of [
      'tests/test-backend-ops.cpp',
      'models/ggml-vocab-llama-bpe.gguf',
      'examples/simple/simple.cpp',
      'docs/build.md',
      'tools/server/server.cpp',
      'gguf-py/gguf/__init__.py',
      'convert_hf_to_gguf.py',
      '.github/workflows/build.yml',
      'media/llama0-logo.png',
      'scripts/sync-ggml.sh',
      'common/common.cpp',
      'vendor/nlohmann/json.hpp',
      'vendor/cpp-httplib/httplib.cpp',
      'vendor/miniaudio/miniaudio.h',
      'ggml/src/ggml-sycl/ggml-sycl.cpp',
      'ggml/src/ggml-opencl/ggml-opencl.cpp',
      'ggml/src/ggml-cann/CMakeLists.txt',
      'ggml/src/ggml-webgpu/CMakeLists.txt',
      'src/.gitignore',
      'README.md',
    ]) {
      expect(pack.keepLlamaCppPath(file), file).toBe(false);
    }
  });

  it('pins the build info instead of asking git at configure time', () => {
    const text = pack.pinnedBuildInfo(tmpdir());  // not a checkout: unknown commit
    expect(text).toMatch(/set\(BUILD_NUMBER \d+\)/);
    expect(text).toMatch(/set\(BUILD_COMMIT "[^"]+"\)/);
    expect(text).not.toMatch(/find_package\(Git\)|execute_process/);
  });

  it('packs them as a reproducible tar.gz that tar readers understand', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pack-test-'));
    try {
      const deep = `ggml/src/ggml-vulkan/vulkan-shaders/${'x'.repeat(90)}/shader.comp`;  // > 100 bytes: ustar prefix
      mkdirSync(join(dir, 'src'), { recursive: true });
      mkdirSync(join(dir, deep, '..'), { recursive: true });
      writeFileSync(join(dir, 'src', 'a.cpp'), 'int a;\n');
      writeFileSync(join(dir, deep), 'void main() {}\n');
      const files = ['src/a.cpp', deep];
      pack.writeTarGz(dir, files, 'llama.cpp', join(dir, 'one.tar.gz'));
      pack.writeTarGz(dir, [...files].reverse(), 'llama.cpp', join(dir, 'two.tar.gz'));
      expect(readFileSync(join(dir, 'one.tar.gz')).equals(readFileSync(join(dir, 'two.tar.gz')))).toBe(true);
      extractFileFromTgz(join(dir, 'one.tar.gz'), 'llama.cpp/src/a.cpp', join(dir, 'out-a'));
      expect(readFileSync(join(dir, 'out-a'), 'utf8')).toBe('int a;\n');
      extractFileFromTgz(join(dir, 'one.tar.gz'), `llama.cpp/${deep}`, join(dir, 'out-deep'));
      expect(readFileSync(join(dir, 'out-deep'), 'utf8')).toBe('void main() {}\n');
      expect(() => pack.tarHeader(`${'y'.repeat(160)}/${'z'.repeat(120)}`, 1, 0o644)).toThrow(/too long/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the published package.json', () => {
  const published = pack.publishedPackageJson(repoPackage);

  it('lists every platform package as an optional dependency at the same version', () => {
    expect(Object.keys(published.optionalDependencies).sort()).toEqual(
      pack.PLATFORMS.map((p: string) => `@llama-generate/${p}`).sort(),
    );
    for (const version of Object.values(published.optionalDependencies)) expect(version).toBe(repoPackage.version);
    expect(pack.PLATFORMS).toContain('linux-x64');
  });

  it('the repository package.json lists none (npm ci here must not fetch them)', () => {
    expect(Object.keys(repoPackage.optionalDependencies ?? {}).filter((n) => n.startsWith('@llama-generate/'))).toEqual([]);
  });

  it('keeps only the install script and no development fields', () => {
    expect(published.scripts).toEqual({ install: 'node scripts/install.js' });
    expect(published.devDependencies).toBeUndefined();
    expect(published.allowScripts).toBeUndefined();
  });

  it('makes the source-build tools optional peers and keeps the runtime dependencies', () => {
    for (const name of pack.SOURCE_BUILD_PACKAGES) {
      expect(published.dependencies[name]).toBeUndefined();
      expect(published.peerDependencies[name]).toBeTruthy();
      expect(published.peerDependenciesMeta[name]).toEqual({ optional: true });
    }
    expect(published.dependencies['cli-progress']).toBe(repoPackage.dependencies['cli-progress']);
  });

  it('ships the install-time scripts, the licenses and the llama.cpp archive, and nothing of the development tree', () => {
    for (const file of pack.INSTALL_SCRIPTS) expect(published.files).toContain(file);
    expect(published.files).toEqual(expect.arrayContaining(['dist/', 'native/', 'CMakeLists.txt', 'LICENSE', 'LICENSES/', pack.LLAMA_CPP_ARCHIVE]));
    for (const entry of published.files as string[]) {
      expect(entry).not.toMatch(/^(test|bench|build|node_modules|lib|docs|packages)(\/|$)/);
      expect(entry).not.toBe('scripts/*.js');
    }
  });
});

describe('platform packages', () => {
  const linuxBuild = [
    'llama_generate.node',
    'libllama.so',
    'libggml.so',
    'libggml-base.so',
    'libggml-cpu-x64.so',
    'libggml-cpu-haswell.so',
    'libggml-vulkan.so',
    'libggml-cuda.so',
    'CMakeFiles',
    'libllama.so.tmp',
    'llama-simple',
  ];

  it('the CPU package takes the addon, the libraries and the CPU modules, not the GPU modules', () => {
    expect(prebuild.selectBinaryFiles(linuxBuild, { platform: 'linux', backend: 'cpu', locate })).toEqual([
      'libggml-base.so',
      'libggml-cpu-haswell.so',
      'libggml-cpu-x64.so',
      'libggml.so',
      'libllama.so',
      'llama_generate.node',
    ]);
  });

  it('a GPU package takes only its backend module', () => {
    expect(prebuild.selectBinaryFiles(linuxBuild, { platform: 'linux', backend: 'vulkan', locate })).toEqual(['libggml-vulkan.so']);
    expect(prebuild.selectBinaryFiles(linuxBuild, { platform: 'linux', backend: 'cuda', locate })).toEqual(['libggml-cuda.so']);
    expect(() => prebuild.selectBinaryFiles(['llama_generate.node'], { platform: 'linux', backend: 'vulkan', locate })).toThrow(/libggml-vulkan\.so/);
  });

  it('refuses a directory without the addon or a CPU module', () => {
    expect(() => prebuild.selectBinaryFiles(['libllama.so', 'libggml-cpu-x64.so'], { platform: 'linux', backend: 'cpu', locate })).toThrow(/llama_generate\.node/);
    expect(() => prebuild.selectBinaryFiles(['llama_generate.node', 'libllama.so'], { platform: 'linux', backend: 'cpu', locate })).toThrow(/CPU backend/);
  });

  it('Windows and macOS file names', () => {
    expect(prebuild.selectBinaryFiles(['llama_generate.node', 'llama.dll', 'ggml-cpu-x64.dll', 'ggml-cuda.dll', 'llama.lib'], { platform: 'win32', backend: 'cpu', locate }))
      .toEqual(['ggml-cpu-x64.dll', 'llama.dll', 'llama_generate.node']);
    expect(prebuild.selectBinaryFiles(['llama_generate.node', 'libllama.dylib', 'libggml-cpu-apple_m1.so', 'libggml-metal.so'], { platform: 'darwin', backend: 'cpu', locate }))
      .toEqual(['libggml-cpu-apple_m1.so', 'libggml-metal.so', 'libllama.dylib', 'llama_generate.node']);
  });

  it('package.json restricts os, cpu and libc and ships bin/ and the licenses', () => {
    const json = prebuild.platformPackageJson({
      name: '@llama-generate/linux-x64', version: '1.2.3', platform: 'linux', arch: 'x64', libc: 'glibc', backend: 'cpu', mainPackage: 'llama-generate',
    });
    expect(json).toMatchObject({ name: '@llama-generate/linux-x64', version: '1.2.3', os: ['linux'], cpu: ['x64'], libc: ['glibc'], license: 'MIT' });
    expect(json.files).toEqual(['bin/', 'LICENSE', 'LICENSES/']);
    const gpu = prebuild.platformPackageJson({
      name: '@llama-generate/linux-x64-vulkan', version: '1.2.3', platform: 'linux', arch: 'x64', libc: 'glibc', backend: 'vulkan', mainPackage: 'llama-generate',
    });
    expect(gpu.peerDependencies).toEqual({ 'llama-generate': '1.2.3' });
    const mac = prebuild.platformPackageJson({
      name: '@llama-generate/darwin-arm64', version: '1.2.3', platform: 'darwin', arch: 'arm64', libc: undefined, backend: 'cpu', mainPackage: 'llama-generate',
    });
    expect(mac.libc).toBeUndefined();
  });

  it('parses its options', () => {
    expect(prebuild.parseArgs(['--backend', 'vulkan', '--from', 'build/Release', '--', '--CDX=1'])).toMatchObject({
      backend: 'vulkan', from: 'build/Release', buildArgs: ['--CDX=1'],
    });
    expect(() => prebuild.parseArgs(['--backend', 'metal'])).toThrow(/--backend/);
  });
});
