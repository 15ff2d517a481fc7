/**
 * Fields that do nothing in the resolved configuration, like transformers'
 * validate() warnings ("`do_sample` is false, so `temperature` has no
 * effect"). They are returned, never thrown.
 */
import { outlineSampling } from './chain';
import { show } from './checks';
import { isNonDefault } from './defaults';
import type { CanonicalField, GenerationSources, GenerationValues } from './fields';

/** A field that has no effect, and why. */
export interface FieldNote {
  /** The field. */
  readonly field: CanonicalField;
  /** "`cause`, so `field` (value) has no effect...". */
  readonly message: string;
}

/**
 * Every field set to a non-default value that has no effect with the other
 * values, whatever layer set it (explain() shows them all). Whether the
 * penalty and warper stages and the draw read a field is the chain's own rule
 * (outlineSampling); the rest act outside the chain.
 */
export function ineffectiveFields(v: GenerationValues): FieldNote[] {
  const notes = new Map<CanonicalField, string>();
  const note = (fields: readonly CanonicalField[], cause: string, hint: (field: CanonicalField) => string = () => ''): void => {
    for (const field of fields) {
      if (notes.has(field) || !isNonDefault(field, v[field])) continue;
      notes.set(field, `${cause}, so \`${field}\` (${show(v[field])}) has no effect${hint(field)}`);
    }
  };
  for (const { fields, cause, hint } of outlineSampling(v).unread) note(fields, cause, hint);
  if (v.num_beams === 1) note(['length_penalty', 'early_stopping'], '`num_beams` is 1', () => ' (beam search only)');
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
