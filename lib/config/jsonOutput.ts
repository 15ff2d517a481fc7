/**
 * The rules of the JSON output options: `json_schema`, and OpenAI's
 * `response_format`, an alias of `json_schema` whose value is read into one:
 * `{type: 'json_object'}` is the schema of any object, `{type: 'json_schema',
 * json_schema: {schema}}` that schema, `{type: 'text'}` no schema (`null`,
 * the default). Everything downstream (the grammar, the sampler plan) sees
 * `json_schema` only.
 */
import { invalidArgument } from '../errors';
import { fail, isPlainObject, nonEmptyString, show } from './checks';
import type { JsonSchema } from './fields';

/** A JSON Schema, deep-copied and frozen. */
export function jsonSchema(v: unknown, name: string): JsonSchema {
  if (typeof v === 'boolean') return v;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(name, 'be a JSON Schema object or a boolean', v);
  try {
    return deepFreeze(structuredClone(v) as Record<string, unknown>);
  } catch (err) {
    // nested deeper than the JS stack, or not cloneable (functions, symbols)
    throw invalidArgument(`${name} cannot be used: ${err instanceof RangeError ? 'nested too deeply' : (err as Error).message}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The schema `{type: 'json_object'}` stands for: any JSON object. */
export const JSON_OBJECT_SCHEMA: JsonSchema = Object.freeze({ type: 'object' });

const TYPES = ['text', 'json_object', 'json_schema'];

/** Throws for keys of `value` not in `known`, naming `where`. */
function onlyKeys(value: Record<string, unknown>, known: readonly string[], where: string): void {
  const extra = Object.keys(value).find((key) => !known.includes(key) && value[key] !== undefined);
  if (extra !== undefined) throw invalidArgument(`${where} has an unknown key '${extra}' (known: ${known.join(', ')})`);
}

/**
 * OpenAI's `response_format` as the `json_schema` it stands for (`null` for
 * `{type: 'text'}`). In `{type: 'json_schema', json_schema: {name, description,
 * schema, strict}}` only `schema` acts (absent: any JSON value, as in
 * llama-server); the output always follows it, `strict` or not.
 */
export function responseFormat(v: unknown, name: string): JsonSchema | null {
  if (!isPlainObject(v)) fail(name, "be an object such as { type: 'json_object' }", v);
  if (!TYPES.includes(v.type as string)) fail(`${name}.type`, `be one of ${TYPES.map((t) => `'${t}'`).join(', ')}`, v.type);
  if (v.type !== 'json_schema') {
    onlyKeys(v, ['type'], name);
    return v.type === 'json_object' ? JSON_OBJECT_SCHEMA : null;
  }
  onlyKeys(v, ['type', 'json_schema'], name);
  const where = `${name}.json_schema`;
  const spec = v.json_schema;
  if (!isPlainObject(spec)) fail(where, 'be an object { name, schema, strict }', spec);
  onlyKeys(spec, ['name', 'description', 'schema', 'strict'], where);
  if (spec.name !== undefined) nonEmptyString(`${where}.name`, spec.name);
  if (spec.description !== undefined && typeof spec.description !== 'string') fail(`${where}.description`, 'be a string', spec.description);
  if (spec.strict !== undefined && spec.strict !== null && typeof spec.strict !== 'boolean') fail(`${where}.strict`, 'be a boolean', spec.strict);
  if (spec.schema === undefined) return Object.freeze({});
  if (spec.schema === null) throw invalidArgument(`${where}.schema must be a JSON Schema object or a boolean, got ${show(null)}`);
  return jsonSchema(spec.schema, `${where}.schema`);
}

/** The `json_schema` rule: a schema, or (written `response_format`) the schema a response format stands for. */
export function jsonSchemaOrResponseFormat(v: unknown, name: string): JsonSchema | null {
  return name === 'response_format' ? responseFormat(v, name) : jsonSchema(v, name);
}
