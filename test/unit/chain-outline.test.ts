/**
 * One rule for whether the penalty and warper stages run (config/chain.ts):
 * the chain plan (sampling/plan.ts) and the "has no effect" warnings
 * (config/warnings.ts, explain()) both read it, so they cannot disagree. The
 * cases where llama.cpp's sampler would return at once (penalty window 0, DRY
 * window 0, XTC threshold above 0.5) leave the stage out of the plan and warn;
 * and over random configurations, no field of a stage in the plan is ever
 * reported as having no effect, and no set field of a sampler missing from
 * the plan goes without a reason.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLER_ORDER, FIELD_INFO, resolveConfig, type CanonicalField, type GenerationConfigInput, type SamplerName } from '../../lib/config';
import { isNonDefault } from '../../lib/config/defaults';
import { ineffectiveFields } from '../../lib/config/warnings';
import { planChain } from '../../lib/sampling/plan';
import { mulberry32 } from '../support/random';

/** The native stage kinds each sampler name may add. */
const STAGES_OF: Record<SamplerName, readonly string[]> = {
  penalties: ['penalties'], dry: ['dry'], temperature: ['temperature', 'temp_ext'], top_k: ['top_k'], top_p: ['top_p'], min_p: ['min_p'],
  typ_p: ['typical_p'], epsilon: ['epsilon'], eta: ['eta'], tfs_z: ['tail_free'], top_n_sigma: ['top_n_sigma'], xtc: ['xtc'], adaptive_p: [],
};

function outcome(config: GenerationConfigInput): { kinds: string[]; draw: string; notes: Map<CanonicalField, string> } {
  const { values } = resolveConfig(config);
  const plan = planChain({ ...values, seed: 1 }, { vocabSize: 100 });
  return { kinds: plan.stages.map((s) => s.kind), draw: plan.draw.kind, notes: new Map(ineffectiveFields(values).map((n) => [n.field, n.message])) };
}

describe('the chain outline: plan and warnings from one rule', () => {
  it.each([
    ['penalties with an empty window', { repeat_penalty: 1.1, penalty_last_n: 0 }, 'penalties', 'repeat_penalty', '`penalty_last_n` is 0'],
    ['DRY with an empty window', { dry_multiplier: 0.8, dry_penalty_last_n: 0 }, 'dry', 'dry_multiplier', '`dry_penalty_last_n` is 0'],
    ['XTC above its threshold', { do_sample: true, xtc_probability: 0.5, xtc_threshold: 0.6 }, 'xtc', 'xtc_probability', 'above 0.5'],
    ['a warper under Mirostat', { do_sample: true, mirostat: 2, top_p: 0.9 }, 'top_p', 'top_p', '`mirostat` is 2'],
    ['a warper left out of samplers', { do_sample: true, samplers: ['top_k', 'temperature'], top_p: 0.9 }, 'top_p', 'top_p', "does not list 'top_p'"],
    ['a warper without sampling', { top_p: 0.9 }, 'top_p', 'top_p', '`do_sample` is false'],
  ] as const)('%s: no stage, and a warning', (_name, config, kind, field, cause) => {
    const { kinds, notes } = outcome(config);
    expect(kinds).not.toContain(kind);
    expect(notes.get(field)).toContain(cause);
  });

  it('the same stages run when nothing blocks them, without warnings', () => {
    const { kinds, notes } = outcome({ repeat_penalty: 1.1, dry_multiplier: 0.8, do_sample: true, xtc_probability: 0.5, xtc_threshold: 0.5, top_p: 0.9 });
    expect(kinds).toEqual(['penalties', 'dry', 'top_k', 'top_p', 'xtc']);
    expect([...notes.keys()]).toEqual([]);
    // llama.cpp compares the threshold as a float: 0.50000001 is 0.5 there, and XTC runs
    expect(outcome({ do_sample: true, xtc_probability: 0.5, xtc_threshold: 0.50000001 }).kinds).toContain('xtc');
  });

  it('Mirostat keeps temperature, after the other stages, and draws itself', () => {
    const { kinds, draw } = outcome({ do_sample: true, mirostat: 1, temperature: 0.7, top_k: 10, repeat_penalty: 1.2 });
    expect(kinds).toEqual(['penalties', 'temperature']);
    expect(draw).toBe('mirostat');
  });

  it('over random configurations, plan and warnings agree field by field', () => {
    const random = mulberry32(2024);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const pool: Array<[keyof GenerationConfigInput, readonly unknown[]]> = [
      ['do_sample', [true, false]], ['mirostat', [0, 0, 0, 1, 2]], ['temperature', [1, 0.7]], ['dynatemp_range', [0, 0.5]],
      ['dynatemp_exponent', [1, 2]], ['top_k', [0, 50, 10]], ['top_p', [1, 0.9]], ['min_p', [null, 0.05]], ['typical_p', [1, 0.8]],
      ['epsilon_cutoff', [0, 0.001]], ['eta_cutoff', [0, 0.001]], ['tfs_z', [1, 0.9]], ['top_n_sigma', [-1, 1.5]],
      ['xtc_probability', [0, 0.5]], ['xtc_threshold', [0.1, 0.6]], ['repeat_penalty', [1, 1.1]], ['frequency_penalty', [0, 0.2]],
      ['penalty_last_n', [64, 0, 128]], ['dry_multiplier', [0, 0.8]], ['dry_base', [1.75, 2]], ['dry_penalty_last_n', [64, 0]],
      ['adaptive_target', [-1, 0.5]], ['adaptive_decay', [0.9, 0.5]],
    ];
    let checked = 0;
    for (let trial = 0; trial < 600; trial++) {
      const config: Record<string, unknown> = {};
      for (const [field, values] of pool) if (random() < 0.5) config[field] = pick(values);
      if (random() < 0.3) config.samplers = DEFAULT_SAMPLER_ORDER.filter(() => random() < 0.7);
      let values;
      try {
        values = resolveConfig(config as GenerationConfigInput).values;
      } catch {
        continue; // a combination the config layer refuses (Mirostat without sampling)
      }
      checked++;
      const { kinds, notes } = outcome(config as GenerationConfigInput);
      for (const [sampler, stageKinds] of Object.entries(STAGES_OF) as Array<[SamplerName, readonly string[]]>) {
        const fields = (Object.keys(FIELD_INFO) as CanonicalField[]).filter((f) => FIELD_INFO[f].sampler === sampler);
        const inPlan = stageKinds.some((k) => kinds.includes(k));
        for (const field of fields) {
          if (!isNonDefault(field, values[field])) continue;
          const where = `trial ${trial} ${JSON.stringify(config)}: ${field}`;
          // a stage in the plan reads its fields; the exception is a parameter of a variant that does not run
          if (inPlan && field !== 'dynatemp_exponent') expect(notes.has(field), where).toBe(false);
          // a configured sampler with no stage has a reason (adaptive-p is a draw, not a stage),
          // unless the field is itself that reason (a window of 0, a threshold above 0.5)
          const isCause = [...notes.values()].some((m) => m.split(', so ')[0].includes(`\`${field}\``));
          const switchedOff = field === 'top_k' && values.top_k === 0; // top_k: 0 is how one turns it off
          if (!inPlan && sampler !== 'adaptive_p' && !isCause && !switchedOff) expect(notes.has(field), where).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});
