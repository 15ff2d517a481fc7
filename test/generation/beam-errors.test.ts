/** Beam search requests that cannot run: typed errors, before anything runs where possible. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type GenerationConfigInput, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';

let model: Model;
let context: Context;

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 512, sequences: 4, threads: 1 });
});
afterAll(() => {
  context?.dispose();
  model?.dispose();
});

const fails = (config: GenerationConfigInput, code: string, message: RegExp): void => {
  expect(() => context.generate('Once', config)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
};

describe('beam search errors', () => {
  it('needs one sequence of the context per beam', () => {
    fails({ num_beams: 5 }, 'INVALID_ARGUMENT', /^num_beams \(5\) \(a beam search takes one sequence per beam\) needs a context with at least 5 sequences \(this one has 4\)/);
  });

  it('validates the beam fields (transformers\' rules)', () => {
    fails({ num_beams: 2, num_return_sequences: 3 }, 'INVALID_ARGUMENT', /^num_return_sequences \(3\) must not exceed num_beams \(2\)/);
    fails({ num_beams: 4, num_beam_groups: 3, diversity_penalty: 1 }, 'INVALID_ARGUMENT', /^num_beam_groups \(3\) must divide num_beams \(4\)/);
    fails({ num_beams: 4, num_beam_groups: 2 }, 'INVALID_ARGUMENT', /needs diversity_penalty > 0/);
    fails({ num_beams: 4, num_beam_groups: 2, diversity_penalty: 1, do_sample: true }, 'INVALID_ARGUMENT', /needs do_sample: false/);
    fails({ force_words_ids: [[300]] }, 'INVALID_ARGUMENT', /^force_words_ids \(constrained beam search\) needs num_beams > 1/);
    fails({ num_beams: 2, force_words_ids: [[300]], do_sample: true }, 'INVALID_ARGUMENT', /needs do_sample: false/);
    fails({ num_beams: 2, force_words_ids: [[[300], [300, 301]]] }, 'INVALID_ARGUMENT', /^force_words_ids\[0\] must not list a phrase twice or one that starts another/);
    fails({ num_beams: 2, force_words_ids: [[]] }, 'INVALID_ARGUMENT', /^force_words_ids\[0\]/);
    fails({ num_beams: 0 }, 'INVALID_ARGUMENT', /^num_beams/);
    fails({ num_beams: 2, early_stopping: 'sometimes' as never }, 'INVALID_ARGUMENT', /^early_stopping/);
  });

  it('refuses what has no beam-search meaning here with NOT_IMPLEMENTED', () => {
    fails({ num_beams: 2, stop_strings: ['.'] }, 'NOT_IMPLEMENTED', /^stop_strings with num_beams > 1 is not implemented/);
    fails({ num_beams: 2, logprobs: true }, 'NOT_IMPLEMENTED', /^logprobs with num_beams > 1/);
    fails({ num_beams: 2, return_dict_in_generate: true, output_scores: true }, 'NOT_IMPLEMENTED', /^output_scores/);
    fails({ num_beams: 2, do_sample: true, mirostat: 2 }, 'NOT_IMPLEMENTED', /^mirostat/);
  });

  it('token ids of the constraints must exist in the vocabulary', async () => {
    await expect(context.generate('Once', { num_beams: 2, force_words_ids: [[100000]] }).result).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
