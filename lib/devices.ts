/** The compute devices and build features of the loaded llama.cpp. */
import type { BinaryLocation } from './binary/locate';
import { native, nativeLocation, type NativeDevice, type NativeModuleReport, type NativeSystemInfo } from './native';

/** The ggml backend modules loaded from the binary directory; see {@link SystemInfo}. */
export type BackendModules = Readonly<NativeModuleReport>;

/** One ggml backend device (a CPU, a GPU, an accelerator). */
export interface Device {
  /** Backend-specific name, e.g. `CPU`, `CUDA0`, `Metal`, `Vulkan0`. */
  readonly name: string;
  /** Human-readable description (CPU or GPU model). */
  readonly description: string;
  /** The ggml backend it belongs to, e.g. `CPU`, `CUDA`. */
  readonly backend: string;
  /** Kind of device. */
  readonly type: NativeDevice['type'];
  /** Free memory in bytes, as reported by the backend. */
  readonly memoryFree: number;
  /** Total memory in bytes, as reported by the backend. */
  readonly memoryTotal: number;
}

/** Lists the devices llama.cpp can run on in this build. */
export function listDevices(): Device[] {
  return native().listDevices();
}

/**
 * What the native build supports: `llamaCppBuild` (llama.cpp's version
 * string), `system` (llama.cpp's system info line: CPU features and backends),
 * `supportsGpuOffload`, `supportsMmap`, `supportsMlock`, `maxSequences` (most
 * sequences a context may have), `modules` (the ggml backend modules loaded:
 * the CPU variant chosen for this CPU, its features, the backends and their
 * device counts, and modules that did not load with the reason) and `binary`
 * (where the addon was loaded from: an explicit binary, the platform package,
 * a local build or prebuilds/, and the GPU packages found).
 */
export type SystemInfo = Readonly<NativeSystemInfo> & {
  /** Where the native addon was loaded from, and the GPU packages added to it. */
  readonly binary?: BinaryLocation;
};

/** llama.cpp's build, the CPU variant and backends loaded, and where the binary came from. */
export function systemInfo(): SystemInfo {
  const info = native().systemInfo();
  return { ...info, binary: nativeLocation() };
}
