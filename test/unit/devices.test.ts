import { describe, expect, it } from 'vitest';
import { listDevices, systemInfo } from '../../lib/index';

describe('devices', () => {
  it('lists at least the CPU, with memory figures', () => {
    const devices = listDevices();
    const cpu = devices.find((d) => d.type === 'cpu');
    expect(cpu).toBeDefined();
    expect(cpu!.backend).toBe('CPU');
    expect(cpu!.memoryTotal).toBeGreaterThan(0);
    for (const d of devices) expect(d.memoryFree).toBeLessThanOrEqual(d.memoryTotal);
  });

  it('reports the llama.cpp build and features', () => {
    const info = systemInfo();
    expect(info.llamaCppBuild).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.system).toMatch(/CPU/);
    expect(info.maxSequences).toBeGreaterThanOrEqual(64);
    expect(typeof info.supportsGpuOffload).toBe('boolean');
  });

  it('reports the CPU variant ggml chose, the modules loaded and where the binary came from', () => {
    const info = systemInfo();
    const modules = info.modules!;
    // this build carries every x86-64 (or arm64) variant: one was chosen by the CPU's features
    expect(modules.cpuVariant).toMatch(/^[\w.]+$/);
    const cpuModule = modules.loaded.find((m) => m.backend === 'CPU')!;
    expect(cpuModule.path).toContain(`ggml-cpu-${modules.cpuVariant}`);
    expect(cpuModule.devices).toBe(1);
    expect(Object.keys(modules.cpuFeatures).length).toBeGreaterThan(0);
    expect(info.binary!.addon).toMatch(/llama_generate\.node$/);
    expect(modules.dir).toBe(info.binary!.dir);
    if (modules.cpuFeatures.AVX512 === '1') expect(modules.cpuVariant).not.toMatch(/^(x64|sse42|sandybridge|ivybridge|piledriver|haswell|alderlake)$/);
  });
});
