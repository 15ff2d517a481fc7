/** The compute devices and build features of the loaded llama.cpp. */
import { native, type NativeDevice, type NativeSystemInfo } from './native';

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
 * What the native build supports; see {@link systemInfo}: `llamaCppBuild`
 * (llama.cpp's version string), `system` (llama.cpp's system info line: CPU
 * features and backends compiled in), `supportsGpuOffload`, `supportsMmap`,
 * `supportsMlock`, and `maxSequences` (most sequences a context may have).
 */
export type SystemInfo = Readonly<NativeSystemInfo>;

/** llama.cpp's build number and CPU/GPU features of this build. */
export function systemInfo(): SystemInfo {
  return native().systemInfo();
}
