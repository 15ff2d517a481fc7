/** lib/binary/locate.ts: the order in which the native addon is looked for, and the Electron asar mapping. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDON_FILE, isBinaryLocation, locateBinary, unpackedAsarPath, type LocateOptions } from '../../lib/binary/locate';

const ROOT = '/app/node_modules/llama-generate';
const PLATFORM_PKG = '/app/node_modules/@llama-generate/linux-x64';
const VULKAN_PKG = '/app/node_modules/@llama-generate/linux-x64-vulkan';

/** A fake file system: `files` exist, `packages` are installed at the given roots. */
function options(files: string[], packages: Record<string, string> = {}, extra: Partial<LocateOptions> = {}): LocateOptions {
  const set = new Set(files);
  return {
    packageRoot: ROOT,
    platform: 'linux',
    arch: 'x64',
    env: {},
    isFile: (f) => set.has(f),
    resolvePackage: (name) => packages[name] ?? null,
    ...extra,
  };
}

const platformAddon = join(PLATFORM_PKG, 'bin', ADDON_FILE);
const buildAddon = join(ROOT, 'build', 'Release', ADDON_FILE);
const prebuildAddon = join(ROOT, 'prebuilds', 'linux-x64', ADDON_FILE);

describe('locateBinary', () => {
  it('prefers the platform package over a local build and prebuilds/', () => {
    const r = locateBinary(options([platformAddon, buildAddon, prebuildAddon], { '@llama-generate/linux-x64': PLATFORM_PKG }));
    expect(isBinaryLocation(r) && r).toMatchObject({ addon: platformAddon, dir: join(PLATFORM_PKG, 'bin'), source: 'package', packageName: '@llama-generate/linux-x64' });
  });

  it('falls back to build/Release, then prebuilds/', () => {
    expect(locateBinary(options([buildAddon, prebuildAddon]))).toMatchObject({ addon: buildAddon, source: 'build' });
    expect(locateBinary(options([prebuildAddon]))).toMatchObject({ addon: prebuildAddon, source: 'prebuilds' });
  });

  it('a platform package without its binary is skipped and named in the search list', () => {
    const r = locateBinary(options([buildAddon], { '@llama-generate/linux-x64': PLATFORM_PKG }));
    expect(r).toMatchObject({ source: 'build' });
    const none = locateBinary(options([], { '@llama-generate/linux-x64': PLATFORM_PKG }));
    expect(isBinaryLocation(none)).toBe(false);
    expect(!isBinaryLocation(none) && none.searched[0]).toContain('has no bin/llama_generate.node');
  });

  it('lists every place it looked when nothing is found', () => {
    const r = locateBinary(options([]));
    expect(isBinaryLocation(r)).toBe(false);
    expect(!isBinaryLocation(r) && r.searched).toEqual([
      '@llama-generate/linux-x64 (not installed)',
      buildAddon,
      prebuildAddon,
    ]);
  });

  it('LLAMA_GENERATE_BINARY (a directory or a .node file) wins and nothing else is tried', () => {
    const own = '/opt/my-llama/build/Release';
    const files = [join(own, ADDON_FILE), platformAddon];
    const pkgs = { '@llama-generate/linux-x64': PLATFORM_PKG };
    expect(locateBinary(options(files, pkgs, { env: { LLAMA_GENERATE_BINARY: own } }))).toMatchObject({ addon: join(own, ADDON_FILE), dir: own, source: 'env' });
    expect(locateBinary(options(files, pkgs, { env: { LLAMA_GENERATE_BINARY: join(own, ADDON_FILE) } }))).toMatchObject({ source: 'env', dir: own });
    const missing = locateBinary(options(files, pkgs, { env: { LLAMA_GENERATE_BINARY: '/nowhere' } }));
    expect(isBinaryLocation(missing)).toBe(false);
    expect(!isBinaryLocation(missing) && missing.explicitError).toMatch(/LLAMA_GENERATE_BINARY is \/nowhere, but \/nowhere\/llama_generate.node does not exist/);
  });

  it('the nativeBinding option wins over the environment variable', () => {
    const r = locateBinary(options(['/a/llama_generate.node', '/b/llama_generate.node'], {}, { explicit: '/a', env: { LLAMA_GENERATE_BINARY: '/b' } }));
    expect(r).toMatchObject({ source: 'option', dir: '/a' });
  });

  it('adds the installed GPU packages that carry their backend module', () => {
    const files = [platformAddon, join(VULKAN_PKG, 'bin', 'libggml-vulkan.so')];
    const r = locateBinary(options(files, {
      '@llama-generate/linux-x64': PLATFORM_PKG,
      '@llama-generate/linux-x64-vulkan': VULKAN_PKG,
      '@llama-generate/linux-x64-cuda': '/app/node_modules/@llama-generate/linux-x64-cuda', // installed but empty
    }));
    expect(isBinaryLocation(r) && r.gpuPackages).toEqual([{ backend: 'vulkan', packageName: '@llama-generate/linux-x64-vulkan', dir: join(VULKAN_PKG, 'bin') }]);
  });

  it('inside an Electron asar archive, loads the unpacked copy', () => {
    const asarRoot = '/opt/App/resources/app.asar/node_modules/llama-generate';
    const unpacked = '/opt/App/resources/app.asar.unpacked/node_modules/llama-generate/build/Release/llama_generate.node';
    const r = locateBinary(options([unpacked], {}, { packageRoot: asarRoot }));
    expect(r).toMatchObject({ addon: unpacked, source: 'build' });
    expect(unpackedAsarPath('C:\\App\\resources\\app.asar\\node_modules\\x.node')).toBe('C:\\App\\resources\\app.asar.unpacked\\node_modules\\x.node');
    expect(unpackedAsarPath('/opt/app.asarx/y.node')).toBe('/opt/app.asarx/y.node');
  });

  it('uses the platform and architecture in package names (darwin-arm64, win32-x64)', () => {
    const r = locateBinary(options([], {}, { platform: 'darwin', arch: 'arm64' }));
    expect(!isBinaryLocation(r) && r.searched[0]).toBe('@llama-generate/darwin-arm64 (not installed)');
  });
});
