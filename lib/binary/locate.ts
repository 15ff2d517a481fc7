/**
 * Where the native addon comes from: the one place that knows the search
 * order, the package names and the file layout of a binary directory. Pure
 * path logic (the file system and module resolution come in as functions), so
 * it runs unchanged in tests, in `scripts/install.js` and in the loader.
 *
 * A binary directory holds `llama_generate.node`, llama.cpp's shared libraries
 * (`libllama`, `libggml`, `libggml-base`) and the ggml backend modules
 * (`libggml-cpu-<variant>`, `libggml-vulkan`, …) that ggml picks from at run
 * time. The search order:
 *
 * 1. an explicit binary: the `nativeBinding` option or the
 *    `LLAMA_GENERATE_BINARY` environment variable (a `.node` file or a binary
 *    directory): an app's own build; nothing else is looked at;
 * 2. the platform package `@llama-generate/<platform>-<arch>` (an optional
 *    dependency npm installs only on the matching OS, CPU and libc);
 * 3. a local build in the package: `build/Release/` (a source build at install);
 * 4. `prebuilds/<platform>-<arch>/` in the package (a tarball that carries its
 *    binary, prebuildify's layout).
 *
 * Whichever is used, GPU packages `@llama-generate/<platform>-<arch>-<backend>`
 * that are installed add their backend modules (`libggml-cuda`,
 * `libggml-vulkan`) to it; ggml loads them, and a GPU backend whose driver is
 * missing is reported by `systemInfo()` and otherwise ignored.
 * @internal
 */
import * as path from 'node:path';

/** The addon's file name in every binary directory. */
export const ADDON_FILE = 'llama_generate.node';

/** npm scope of the per-platform and GPU packages. */
export const PACKAGE_SCOPE = '@llama-generate';

/** GPU backends published as opt-in packages, in the order they are looked for. */
export const GPU_BACKENDS = ['cuda', 'vulkan'] as const;

/** A GPU backend a package can carry. */
export type GpuBackendName = (typeof GPU_BACKENDS)[number];

/** Environment variable naming an explicit binary (file or directory). */
export const BINARY_ENV = 'LLAMA_GENERATE_BINARY';

/** Where the addon was found. */
export type BinarySource = 'option' | 'env' | 'package' | 'build' | 'prebuilds';

/** A binary directory with the addon in it. */
export interface BinaryLocation {
  /** Absolute path of `llama_generate.node`. */
  readonly addon: string;
  /** Its directory: where ggml looks for backend modules first. */
  readonly dir: string;
  /** Which step of the search order found it. */
  readonly source: BinarySource;
  /** The package it came from, for `source: 'package'`. */
  readonly packageName?: string;
  /** Installed GPU packages whose backend modules ggml also loads. */
  readonly gpuPackages: ReadonlyArray<{ readonly backend: GpuBackendName; readonly packageName: string; readonly dir: string }>;
}

/** The search's outcome when nothing was found: every place looked at. */
export interface BinaryNotFound {
  readonly searched: readonly string[];
  /** Set when an explicit binary was given but is not usable. */
  readonly explicitError?: string;
}

/** What the search needs to know about the machine and the file system. */
export interface LocateOptions {
  /** Root of the llama-generate package (the folder holding its package.json). */
  readonly packageRoot: string;
  readonly platform: string;
  readonly arch: string;
  /** `process.env`, or a subset. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `nativeBinding` option: an explicit `.node` file or binary directory. */
  readonly explicit?: string;
  /** Whether a regular file exists at the path. */
  readonly isFile: (file: string) => boolean;
  /** Directory holding an installed package's package.json, or null when not installed. */
  readonly resolvePackage: (name: string) => string | null;
}

/** The platform package's name for a platform and architecture, e.g. `@llama-generate/linux-x64`. */
export function platformPackageName(platform: string, arch: string): string {
  return `${PACKAGE_SCOPE}/${platform}-${arch}`;
}

/** A GPU package's name, e.g. `@llama-generate/linux-x64-vulkan`. */
export function gpuPackageName(platform: string, arch: string, backend: GpuBackendName): string {
  return `${platformPackageName(platform, arch)}-${backend}`;
}

/** File name of a ggml backend module on a platform (`libggml-vulkan.so`, `ggml-vulkan.dll`). */
export function backendModuleFile(platform: string, backend: string): string {
  if (platform === 'win32') return `ggml-${backend}.dll`;
  return `libggml-${backend}.so`;  // ggml uses .so on macOS too
}

/**
 * Inside an Electron app packed into an asar archive, native files cannot be
 * loaded from the archive: they are unpacked next to it (`asarUnpack`), in
 * `app.asar.unpacked/` at the same relative path. Maps the one to the other.
 */
export function unpackedAsarPath(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

function candidate(
  dirOrFile: string,
  source: BinarySource,
  isFile: (file: string) => boolean,
  packageName?: string,
): { addon: string; dir: string; source: BinarySource; packageName?: string } | null {
  const tries = dirOrFile.endsWith('.node') ? [dirOrFile] : [path.join(dirOrFile, ADDON_FILE)];
  for (const file of tries) {
    for (const real of new Set([unpackedAsarPath(file), file])) {
      if (isFile(real)) return { addon: real, dir: path.dirname(real), source, packageName };
    }
  }
  return null;
}

/** Follows the search order (see the module comment) and returns the first binary found. */
export function locateBinary(options: LocateOptions): BinaryLocation | BinaryNotFound {
  const { packageRoot, platform, arch, env, isFile, resolvePackage } = options;
  const searched: string[] = [];
  const gpuPackages = (): BinaryLocation['gpuPackages'] => {
    const found: Array<BinaryLocation['gpuPackages'][number]> = [];
    for (const backend of GPU_BACKENDS) {
      const name = gpuPackageName(platform, arch, backend);
      const root = resolvePackage(name);
      if (root === null) continue;
      const dir = unpackedAsarPath(path.join(root, 'bin'));
      if (isFile(path.join(dir, backendModuleFile(platform, backend)))) found.push({ backend, packageName: name, dir });
    }
    return found;
  };

  const explicit = options.explicit ?? (env[BINARY_ENV] ? env[BINARY_ENV] : undefined);
  if (explicit !== undefined) {
    const source: BinarySource = options.explicit !== undefined ? 'option' : 'env';
    const label = source === 'option' ? 'the nativeBinding option' : BINARY_ENV;
    const absolute = path.resolve(explicit);
    const hit = candidate(absolute, source, isFile);
    if (hit) return { ...hit, gpuPackages: gpuPackages() };
    return {
      searched: [`${label}: ${absolute}`],
      explicitError: `${label} is ${explicit}, but ${absolute.endsWith('.node') ? 'that file' : `${path.join(absolute, ADDON_FILE)}`} does not exist`,
    };
  }

  const packageName = platformPackageName(platform, arch);
  const packageRootDir = resolvePackage(packageName);
  if (packageRootDir !== null) {
    const hit = candidate(path.join(packageRootDir, 'bin'), 'package', isFile, packageName);
    if (hit) return { ...hit, gpuPackages: gpuPackages() };
    searched.push(`${packageName} (installed at ${packageRootDir}, but it has no bin/${ADDON_FILE})`);
  } else {
    searched.push(`${packageName} (not installed)`);
  }

  const local = path.join(packageRoot, 'build', 'Release');
  const built = candidate(local, 'build', isFile);
  if (built) return { ...built, gpuPackages: gpuPackages() };
  searched.push(path.join(local, ADDON_FILE));

  const prebuilt = path.join(packageRoot, 'prebuilds', `${platform}-${arch}`);
  const fromPrebuilds = candidate(prebuilt, 'prebuilds', isFile);
  if (fromPrebuilds) return { ...fromPrebuilds, gpuPackages: gpuPackages() };
  searched.push(path.join(prebuilt, ADDON_FILE));

  return { searched };
}

/** Whether the search found a binary. */
export function isBinaryLocation(result: BinaryLocation | BinaryNotFound): result is BinaryLocation {
  return (result as BinaryLocation).addon !== undefined;
}
