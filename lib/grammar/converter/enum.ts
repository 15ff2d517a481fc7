/**
 * `enum` and `const`: the listed values that meet the schema's other
 * keywords, each spelled out as a literal JSON text.
 */
import { alt, cpsOf, EPSILON, lit, seq, type Expr } from '../expr';
import { fail, Unsatisfiable, unsupported } from '../fail';
import { formatCheck, NUMBER_FORMATS, STRING_FORMATS } from '../formats';
import { RegexParser } from '../regex';
import type { RuleSet } from '../rules';
import { ANNOTATIONS, ARRAY_KEYWORDS, hasType, jsonEqual, jsonText, NUMBER_KEYWORDS, OBJECT_KEYWORDS, schemaTypes, STRING_KEYWORDS, type Json, type SchemaObject } from '../schema';
import type { Converter } from './converter';

/** The grammar for the `enum`/`const` values of `schema` that meet its other keywords. */
export function visitEnum(c: Converter, schema: SchemaObject, name: string): Expr {
  let values = (schema.enum as Json[] | undefined) ?? [schema.const as Json];
  if (schema.enum !== undefined && schema.const !== undefined) values = values.filter((v) => jsonEqual(v, schema.const));
  const types = schemaTypes(schema);
  values = values.filter((v) => (types === undefined || types.some((t) => hasType(v, t))) && satisfies(schema, v, c.dotall));
  if (values.length === 0) throw new Unsatisfiable();
  const options = values.map((v) => constant(c, v));
  const body = alt(...options);
  return options.length > 1 && name !== 'root' ? c.named(name, body) : body;
}

/** Checks the keywords besides type/enum/const for an enum value. */
function satisfies(schema: SchemaObject, value: Json, dotall: boolean): boolean {
  for (const key of Object.keys(schema)) {
    if (['type', 'enum', 'const', '$id'].includes(key) || ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
    if (typeof value === 'string') {
      if (!STRING_KEYWORDS.includes(key)) continue;
      const length = cpsOf(value).length;
      if (key === 'minLength' && length < (schema.minLength as number)) return false;
      if (key === 'maxLength' && length > (schema.maxLength as number)) return false;
      if (key === 'pattern') {
        if (typeof schema.pattern !== 'string') fail('pattern must be a string');
        // Validate our way too, so unsupported pattern syntax is still reported.
        new RegexParser(schema.pattern, dotall).parse();
        if (!new RegExp(schema.pattern, dotall ? 'us' : 'u').test(value)) return false;
      }
      if (key === 'format' && !NUMBER_FORMATS.includes(schema.format as string) && !formatCheck(schema.format)(value)) return false;
    } else if (typeof value === 'number') {
      if (key === 'format') {
        const format = schema.format;
        if (format === 'int32' && !(Number.isInteger(value) && value >= -(2 ** 31) && value <= 2 ** 31 - 1)) return false;
        if (format === 'int64' && !Number.isInteger(value)) return false;
        if (!NUMBER_FORMATS.includes(format as string) && !(STRING_FORMATS as readonly unknown[]).includes(format)) {
          unsupported(`format ${JSON.stringify(format)} for numbers is`);
        }
        continue;
      }
      if (!NUMBER_KEYWORDS.includes(key)) continue;
      const bound = schema[key];
      if (typeof bound === 'boolean') unsupported('draft-04 boolean exclusiveMinimum/exclusiveMaximum with enum is');
      const b = bound as number;
      if ((key === 'minimum' && value < b) || (key === 'maximum' && value > b)) return false;
      if ((key === 'exclusiveMinimum' && value <= b) || (key === 'exclusiveMaximum' && value >= b)) return false;
    } else if (value !== null && typeof value === 'object') {
      const kind = Array.isArray(value) ? ARRAY_KEYWORDS : OBJECT_KEYWORDS;
      if (kind.includes(key) && !(key === 'uniqueItems' && schema[key] === false)) unsupported(`enum/const combined with ${key} is`);
    }
  }
  return true;
}

/** A JSON value with the same whitespace policy as the rest of the grammar. */
function constant(c: RuleSet, value: Json): Expr {
  if (Array.isArray(value)) {
    if (value.length === 0) return seq(lit('['), c.space, lit(']'));
    const items = value.map((v, i) => (i === 0 ? constant(c, v) : seq(lit(','), c.space, constant(c, v))));
    return seq(lit('['), c.space, ...items, c.space, lit(']'));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return seq(lit('{'), c.space, lit('}'));
    const items = entries.map(([k, v], i) =>
      seq(i === 0 ? EPSILON : seq(lit(','), c.space), lit(jsonText(k)), c.space, lit(':'), c.space, constant(c, v)),
    );
    return seq(lit('{'), c.space, ...items, c.space, lit('}'));
  }
  return lit(jsonText(value));
}
