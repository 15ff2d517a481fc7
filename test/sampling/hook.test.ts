/** The opt-in JS hook (`logits_processor`), transformers' custom-processor position: after the processors, before the warpers. */
import { describe, expect, it } from 'vitest';
import { createSampler, processLogits } from '../../lib/index';

const logits = Float32Array.from([1, 2, 3, 4, -1, 0.5]);

describe('logits_processor', () => {
  it('sees the history and the scores after the processors, before the warpers', () => {
    const seen: Array<{ ids: number[]; scores: number[] }> = [];
    const out = processLogits(logits, [3, 3, 1], {
      repetition_penalty: 2,
      do_sample: true,
      temperature: 0.5,
      top_k: 0,
      logits_processor: (ids, scores) => {
        seen.push({ ids: [...ids], scores: [...scores] });
        scores[5] = 10; // a custom processor may change scores in place
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].ids).toEqual([3, 3, 1]);
    // repetition penalty applied (tokens 1 and 3 divided by 2), temperature not yet
    expect(seen[0].scores).toEqual([1, 1, 3, 2, -1, 0.5]);
    // temperature applied after the hook, to the hook's change too
    expect([...out]).toEqual([2, 2, 6, 4, -2, 20]);
  });

  it('is called once per processed token, with the growing history', () => {
    const lengths: number[] = [];
    const sampler = createSampler(
      { do_sample: false, logits_processor: (ids) => void lengths.push(ids.length) },
      { vocabSize: logits.length, inputIds: [0] },
    );
    for (let i = 0; i < 3; i++) sampler.sample(logits);
    sampler.dispose();
    expect(lengths).toEqual([1, 2, 3]);
  });

  it('propagates an exception thrown by the hook', () => {
    expect(() =>
      processLogits(logits, [], {
        logits_processor: () => {
          throw new Error('custom failure');
        },
      }),
    ).toThrow('custom failure');
  });
});

describe('ignore_eos', () => {
  it('bans the EOS tokens, as llama.cpp does', () => {
    const scores = Float32Array.from([1, 5, 2]);
    expect([...processLogits(scores, [], { eos_token_id: 1 })]).toEqual([1, 5, 2]);
    expect([...processLogits(scores, [], { eos_token_id: 1, ignore_eos: true })]).toEqual([1, -Infinity, 2]);
  });
});
