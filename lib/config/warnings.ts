/**
 * Fields that do nothing in the resolved configuration, like transformers'
 * validate() warnings ("`do_sample` is false, so `temperature` has no
 * effect"). They are returned, never thrown.
 */
import { show } from './checks';
import { isNonDefault } from './defaults';
import type { CanonicalField, GenerationSources, GenerationValues, SamplerName } from './fields';
import { FIELD_INFO, FIELD_NAMES } from './meta';

/** A field that has no effect, and why. */
export interface FieldNote {
  /** The field. */
  readonly field: CanonicalField;
  /** "`cause`, so `field` (value) has no effect...". */
  readonly message: string;
}

const PENALTY_FIELDS: readonly CanonicalField[] = ['repeat_penalty', 'frequency_penalty', 'presence_penalty'];
/** Warper fields that do not run with Mirostat. */
const MIROSTAT_SKIPS = FIELD_NAMES.filter((f) => FIELD_INFO[f].samplingOnly && FIELD_INFO[f].stage === '5. warpers' && FIELD_INFO[f].sampler !== 'temperature');
const DRY_FIELDS: readonly CanonicalField[] = ['dry_base', 'dry_allowed_length', 'dry_penalty_last_n', 'dry_sequence_breakers'];

/**
 * Every field set to a non-default value that has no effect with the other
 * values, whatever layer set it (explain() shows them all).
 */
export function ineffectiveFields(v: GenerationValues): FieldNote[] {
  const notes = new Map<CanonicalField, string>();
  const note = (fields: readonly CanonicalField[], cause: string, hint = ''): void => {
    for (const field of fields) {
      if (notes.has(field) || !isNonDefault(field, v[field])) continue;
      notes.set(field, `${cause}, so \`${field}\` (${show(v[field])}) has no effect${hint}`);
    }
  };
  const notListed = (sampler: SamplerName): boolean => v.samplers !== undefined && !v.samplers.includes(sampler);
  const bySampler = (sampler: SamplerName): CanonicalField[] => FIELD_NAMES.filter((f) => FIELD_INFO[f].sampler === sampler);

  if (!v.do_sample) {
    for (const field of FIELD_NAMES.filter((f) => FIELD_INFO[f].samplingOnly)) {
      note([field], '`do_sample` is false', ` (greedy decoding takes the most likely token); set do_sample: true or unset ${field}`);
    }
  } else {
    for (const sampler of ['temperature', 'top_k', 'top_p', 'min_p', 'typ_p', 'epsilon', 'eta', 'tfs_z', 'top_n_sigma', 'xtc', 'adaptive_p'] as const) {
      if (notListed(sampler)) note(bySampler(sampler), `\`samplers\` does not list '${sampler}'`);
    }
    if (v.mirostat === 0) note(['mirostat_tau', 'mirostat_eta'], '`mirostat` is 0');
    else note(MIROSTAT_SKIPS, `\`mirostat\` is ${v.mirostat}`, ' (as in llama.cpp, Mirostat replaces the warpers except temperature)');
    if (v.xtc_probability === 0) note(['xtc_threshold'], '`xtc_probability` is 0');
    else if (v.xtc_threshold > 0.5) note(['xtc_probability'], '`xtc_threshold` is above 0.5, which disables XTC');
    if (v.dynatemp_range === 0) note(['dynatemp_exponent'], '`dynatemp_range` is 0');
    if (v.adaptive_target < 0) note(['adaptive_decay'], '`adaptive_target` is -1');
  }
  if (notListed('penalties')) note([...PENALTY_FIELDS, 'penalty_last_n'], "`samplers` does not list 'penalties'");
  if (v.penalty_last_n === 0) note(PENALTY_FIELDS, '`penalty_last_n` is 0');
  if (notListed('dry')) note(['dry_multiplier', ...DRY_FIELDS], "`samplers` does not list 'dry'");
  if (v.dry_multiplier === 0) note(DRY_FIELDS, '`dry_multiplier` is 0');
  if (v.dry_penalty_last_n === 0) note(['dry_multiplier'], '`dry_penalty_last_n` is 0');
  if (v.num_beams === 1) note(['length_penalty', 'early_stopping'], '`num_beams` is 1', ' (beam search only)');
  if (!v.grammar_lazy) note(['grammar_trigger_words', 'grammar_trigger_patterns'], '`grammar_lazy` is false');
  if (!v.return_dict_in_generate && v.output_scores) note(['output_scores'], '`return_dict_in_generate` is false');
  if (!v.return_dict_in_generate && v.output_logits) note(['output_logits'], '`return_dict_in_generate` is false');
  return [...notes].map(([field, message]) => ({ field, message }));
}

/**
 * The warnings of a resolved configuration: fields with no effect that a call
 * or a generation_config.json set. Fields from the model's GGUF metadata are
 * recommendations, not mistakes, so they do not warn.
 */
export function collectWarnings(v: GenerationValues, sources: GenerationSources): string[] {
  const warnings = ineffectiveFields(v)
    .filter(({ field }) => sources[field] === 'call' || sources[field] === 'generation_config')
    .map(({ message }) => message);
  // transformers warns here too (and stops at max_length): it is not an error there.
  if (v.max_new_tokens === undefined && v.min_length > v.max_length) {
    warnings.push(`min_length (${v.min_length}) is larger than max_length (${v.max_length}): generation stops at max_length`);
  }
  return warnings;
}
