/**
 * The plan → native chain contract (lib/sampling/stages.ts and
 * native/sampling/StageFactory.cc): both sides list the same stage and draw
 * kinds; every kind a plan produces is built natively as the plan wrote it
 * (no missing, mistyped or unknown parameter); and the native side refuses a
 * descriptor that strays from its table with INVALID_ARGUMENT naming the
 * kind and the parameter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type GenerationConfigInput } from '../../lib/config';
import { LlamaError } from '../../lib/errors';
import { loadModel, type Model } from '../../lib/index';
import { nativeModelOf } from '../../lib/model';
import { native } from '../../lib/native';
import { planContext } from '../../lib/sampling';
import { planChain, type ChainPlan } from '../../lib/sampling/plan';
import { buildNativeSampler } from '../../lib/sampling/sampler';
import { DRAW_KINDS, STAGE_KINDS } from '../../lib/sampling/stages';
import { STORIES_MODEL } from '../support/models';

let model: Model;
beforeAll(async () => {
  model = await loadModel(STORIES_MODEL, { vocabOnly: true });
});
afterAll(() => model.dispose());

/** Configs that, together, make a plan use every stage and draw kind. */
const CONFIGS: Array<{ config: GenerationConfigInput; beamSearch?: boolean }> = [
  { config: { logit_bias: { 5: 1.5 }, ignore_eos: true } },
  { config: { sequence_bias: [[[5, 6], 1.5]], repetition_penalty: 1.2, no_repeat_ngram_size: 2, bad_words_ids: [[7], [8, 9]] } },
  { config: { min_length: 5, min_new_tokens: 3, forced_bos_token_id: 1, forced_eos_token_id: 2, remove_invalid_values: true } },
  { config: { exponential_decay_length_penalty: [5, 1.1], suppress_tokens: [3], begin_suppress_tokens: [4], renormalize_logits: true } },
  { config: { diversity_penalty: 0.5, num_beams: 2, num_beam_groups: 2 }, beamSearch: true },
  { config: { repeat_penalty: 1.1, frequency_penalty: 0.1, dry_multiplier: 0.8, grammar: 'root ::= "a" [a-z]*' } },
  { config: { do_sample: true, temperature: 0.7, top_k: 10, top_p: 0.9, min_p: 0.05, typical_p: 0.9, epsilon_cutoff: 0.001, eta_cutoff: 0.001 } },
  { config: { do_sample: true, dynatemp_range: 0.5, top_n_sigma: 1, xtc_probability: 0.5, tfs_z: 0.9 } },
  { config: { do_sample: true, mirostat: 1 } },
  { config: { do_sample: true, mirostat: 2, temperature: 0.8 } },
  { config: { do_sample: true, adaptive_target: 0.5 } },
  { config: { do_sample: false } },
];

function planOf(config: GenerationConfigInput, beamSearch = false): ChainPlan {
  const { values } = resolveConfig(config);
  return planChain({ ...values, seed: 1 }, { ...planContext(values, model.vocabSize, model), beamSearch });
}

function build(plan: unknown): void {
  buildNativeSampler(plan as ChainPlan, nativeModelOf(model), new Int32Array(0), 0).dispose();
}

function refusal(plan: unknown): string {
  try {
    build(plan);
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
    return (err as LlamaError).message;
  }
  throw new Error('the native side took the plan');
}

describe('stage contract between plan.ts and StageFactory.cc', () => {
  it('both sides list the same stage and draw kinds', () => {
    expect(native().stageKinds()).toEqual({ stages: [...STAGE_KINDS], draws: [...DRAW_KINDS] });
  });

  it('every kind a plan produces is built natively as the plan wrote it', () => {
    const stages = new Set<string>();
    const draws = new Set<string>();
    for (const { config, beamSearch } of CONFIGS) {
      const plan = planOf(config, beamSearch);
      build(plan);
      for (const stage of plan.stages) stages.add(stage.kind);
      draws.add(plan.draw.kind);
    }
    expect([...stages].sort()).toEqual([...STAGE_KINDS]);
    expect([...draws].sort()).toEqual([...DRAW_KINDS]);
  });

  it('refuses a descriptor that strays from the table, naming the kind and the parameter', () => {
    const plan = (stages: unknown[], draw: unknown = { kind: 'greedy' }): unknown => ({ vocabSize: model.vocabSize, stages, draw, hookAt: 0, seed: 0 });
    expect(refusal(plan([{ kind: 'top_k', k: 5, min_keep: 1, kk: 3 }]))).toBe("top_k has no parameter 'kk'");
    expect(refusal(plan([{ kind: 'top_k', k: 5 }]))).toMatch(/^top_k\.min_keep must be a number/);
    expect(refusal(plan([{ kind: 'top_k', k: '5', min_keep: 1 }]))).toMatch(/^top_k\.k must be a number/);
    expect(refusal(plan([{ kind: 'top_p', p: 1.5, min_keep: 1 }]))).toMatch(/^top_p\.p is out of range/);
    expect(refusal(plan([{ kind: 'top_k', k: 5, min_keep: 1, hf: 7 }]))).toBe('top_k.hf must be a string');
    expect(refusal(plan([{ kind: 'begin_suppress_tokens', tokens: [1], forced_bos: 1 }]))).toBe('begin_suppress_tokens.forced_bos must be a boolean');
    expect(refusal(plan([{ kind: 'top_q', q: 1 }]))).toBe("unknown stage kind 'top_q'");
    expect(refusal(plan([], { kind: 'greedy', seed: 1 }))).toBe("draw greedy has no parameter 'seed'");
    expect(refusal(plan([], { kind: 'dist' }))).toMatch(/^draw dist\.seed must be a number/);
    expect(refusal(plan([], { kind: 'beam' }))).toBe("unknown draw kind 'beam'");
    // the same descriptors, as the plan writes them, pass
    build(plan([{ kind: 'top_k', k: 5, min_keep: 1, hf: 'TopKLogitsWarper' }], { kind: 'dist', seed: 1 }));
  });
});
