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
});
