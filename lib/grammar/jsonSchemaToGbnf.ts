/**
 * JSON Schema → GBNF conversion: turns a generation config's `json_schema`
 * into a grammar for llama.cpp's grammar sampler, so that sampled text is a
 * JSON document the schema accepts.
 *
 * The approach follows llama.cpp's own converter (common/json-schema-to-grammar.cpp)
 * and grammar conventions (grammars/json.gbnf), with stricter guarantees:
 *
 * - Sound: every string the grammar accepts parses with `JSON.parse` and is
 *   valid under the schema (given the caveats documented on
 *   {@link jsonSchemaToGbnf}, e.g. `oneOf` treated as `anyOf`).
 * - Never looser than the schema: a keyword the converter cannot express
 *   exactly throws `LlamaError('INVALID_ARGUMENT')` instead of being skipped.
 * - Complete up to serialization and a few caps: every valid value has an
 *   accepted serialization (compact or with the bounded whitespace policy,
 *   object keys in schema order, numbers in plain decimal form), unless it
 *   exceeds a documented limit (e.g. more than 16 integer digits).
 * - Only GBNF that llama.cpp's parser accepts: no left recursion, no repetition
 *   of something that can match the empty string, and no repetition count
 *   beyond llama.cpp's limit of 2000 (larger counts are split into chunks).
 */
import { Converter } from './converter/converter';
import { optionalBoolean, optionsObject, show } from '../arguments';
import { fail } from './fail';
import { MAX_GRAMMAR_LENGTH } from './limits';
import { isObject, type Schema } from './schema';

/** Options of {@link jsonSchemaToGbnf}. */
export interface JsonSchemaToGbnfOptions {
  /**
   * Whether `.` in a `pattern` also matches line terminators (`\n`, `\r`,
   * U+2028, U+2029), like the regex `s` flag. Default `false`: JSON Schema
   * patterns are ECMAScript regexes with the `u` flag only, as ajv runs them.
   */
  dotall?: boolean;
}

/**
 * Converts a JSON Schema to a GBNF grammar for llama.cpp's grammar sampler.
 * Every string the grammar's `root` rule matches is a JSON document valid
 * under the schema, and every valid value within the limits below (number
 * digits, keys, bounds beyond ±2^53, a typeless schema's inferred types) has
 * at least one accepted serialization.
 *
 * Supported: `type` (a name or an array of names), `properties`, `required`,
 * `additionalProperties` (when absent: any other key in a schema without
 * `properties`, so `{"type": "object"}` is any object; none in a schema with
 * `properties`, as in llama.cpp), `items`, `prefixItems` (and the draft-07 array
 * form of `items` with `additionalItems`), `minItems`/`maxItems`, `enum`, `const`,
 * `anyOf`, `oneOf` (as alternatives: exclusivity is not enforced), `allOf`
 * (merged, array items position by position; also `$ref` with sibling
 * keywords, and `anyOf` next to other keywords), local `$ref` (`#/$defs/…`,
 * `#/definitions/…`, `#`, any local JSON pointer; recursion allowed), `minLength`/`maxLength` (in code points),
 * `pattern` (ECMAScript syntax with the `u` flag: literals, escapes, classes,
 * `.`, `\d \w \s` and their negations, groups, alternation, greedy or lazy
 * `? * + {m} {m,} {m,n}`, `^`/`$` at the ends of top-level alternatives;
 * unanchored patterns match anywhere in the string, as JSON Schema specifies),
 * `format` `date`, `time`, `date-time`, `uuid` (as ajv-formats checks them: leap
 * years, `t`/`z` in either case, offsets `±hh`, `±hhmm`, `±hh:mm`, any date-time
 * separator it takes, `urn:uuid:`; capped at 9 fraction digits, and leap
 * seconds only at whole-hour offsets) and the numeric `int32`, `int64`,
 * `float`, `double`, and
 * `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum` (draft-04 booleans
 * too) for integers and, with integer-valued bounds, for numbers. Annotations
 * (`title`, `description`, `default`, `examples`, `$comment`, `$defs`, `x-…`,
 * …) are ignored. A schema without `type` gets the types its keywords imply
 * (`properties` → object, `items` → array, …), or any JSON value if none.
 *
 * Serialization (what the grammar accepts of each valid value): whitespace only
 * from the bounded `space` rule (`| " " | "\n" [ \t]{0,20}`), after `{ [ , :`
 * and object keys and before `} ]`, none around the root value; object members
 * in schema order (required ones, then optional ones, then additional ones);
 * numbers in plain decimal form with at most 16 integer and 16 fraction digits
 * (an exponent of at most two digits where no bound applies, fewer fraction
 * digits next to an exclusive bound, so that rounding to a double cannot reach
 * it); integer and number bounds beyond ±2^53 clamped there; strings without
 * raw DEL or escaped surrogates (a character is one code point; raw characters
 * are positive classes of Unicode scalar values, so llama.cpp takes only
 * well-formed UTF-8 for them), and where a
 * `pattern`, `enum` or `const` applies, escaped the way `JSON.stringify`
 * escapes (DEL as `\u007f`); additional property keys without escapes.
 * Alternatives that no finite value satisfies are dropped.
 *
 * @param schema - the JSON Schema (an object, or `true` for any JSON value)
 * @param options - conversion options
 * @returns GBNF grammar text, one rule per line, starting with `root`
 * @throws {@link LlamaError} `INVALID_ARGUMENT` (message `json_schema: …`) for
 * unsupported keywords or pattern syntax (`not`, `if`/`then`/`else`,
 * `patternProperties`, `propertyNames`, `minProperties`/`maxProperties`,
 * `uniqueItems: true`, `contains`, `multipleOf`, `dependentRequired`,
 * `unevaluated*`, `$dynamicRef`, remote `$ref`, other formats, non-integer
 * bounds for `number`, `pattern` with `minLength`/`maxLength`/`format`,
 * lookarounds, backreferences, `\b`, `\p{…}`, anchors inside the pattern,
 * unbounded repetition of what can match the empty string, …), for malformed
 * schemas, for left-recursive `$ref`s, and for schemas that no (finite) value
 * satisfies, such as `false`.
 */
export function jsonSchemaToGbnf(schema: object | boolean, options: JsonSchemaToGbnfOptions = {}): string {
  if (typeof schema !== 'boolean' && !isPlainSchemaObject(schema)) fail(`the schema must be an object or a boolean (plain JSON, not a Date or a Map), got ${show(schema)}`);
  const { dotall } = optionsObject(options, 'jsonSchemaToGbnf options', ['dotall']);
  checkSchemaSize(schema);
  try {
    return new Converter(schema as Schema, optionalBoolean(dotall, 'dotall') ?? false).convert();
  } catch (err) {
    // a schema nested (or, through optional properties, chained) deeper than the JS stack
    if (err instanceof RangeError) fail(`the schema is too large or nested too deeply to convert (${err.message})`);
    throw err;
  }
}

/** A JSON object as `JSON.parse` makes one (not a Date, a Map, a class instance). */
function isPlainSchemaObject(value: unknown): boolean {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Refuses, before converting, a schema whose JSON text is larger than a
 * grammar may be (its values end up in the grammar): a 100,000-value enum
 * used to be converted on the JS thread for seconds only to be refused by
 * the grammar size limit afterwards. Also names a cyclic schema.
 */
function checkSchemaSize(schema: object | boolean): void {
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (err) {
    fail(`the schema cannot be written as JSON (${(err as Error).message})`);
  }
  if (text.length > MAX_GRAMMAR_LENGTH) {
    fail(`the schema's JSON is ${text.length} bytes, more than a grammar may hold (${MAX_GRAMMAR_LENGTH})`);
  }
  const depth = jsonDepth(text);
  if (depth > MAX_SCHEMA_DEPTH) {
    fail(`the schema nests ${depth} levels of objects and arrays; at most ${MAX_SCHEMA_DEPTH} are converted (rule names and the grammar grow with the square of the depth)`);
  }
}

/** Deepest nesting of objects and arrays a schema may have (1,000 levels made a 12 MB grammar in 0.5 s). */
const MAX_SCHEMA_DEPTH = 128;

/** The deepest nesting of `{`/`[` in JSON text, strings skipped. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      max = Math.max(max, ++depth);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}
