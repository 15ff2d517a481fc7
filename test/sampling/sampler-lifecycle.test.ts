/** Sampler objects: lifetime independent of the model, argument checks, disposal. */
import { describe, expect, it } from 'vitest';
import { createSampler, loadModel, processLogits, sample } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';

describe('Sampler lifecycle', () => {
  it('keeps working after its model is disposed (it holds the vocabulary)', async () => {
    const model = await loadModel(STORIES_MODEL, { vocabOnly: true });
    const sampler = createSampler({ do_sample: true, top_k: 5, grammar: 'root ::= "a" "b"', seed: 3 }, { model, inputIds: [1] });
    model.dispose();
    const token = sampler.sample(new Float32Array(512));
    expect(token).toBeGreaterThanOrEqual(0);
    expect(token).toBeLessThan(512);
    sampler.dispose();
  });

  it('checks logits, token ids and disposal with typed errors', async () => {
    const sampler = createSampler({}, { vocabSize: 8 });
    expect(() => sampler.process(new Float32Array(10))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => sampler.process([1, 2] as unknown as Float32Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => sampler.accept(8)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    sampler.dispose();
    expect(() => sampler.process(new Float32Array(8))).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => processLogits(new Float32Array(4), [9], {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createSampler({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('types every bad option of createSampler, processLogits and sample (nothing silently ignored)', () => {
    const invalid = expect.objectContaining({ name: 'LlamaError', code: 'INVALID_ARGUMENT' });
    const logits = new Float32Array(8);
    // not a Model (was a TypeError from deep inside), null options, a non-array history (was treated as empty)
    expect(() => processLogits(logits, [1], {}, { model: {} as never })).toThrow(invalid);
    expect(() => sample(logits, [1], {}, null as never)).toThrow(invalid);
    expect(() => createSampler({}, null as never)).toThrow(invalid);
    expect(() => createSampler({}, { vocabSize: 8, inputIds: 5 as never })).toThrow(invalid);
    expect(() => createSampler({}, { vocabSize: 8, inputIds: [1, 2.5] })).toThrow(invalid);
    expect(() => createSampler({}, { vocabSize: 8, inputIds: [1, 2], promptLength: 3 })).toThrow(invalid);
    expect(() => processLogits([0, 1] as never, [1])).toThrow(invalid);
    expect(() => processLogits(logits, 'abc' as never)).toThrow(invalid);
    // a null-prototype options object is a plain object
    const options = Object.assign(Object.create(null) as object, { vocabSize: 8 });
    const sampler = createSampler({}, options as never);
    expect(sampler.process(logits)).toHaveLength(8);
    sampler.dispose();
  });

  it('refuses a history the grammar does not allow', async () => {
    const model = await loadModel(STORIES_MODEL, { vocabOnly: true });
    try {
      const z = model.tokenize('z', { addSpecial: false })[0];
      expect(() => createSampler({ grammar: 'root ::= "a"' }, { model, inputIds: [1, z], promptLength: 1 })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    } finally {
      model.dispose();
    }
  });
});
