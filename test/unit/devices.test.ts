import { describe, expect, it } from 'vitest';
import { listDevices, systemInfo } from '../../lib/index';
import { runChild } from '../support/child';
import { getTinyModelPath } from '../support/random-llama';

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

describe('CPU variant choice', () => {
  it('a Q8_0 model evaluates a prompt with the CPU variant chosen by default (the AMX variant built by GCC 12 crashed with SIGILL)', async () => {
    // Matrices of Q8_0 with widths that ggml's AMX path takes (multiples of 32 and 64) and a batch of 64 tokens.
    const path = await getTinyModelPath({ type: 'q8_0', nEmbd: 256, nHead: 4, nHeadKv: 4, nFf: 512 });
    const r = runChild(`
      const { loadModel, systemInfo } = require('./dist');
      (async () => {
        const model = await loadModel(${JSON.stringify(path)}, { gpuLayers: 0 });
        const context = await model.createContext({ contextSize: 256, batchSize: 128 });
        const prompt = Array.from({ length: 64 }, (_, i) => 3 + i);
        const result = await context.generate(prompt, { max_new_tokens: 4 }).result;
        console.log(JSON.stringify({ tokens: result.tokens.length, variant: systemInfo().modules.cpuVariant }));
      })();
    `);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { tokens: number; variant: string };
    expect(out.tokens).toBe(4);
    expect(out.variant).toMatch(/^[\w.]+$/);
  });

  it('LLAMA_GENERATE_CPU_VARIANT picks a variant, and an unknown one falls back with the reason reported', () => {
    const script = "const m = require('./dist').systemInfo().modules; console.log(JSON.stringify({ v: m.cpuVariant, failed: m.failed }))";
    const forced = JSON.parse(runChild(script, [], { LLAMA_GENERATE_CPU_VARIANT: 'x64' }).stdout.trim());
    expect(forced.v).toBe('x64');
    const unknown = JSON.parse(runChild(script, [], { LLAMA_GENERATE_CPU_VARIANT: 'no-such-cpu' }).stdout.trim());
    expect(unknown.v).not.toBe('no-such-cpu');
    expect(unknown.failed[0].reason).toMatch(/no such CPU variant/);
  });
});
