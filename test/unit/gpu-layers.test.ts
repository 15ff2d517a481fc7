/** lib/gpuLayers.ts: gpuLayers 'auto' and device selection by name. */
import { describe, expect, it } from 'vitest';
import type { Device } from '../../lib/devices';
import { AUTO_RESERVE_BYTES, fitGpuLayers, selectDevices } from '../../lib/gpuLayers';
import { isLlamaError } from '../../lib/errors';

const GiB = 2 ** 30;
const cpu: Device = { name: 'CPU', description: 'x86', backend: 'CPU', type: 'cpu', memoryFree: 20 * GiB, memoryTotal: 24 * GiB };
const gpu = (name: string, free: number): Device => ({ name, description: name, backend: name.replace(/\d+$/, ''), type: 'gpu', memoryFree: free, memoryTotal: free });

describe('fitGpuLayers', () => {
  it('is 0 without a GPU and -1 when the whole model fits', () => {
    expect(fitGpuLayers({ fileBytes: 4 * GiB, layerCount: 32, devices: [] })).toBe(0);
    expect(fitGpuLayers({ fileBytes: 4 * GiB, layerCount: 32, devices: [gpu('CUDA0', 24 * GiB)] })).toBe(-1);
  });

  it('fits part of a model that does not fit, leaving the reserve free', () => {
    // 33 offloadable layers of 0.25 GiB; budget = 4 GiB × 0.9 − 0.5 GiB = 3.1 GiB → 12 layers
    const layers = fitGpuLayers({ fileBytes: 33 * 0.25 * GiB, layerCount: 32, devices: [gpu('CUDA0', 4 * GiB)] });
    expect(layers).toBe(12);
    expect(layers * 0.25 * GiB).toBeLessThanOrEqual(4 * GiB * 0.9 - AUTO_RESERVE_BYTES);
  });

  it('adds up the free memory of several devices, each keeping its reserve', () => {
    const one = fitGpuLayers({ fileBytes: 33 * 0.25 * GiB, layerCount: 32, devices: [gpu('CUDA0', 4 * GiB)] });
    const two = fitGpuLayers({ fileBytes: 33 * 0.25 * GiB, layerCount: 32, devices: [gpu('CUDA0', 4 * GiB), gpu('CUDA1', 4 * GiB)] });
    expect(two).toBe(24); // (8 × 0.9 − 2 × 0.5) GiB / 0.25 GiB
    expect(two).toBeGreaterThan(one);
  });

  it('is 0 when the free memory does not cover the reserve', () => {
    expect(fitGpuLayers({ fileBytes: GiB, layerCount: 8, devices: [gpu('Vulkan0', 256 * 2 ** 20)] })).toBe(0);
  });
});

describe('selectDevices', () => {
  const all = [cpu, gpu('CUDA0', GiB), gpu('Vulkan0', GiB)];
  it('defaults to every GPU and matches names case-insensitively', () => {
    expect(selectDevices(all, undefined).map((d) => d.name)).toEqual(['CUDA0', 'Vulkan0']);
    expect(selectDevices(all, ['vulkan0']).map((d) => d.name)).toEqual(['Vulkan0']);
  });

  it('rejects unknown names and CPU devices with INVALID_ARGUMENT naming the GPUs', () => {
    for (const names of [['CUDA7'], ['CPU']]) {
      try {
        selectDevices(all, names);
        expect.unreachable();
      } catch (e) {
        expect(isLlamaError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as Error).message).toContain('CUDA0, Vulkan0');
      }
    }
    expect(() => selectDevices([cpu], ['CUDA0'])).toThrow(/none: no GPU backend is loaded/);
  });
});
