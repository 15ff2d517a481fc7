/** Loading models: metadata, options, failures, disposal, repeated load/dispose. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lib/index';
import { native } from '../../lib/native';
import { rejection } from '../support/errors';
import { STORIES_MODEL } from '../support/models';
import { getTinyModelPath, tinyLlamaOptions } from '../support/random-llama';

const scratch = mkdtempSync(join(tmpdir(), 'llama-generate-load-'));


describe('loadModel', () => {
  it('describes stories260K', async () => {
    const progress: number[] = [];
    const model = await loadModel(STORIES_MODEL, { onProgress: (p) => progress.push(p) });
    try {
      expect(model.architecture).toBe('llama');
      expect(model.vocabSize).toBe(512);
      expect(model.vocabType).toBe('spm');
      expect(model.trainContextSize).toBe(model.metadata['llama.context_length']);
      expect(model.embeddingSize).toBe(64);
      expect(model.layerCount).toBe(5);
      expect(model.parameterCount).toBeGreaterThan(200_000);
      expect(model.parameterCount).toBeLessThan(300_000);
      expect(model.sizeBytes).toBeGreaterThan(0);
      expect(model.specialTokens.bos).toBe(1);
      expect(model.specialTokens.eos).toBe(2);
      expect(model.specialTokens.pad).toBeNull();
      expect(model.addsBos).toBe(true);
      expect(model.description).toMatch(/llama/);
      expect(model.metadata['general.architecture']).toBe('llama');
      expect(model.metadata['llama.context_length']).toBe(2048);
      expect(Array.isArray(model.metadata['tokenizer.ggml.tokens'])).toBe(true);
      expect((model.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(512);
      expect(model.samplingMetadata).toEqual({});
      expect(model.chatTemplate).toBeUndefined();
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[progress.length - 1]).toBe(1);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    } finally {
      model.dispose();
    }
  });

  it('reads general.sampling.* recommendations and every metadata key of a generated model', async () => {
    const path = await getTinyModelPath({
      seed: 7,
      samplingDefaults: { sequence: 'top_k;top_p;temperature', top_k: 40, top_p: 0.95, temp: 0.7, mirostat: 2, penalty_last_n: 64 },
    });
    const model = await loadModel(path);
    try {
      expect(model.samplingMetadata).toEqual({
        sequence: 'top_k;top_p;temperature',
        top_k: 40,
        top_p: expect.closeTo(0.95, 6),
        temp: expect.closeTo(0.7, 6),
        mirostat: 2,
        penalty_last_n: 64,
      });
      expect(model.metadata['llama.embedding_length']).toBe(tinyLlamaOptions.nEmbd);
      expect(model.metadata['llama.block_count']).toBe(tinyLlamaOptions.nLayer);
      expect(model.metadata['general.sampling.top_k']).toBe(40);
      expect(model.layerCount).toBe(tinyLlamaOptions.nLayer);
      expect(model.vocabSize).toBe(32000);
    } finally {
      model.dispose();
    }
  });

  it('rejects a missing file with MODEL_NOT_FOUND', async () => {
    const err = await rejection(loadModel(join(scratch, 'nope.gguf')));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('nope.gguf');
    expect(err.stack).toContain('load.test.ts');
  });

  it('rejects a file that is not GGUF with INVALID_MODEL', async () => {
    const path = join(scratch, 'garbage.gguf');
    writeFileSync(path, 'this is not a model at all, just text'.repeat(10));
    const err = await rejection(loadModel(path));
    expect(err.code).toBe('INVALID_MODEL');
    expect(err.message).toMatch(/magic/);
  });

  it('rejects a truncated model with INVALID_MODEL', async () => {
    const path = join(scratch, 'truncated.gguf');
    const bytes = readFileSync(STORIES_MODEL);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect((await rejection(loadModel(path))).code).toBe('INVALID_MODEL');
  });

  it('rejects a directory with MODEL_NOT_FOUND', async () => {
    expect((await rejection(loadModel(scratch))).code).toBe('MODEL_NOT_FOUND');
  });

  it.each([
    ['empty path', '', {}],
    ['non-string path', 42, {}],
    ['negative gpuLayers', STORIES_MODEL, { gpuLayers: -2 }],
    ['fractional gpuLayers', STORIES_MODEL, { gpuLayers: 1.5 }],
    ['non-boolean useMmap', STORIES_MODEL, { useMmap: 'yes' }],
    ['non-function onProgress', STORIES_MODEL, { onProgress: 3 }],
    ['unknown gpuLayers word', STORIES_MODEL, { gpuLayers: 'all' }],
    ['devices that is not an array', STORIES_MODEL, { devices: 'CUDA0' }],
    ['a device that does not exist', STORIES_MODEL, { devices: ['CUDA9'] }],
    ['the CPU as a GPU device', STORIES_MODEL, { devices: ['CPU'] }],
    ['an empty nativeBinding', STORIES_MODEL, { nativeBinding: '' }],
    ['a nativeBinding other than the loaded addon', STORIES_MODEL, { nativeBinding: '/elsewhere/llama_generate.node' }],
    ['a signal that is not an AbortSignal', STORIES_MODEL, { signal: { aborted: false } }],
  ])('rejects %s with INVALID_ARGUMENT', async (_name, path, options) => {
    const err = await rejection(loadModel(path as string, options as never));
    expect(err.code).toBe('INVALID_ARGUMENT');
  });

  it('rejects a FIFO without opening it, and later loads still run (no pool thread left blocked)', async () => {
    const fifo = join(scratch, 'model.fifo');
    execFileSync('mkfifo', [fifo]);
    for (let i = 0; i < 6; i++) expect((await rejection(loadModel(fifo))).code).toMatch(/^(MODEL_NOT_FOUND|INVALID_ARGUMENT)$/);
    const models = await Promise.all(Array.from({ length: 4 }, () => loadModel(STORIES_MODEL)));
    for (const m of models) m.dispose();
  });

  it("gpuLayers 'auto' (the default) and 'max' load on a machine without a GPU", async () => {
    for (const gpuLayers of ['auto', 'max', 0] as const) (await loadModel(STORIES_MODEL, { gpuLayers })).dispose();
  });

  it('honours an AbortSignal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const err = await rejection(loadModel(STORIES_MODEL, { signal: controller.signal }));
    expect(err.code).toBe('ABORTED');
  });

  it('aborts a load in progress from its progress callback', async () => {
    // ~200 MB read without mmap: long enough for the abort to land mid-load.
    const path = await getTinyModelPath({ seed: 3, nEmbd: 512, nHead: 8, nHeadKv: 4, nLayer: 8, nFf: 1536 });
    const before = native().liveObjects();
    const controller = new AbortController();
    let calls = 0;
    const load = loadModel(path, {
      useMmap: false,
      signal: controller.signal,
      onProgress: () => {
        calls++;
        controller.abort();
      },
    });
    const err = await rejection(load.then((m) => (m.dispose(), m)));
    expect(err.code).toBe('ABORTED');
    expect(calls).toBeGreaterThan(0);
    expect(native().liveObjects()).toEqual(before);
  });

  it('accepts the load options', async () => {
    const model = await loadModel(STORIES_MODEL, { gpuLayers: 0, useMmap: false, useMlock: false });
    expect(model.tokenize('Hello').length).toBeGreaterThan(1);
    model.dispose();
  });

  it('loads vocabulary only when asked, and then refuses contexts', async () => {
    const model = await loadModel(STORIES_MODEL, { vocabOnly: true });
    try {
      expect(model.vocabOnly).toBe(true);
      expect(model.detokenize(model.tokenize('Hello', { addSpecial: false }))).toBe('Hello');
      expect((await rejection(model.createContext())).code).toBe('UNSUPPORTED');
    } finally {
      model.dispose();
    }
  });

  it('throws DISPOSED after dispose, which is idempotent', async () => {
    const model = await loadModel(STORIES_MODEL);
    model.dispose();
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(() => model.tokenize('x')).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => model.detokenize([1])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => model.isEog(1)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect((await rejection(model.createContext())).code).toBe('DISPOSED');
  });

  it('supports Symbol.dispose and Symbol.asyncDispose', async () => {
    const a = await loadModel(STORIES_MODEL);
    a[Symbol.dispose]();
    expect(a.disposed).toBe(true);
    const b = await loadModel(STORIES_MODEL);
    await b[Symbol.asyncDispose]();
    expect(b.disposed).toBe(true);
  });

  it('survives 200 load/dispose cycles, freeing every model and context', async () => {
    const before = native().liveObjects();
    for (let i = 0; i < 200; i++) {
      const model = await loadModel(STORIES_MODEL);
      if (i % 20 === 0) {
        const context = await model.createContext({ contextSize: 64 });
        await context.evaluate(model.tokenize('Hi'));
      }
      model.dispose();
    }
    expect(native().liveObjects()).toEqual(before);
  });
});
