/**
 * explain(): what each option of a configuration does, where it acts in the
 * sampler chain, what implements it and whether it has transformers' or
 * llama.cpp's exact semantics (docs/sampling.md has the table).
 */
import { outlineSampling } from './chain';
import { DEFAULT_SAMPLER_ORDER, isNonDefault } from './defaults';
import type { CanonicalField, ConfigSource, GenerationConfigInput, GenerationValues } from './fields';
import { FIELD_INFO, FIELD_NAMES, type ExplainStage, type Semantics } from './meta';
import { isResolvedConfig, resolveConfig, type ResolvedGenerationConfig } from './resolve';
import { ineffectiveFields } from './warnings';

/** One row of {@link explain}. */
export interface ExplainRow {
  /** The canonical field. */
  readonly field: CanonicalField;
  /** Its resolved (normalised) value. */
  readonly value: unknown;
  /** The layer it came from. */
  readonly source: ConfigSource;
  /** Where it acts: a numbered chain stage, `stop`, `output`, or `none`. */
  readonly stage: ExplainStage;
  /** What implements it. */
  readonly implementation: string;
  /** Whose semantics it follows exactly. */
  readonly semantics: Semantics;
  /** What it does here, and why it has no effect when it has none. */
  readonly note: string;
}

const STAGE_ORDER: readonly ExplainStage[] = [
  '1. logit bias', '2. processors', '3. grammar', '4. penalties', '5. warpers', '6. renormalize', '7. draw', 'stop', 'output', 'none',
];

/** Defaults shown when the field they parametrise is in effect. */
const DEPENDENTS: ReadonlyArray<readonly [CanonicalField, readonly CanonicalField[]]> = [
  ['repeat_penalty', ['penalty_last_n']],
  ['frequency_penalty', ['penalty_last_n']],
  ['presence_penalty', ['penalty_last_n']],
  ['dry_multiplier', ['dry_base', 'dry_allowed_length', 'dry_penalty_last_n', 'dry_sequence_breakers']],
  ['mirostat', ['mirostat_tau', 'mirostat_eta']],
  ['xtc_probability', ['xtc_threshold']],
  ['dynatemp_range', ['dynatemp_exponent']],
  ['adaptive_target', ['adaptive_decay']],
];

/** Defaults that act although nobody set them, with why. */
function activeDefaults(v: GenerationValues, effective: (f: CanonicalField) => boolean): Map<CanonicalField, string> {
  const shown = new Map<CanonicalField, string>();
  shown.set('do_sample', v.do_sample ? 'sampling' : 'greedy decoding');
  if (v.max_new_tokens === undefined) {
    shown.set('max_length', "transformers' default: prompt + output stop at max_length; set max_new_tokens to bound the output alone");
  }
  if (outlineSampling(v).stages.includes('top_k')) {
    shown.set('top_k', `transformers' default top_k ${v.top_k} applies because do_sample is true; top_k: 0 disables it`);
  }
  for (const [parent, dependents] of DEPENDENTS) {
    if (!effective(parent)) continue;
    for (const field of dependents) if (!shown.has(field)) shown.set(field, `used by ${parent}`);
  }
  return shown;
}

/**
 * One row per field that is set (by any layer) or that acts at its default
 * (`do_sample`, `max_length` without `max_new_tokens`, transformers' `top_k`
 * 50 when sampling, parameters of enabled samplers), in chain order. A
 * configuration that is not resolved yet is resolved over the defaults.
 */
export function explain(config: ResolvedGenerationConfig | GenerationConfigInput = {}): ExplainRow[] {
  const { values: v, sources } = isResolvedConfig(config) ? config : resolveConfig(config);
  const ineffective = new Map(ineffectiveFields(v).map((n) => [n.field, n.message]));
  const effective = (f: CanonicalField): boolean =>
    isNonDefault(f, v[f]) && !ineffective.has(f) && (!FIELD_INFO[f].samplingOnly || v.do_sample);
  const extra = activeDefaults(v, effective);
  const order = v.samplers ?? DEFAULT_SAMPLER_ORDER;

  const rows = FIELD_NAMES.filter((f) => sources[f] !== 'default' || extra.has(f)).map((field): ExplainRow => {
    const info = FIELD_INFO[field];
    const dynamic = field === 'temperature' && v.dynatemp_range > 0;
    const notes = [
      dynamic ? 'centre of the dynamic temperature range (llama.cpp temp_ext replaces the temperature warper)' : info.note,
      sources[field] === 'default' ? extra.get(field) : isNonDefault(field, v[field]) ? undefined : 'the default value',
      ineffective.get(field),
    ];
    return {
      field,
      value: v[field],
      source: sources[field],
      stage: info.stage,
      implementation: dynamic ? 'llama_sampler_init_temp_ext' : info.implementation,
      semantics: dynamic ? 'llama.cpp' : info.semantics,
      note: notes.filter((n) => n !== undefined).join('; '),
    };
  });

  // Stages 4 and 5 interleave when `samplers` orders them; the JS hook runs right before the first warper.
  const group = (stage: ExplainStage): number => STAGE_ORDER.indexOf(stage === '5. warpers' ? '4. penalties' : stage);
  const firstWarper = order.findIndex((name) => name !== 'penalties' && name !== 'dry');
  const rank = (row: ExplainRow): number => {
    if (row.stage !== '4. penalties' && row.stage !== '5. warpers') return 0;
    if (row.field === 'samplers') return -1;
    if (row.field === 'logits_processor') return (firstWarper < 0 ? order.length : firstWarper) - 0.5;
    const sampler = FIELD_INFO[row.field].sampler;
    const index = sampler === undefined ? -1 : order.indexOf(sampler);
    return index < 0 ? order.length + 1 : index;
  };
  return rows.sort((a, b) =>
    group(a.stage) - group(b.stage) ||
    rank(a) - rank(b) ||
    FIELD_NAMES.indexOf(a.field) - FIELD_NAMES.indexOf(b.field));
}
