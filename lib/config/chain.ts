/**
 * The sampling part of the chain (penalties, warpers, draw) as a function of
 * the resolved values: which stages run, in which order, which draw picks the
 * token, and, for every setting that keeps a configured sampler from running,
 * the fields it leaves unread and why. This is the one rule for whether these
 * stages run: sampling/plan.ts builds the native stages from the outline, and
 * warnings.ts (hence explain()) reads its "has no effect" notes from it.
 */
import { invalidArgument } from '../errors';
import { DEFAULT_SAMPLER_ORDER } from './defaults';
import type { CanonicalField, GenerationValues, SamplerName } from './fields';
import { FIELD_INFO, FIELD_NAMES } from './meta';

/** A penalty or warper stage of the native chain (lib/sampling/stages.ts has their parameters). */
export type SamplingStageKind =
  | 'penalties' | 'dry' | 'temperature' | 'temp_ext' | 'top_k' | 'top_p' | 'min_p' | 'typical_p' | 'epsilon' | 'eta'
  | 'tail_free' | 'top_n_sigma' | 'xtc';

/** How the token is picked: argmax, a seeded draw, Mirostat 1 or 2, or adaptive-p. */
export type SamplingDrawKind = 'greedy' | 'dist' | 'mirostat' | 'mirostat_v2' | 'adaptive_p';

/** Fields a setting leaves unread, and why ("`cause`, so `field` (value) has no effect`hint`"). */
export interface UnreadFields {
  readonly fields: readonly CanonicalField[];
  readonly cause: string;
  readonly hint?: (field: CanonicalField) => string;
}

/** The sampling part of a chain. */
export interface SamplingOutline {
  /** The penalty and warper stages that run, in chain order. */
  readonly stages: readonly SamplingStageKind[];
  /** Index into `stages` of the first warper's place: a JS `logits_processor` runs right before it. */
  readonly hookAt: number;
  readonly draw: SamplingDrawKind;
  /** What the settings leave unread, in the order the rules below find it (the first cause of a field is its reason). */
  readonly unread: readonly UnreadFields[];
}

type Values = Partial<GenerationValues>;

/** A sampler of `samplers` (or the default order): the stage it adds, and what keeps it from running. */
interface SamplerRule {
  /** The stage when it runs, or null when its own values make it a no-op (left at their neutral values). */
  stage(v: Values): SamplingStageKind | null;
  /** Settings that switch it (or some of its fields) off although they are configured. */
  blockers?: ReadonlyArray<{ when: (v: Values) => boolean; cause: (v: Values) => string; fields: readonly CanonicalField[]; blocksStage: boolean }>;
}

const PENALTY_FIELDS: readonly CanonicalField[] = ['repeat_penalty', 'frequency_penalty', 'presence_penalty'];
const DRY_FIELDS: readonly CanonicalField[] = ['dry_base', 'dry_allowed_length', 'dry_penalty_last_n', 'dry_sequence_breakers'];
const fieldsOf = (sampler: SamplerName): CanonicalField[] => FIELD_NAMES.filter((f) => FIELD_INFO[f].sampler === sampler);
const SAMPLING_ONLY = FIELD_NAMES.filter((f) => FIELD_INFO[f].samplingOnly);
/** Warper fields that do not run with Mirostat (temperature does). */
const MIROSTAT_SKIPS = FIELD_NAMES.filter((f) => FIELD_INFO[f].samplingOnly && FIELD_INFO[f].stage === '5. warpers' && FIELD_INFO[f].sampler !== 'temperature');

const penaltiesSet = (v: Values): boolean => (v.repeat_penalty ?? 1) !== 1 || (v.frequency_penalty ?? 0) !== 0 || (v.presence_penalty ?? 0) !== 0;

/** A sampler whose one value turns it on. */
const when = (on: (v: Values) => boolean, kind: SamplingStageKind): SamplerRule => ({ stage: (v) => (on(v) ? kind : null) });

// llama.cpp's samplers return at once for the blocked settings below (penalty window 0, DRY window 0,
// XTC threshold above 0.5): leaving the stage out changes nothing but the cost.
const RULES: Record<SamplerName, SamplerRule> = {
  penalties: {
    stage: (v) => (penaltiesSet(v) ? 'penalties' : null),
    blockers: [
      { when: (v) => v.penalty_last_n === 0, cause: () => '`penalty_last_n` is 0', fields: PENALTY_FIELDS, blocksStage: true },
      {
        when: (v) => !penaltiesSet(v),
        cause: () => 'no penalty is set (`repeat_penalty` 1, `frequency_penalty` and `presence_penalty` 0)',
        fields: ['penalty_last_n'],
        blocksStage: true,
      },
    ],
  },
  dry: {
    stage: (v) => ((v.dry_multiplier ?? 0) !== 0 ? 'dry' : null),
    blockers: [
      { when: (v) => (v.dry_multiplier ?? 0) === 0, cause: () => '`dry_multiplier` is 0', fields: DRY_FIELDS, blocksStage: true },
      {
        when: (v) => v.dry_penalty_last_n === 0,
        cause: () => '`dry_penalty_last_n` is 0',
        fields: ['dry_multiplier', ...DRY_FIELDS.filter((f) => f !== 'dry_penalty_last_n')],
        blocksStage: true,
      },
    ],
  },
  temperature: {
    stage: (v) => ((v.dynatemp_range ?? 0) > 0 ? 'temp_ext' : (v.temperature ?? 1) !== 1 ? 'temperature' : null),
    blockers: [{ when: (v) => (v.dynatemp_range ?? 0) === 0, cause: () => '`dynatemp_range` is 0', fields: ['dynatemp_exponent'], blocksStage: false }],
  },
  top_k: when((v) => (v.top_k ?? 0) > 0, 'top_k'),
  top_p: when((v) => (v.top_p ?? 1) < 1, 'top_p'),
  min_p: when((v) => v.min_p !== undefined && v.min_p !== null, 'min_p'),
  typ_p: when((v) => (v.typical_p ?? 1) < 1, 'typical_p'),
  epsilon: when((v) => (v.epsilon_cutoff ?? 0) > 0 && (v.epsilon_cutoff ?? 0) < 1, 'epsilon'),
  eta: when((v) => (v.eta_cutoff ?? 0) > 0 && (v.eta_cutoff ?? 0) < 1, 'eta'),
  tfs_z: when((v) => (v.tfs_z ?? 1) < 1, 'tail_free'),
  top_n_sigma: when((v) => (v.top_n_sigma ?? -1) > 0, 'top_n_sigma'),
  xtc: {
    stage: (v) => ((v.xtc_probability ?? 0) > 0 ? 'xtc' : null),
    blockers: [
      { when: (v) => (v.xtc_probability ?? 0) === 0, cause: () => '`xtc_probability` is 0', fields: ['xtc_threshold'], blocksStage: true },
      { when: (v) => Math.fround(v.xtc_threshold ?? 0.1) > 0.5, cause: () => '`xtc_threshold` is above 0.5, which disables XTC', fields: ['xtc_probability'], blocksStage: true },
    ],
  },
  // adaptive-p is a draw, not a stage.
  adaptive_p: {
    stage: () => null,
    blockers: [{ when: (v) => (v.adaptive_target ?? -1) < 0, cause: () => '`adaptive_target` is -1', fields: ['adaptive_decay'], blocksStage: false }],
  },
};

const isWarper = (sampler: SamplerName): boolean => sampler !== 'penalties' && sampler !== 'dry';
const WARPERS = (Object.keys(RULES) as SamplerName[]).filter(isWarper);

/** The sampling part of the chain for `v` (values not set count as their defaults). */
export function outlineSampling(v: Values): SamplingOutline {
  const unread: UnreadFields[] = [];
  const order = v.samplers ?? DEFAULT_SAMPLER_ORDER;
  const doSample = v.do_sample === true;
  const mirostat = doSample ? v.mirostat ?? 0 : 0;

  // Settings that turn off whole groups: do_sample, the samplers list, Mirostat.
  if (!doSample) {
    unread.push({
      fields: SAMPLING_ONLY,
      cause: '`do_sample` is false',
      hint: (field) => ` (greedy decoding takes the most likely token); set do_sample: true or unset ${field}`,
    });
  } else {
    for (const sampler of WARPERS) if (!order.includes(sampler)) unread.push({ fields: fieldsOf(sampler), cause: `\`samplers\` does not list '${sampler}'` });
    if (mirostat === 0) unread.push({ fields: ['mirostat_tau', 'mirostat_eta'], cause: '`mirostat` is 0' });
    else unread.push({ fields: MIROSTAT_SKIPS, cause: `\`mirostat\` is ${mirostat}`, hint: () => ' (as in llama.cpp, Mirostat replaces the warpers except temperature)' });
  }
  if (!order.includes('penalties')) unread.push({ fields: [...PENALTY_FIELDS, 'penalty_last_n'], cause: "`samplers` does not list 'penalties'" });
  if (!order.includes('dry')) unread.push({ fields: ['dry_multiplier', ...DRY_FIELDS], cause: "`samplers` does not list 'dry'" });
  // Each sampler's own blockers (only those of samplers that may run report theirs).
  for (const sampler of Object.keys(RULES) as SamplerName[]) {
    if (isWarper(sampler) && !doSample) continue;
    for (const b of RULES[sampler].blockers ?? []) if (b.when(v)) unread.push({ fields: b.fields, cause: b.cause(v) });
  }

  const stages: SamplingStageKind[] = [];
  let hookAt = -1;
  let adaptive = false;
  for (const sampler of order) {
    const warper = isWarper(sampler);
    if (warper && !doSample) continue;
    if (warper && hookAt < 0) hookAt = stages.length;
    if (warper && mirostat !== 0) continue; // Mirostat replaces the warpers (as in llama.cpp)
    if (sampler === 'adaptive_p' && (v.adaptive_target ?? -1) >= 0) adaptive = true;
    const rule = RULES[sampler] as SamplerRule | undefined;
    if (rule === undefined) throw invalidArgument(`samplers: unknown sampler '${String(sampler)}'`);
    if ((rule.blockers ?? []).some((b) => b.blocksStage && b.when(v))) continue;
    const kind = rule.stage(v);
    if (kind !== null) stages.push(kind);
  }
  if (hookAt < 0) hookAt = stages.length;
  if (mirostat !== 0) {
    const temperature = RULES.temperature.stage(v);
    if (temperature !== null) stages.push(temperature);
  }
  const draw: SamplingDrawKind = !doSample ? 'greedy' : mirostat === 1 ? 'mirostat' : mirostat === 2 ? 'mirostat_v2' : adaptive ? 'adaptive_p' : 'dist';
  return { stages, hookAt, draw, unread };
}
