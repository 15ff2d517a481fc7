/**
 * `gpuLayers: 'auto'`: how many of a model's layers fit in the free memory of
 * the GPUs it will run on, and the device names `loadModel` accepts.
 */
import type { Device } from './devices';
import { invalidArgument } from './errors';

/** Memory left free on the devices for the KV cache and compute buffers of the contexts. */
export const AUTO_RESERVE_BYTES = 512 * 2 ** 20;
/** Share of the free memory `'auto'` may fill with weights (the rest is headroom too). */
export const AUTO_MEMORY_SHARE = 0.9;

/** Whether a device can take offloaded layers (llama.cpp offloads to GPUs and integrated GPUs). */
export function isOffloadDevice(device: Device): boolean {
  return device.type === 'gpu' || device.type === 'igpu';
}

/**
 * The devices layers go to: those named in `names` (checked against the
 * list, case-insensitively as ggml compares them), else every GPU.
 * Throws INVALID_ARGUMENT for an unknown name or a device that cannot take layers.
 */
export function selectDevices(all: readonly Device[], names: readonly string[] | undefined): Device[] {
  const gpus = all.filter(isOffloadDevice);
  if (names === undefined) return gpus;
  const available = gpus.map((d) => d.name).join(', ') || 'none: no GPU backend is loaded';
  return names.map((name) => {
    const device = all.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!device) throw invalidArgument(`devices: no device named ${JSON.stringify(name)}; GPU devices: ${available}`);
    if (!isOffloadDevice(device)) {
      throw invalidArgument(`devices: ${device.name} is a ${device.type} device; layers can go to GPU devices: ${available}`);
    }
    return device;
  });
}

/** What {@link fitGpuLayers} needs to know about the model. */
export interface FitInput {
  /** Size of the GGUF file in bytes (the weights, nearly all of it). */
  readonly fileBytes: number;
  /** Transformer blocks of the model (`<arch>.block_count`). */
  readonly layerCount: number;
  /** The devices the layers go to. */
  readonly devices: readonly Device[];
}

/**
 * Layers to offload so that the weights fill at most {@link AUTO_MEMORY_SHARE}
 * of the devices' free memory less {@link AUTO_RESERVE_BYTES} (kept for the
 * KV cache and compute buffers): `-1` (all, output layer included) when the
 * whole model fits, `0` without a GPU. Each of the `layerCount + 1` offloadable
 * layers is counted as an equal share of the file.
 */
export function fitGpuLayers({ fileBytes, layerCount, devices }: FitInput): number {
  if (devices.length === 0 || layerCount <= 0) return 0;
  const free = devices.reduce((sum, d) => sum + d.memoryFree, 0);
  const budget = free * AUTO_MEMORY_SHARE - AUTO_RESERVE_BYTES * devices.length;
  if (budget <= 0) return 0;
  const perLayer = fileBytes / (layerCount + 1);
  const layers = Math.floor(budget / perLayer);
  return layers >= layerCount + 1 ? -1 : layers;
}
