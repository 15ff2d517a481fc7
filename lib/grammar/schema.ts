/**
 * JSON Schema inspection: the schema and JSON value types, the keyword
 * lists, validation of keyword values, JSON equality and local `$ref`
 * resolution.
 */
import { fail, unsupported } from './fail';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type SchemaObject = { [key: string]: unknown };
export type Schema = boolean | SchemaObject;

/** Keywords without effect on validation. */
export const ANNOTATIONS = new Set([
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$defs',
  'definitions',
  'contentEncoding',
  'contentMediaType',
]);
export const OBJECT_KEYWORDS = ['properties', 'required', 'additionalProperties'];
export const ARRAY_KEYWORDS = ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems'];
export const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern', 'format'];
export const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const STRUCTURE_KEYWORDS = ['type', 'enum', 'const', '$ref', 'allOf', 'anyOf', 'oneOf'];
const SUPPORTED = new Set([...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS, ...STRING_KEYWORDS, ...NUMBER_KEYWORDS, ...STRUCTURE_KEYWORDS]);
const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
export type JsonType = (typeof TYPES)[number];

/** Whether `value` is a JSON object (not null, not an array). */
export function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values (object key order aside). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && jsonEqual((a as SchemaObject)[k], (b as SchemaObject)[k]));
}

function isJson(value: unknown, depth = 0): value is Json {
  if (depth > 1000) return false;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (isObject(value)) return Object.values(value).every((v) => isJson(v, depth + 1));
  return false;
}

/** JSON text as our grammars spell it: `JSON.stringify`, with DEL escaped (never raw, as in llama.cpp's `char`). */
export function jsonText(value: Json): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007f');
}

function typeOfValue(value: Json): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'object' | 'string' | 'boolean';
}

function nonNegativeInteger(schema: SchemaObject, key: string): number | undefined {
  const value = schema[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(`${key} must be a non-negative integer`);
  return value;
}

function finiteNumber(schema: SchemaObject, key: string): number | undefined {
  const value = schema[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${key} must be a finite number`);
  return value;
}

/** The distinct names in `type`, if present; throws for unknown names. */
export function schemaTypes(schema: SchemaObject): JsonType[] | undefined {
  const type = schema.type;
  if (type === undefined) return undefined;
  const list = Array.isArray(type) ? type : [type];
  for (const t of list) {
    if (typeof t !== 'string' || !(TYPES as readonly string[]).includes(t)) fail(`unknown type ${JSON.stringify(t)}`);
  }
  return [...new Set(list as JsonType[])];
}

/** The types both lists allow (`integer` where one allows `number` and the other `integer`); undefined means any. */
export function intersectTypes(a: JsonType[] | undefined, b: JsonType[] | undefined): JsonType[] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = new Set<JsonType>();
  for (const t of a) {
    if (b.includes(t)) out.add(t);
    else if (t === 'integer' && b.includes('number')) out.add('integer');
    else if (t === 'number' && b.includes('integer')) out.add('integer');
  }
  return [...out];
}

/** Whether `value` has type `t` in the JSON Schema sense. */
export function hasType(value: Json, t: JsonType): boolean {
  const actual = typeOfValue(value);
  return actual === t || (t === 'number' && actual === 'integer');
}

/** `value` as a subschema; `where` names it in the error if it is neither an object nor a boolean. */
export function asSchema(value: unknown, where: string): Schema {
  if (typeof value === 'boolean' || isObject(value)) return value;
  return fail(`${where} must hold schemas (objects or booleans)`);
}

/** The `properties` of `schema` (each checked to be a schema), or none. */
export function propertiesOf(schema: SchemaObject): Record<string, Schema> {
  const props = schema.properties;
  if (props === undefined) return {};
  if (!isObject(props)) fail('properties must be an object');
  for (const [name, value] of Object.entries(props)) asSchema(value, `properties.${name}`);
  return props as Record<string, Schema>;
}

/** Throws for keywords the converter does not support and for malformed keyword values (`$id` is allowed on `root` only). */
export function checkKeywords(schema: SchemaObject, root: Schema): void {
  for (const key of Object.keys(schema)) {
    if (SUPPORTED.has(key) || ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
    if (key === '$id' && schema === root) continue;
    if (key === 'uniqueItems' && schema[key] === false) continue;
    unsupported(`keyword ${key} is`);
  }
  if (schema.required !== undefined && (!Array.isArray(schema.required) || schema.required.some((r) => typeof r !== 'string'))) {
    fail('required must be an array of strings');
  }
  if (schema.enum !== undefined && (!Array.isArray(schema.enum) || !isJson(schema.enum))) fail('enum must be an array of JSON values');
  if (schema.const !== undefined && !isJson(schema.const)) fail('const must be a JSON value');
  for (const key of ['anyOf', 'oneOf']) {
    const value = schema[key];
    if (value !== undefined && (!Array.isArray(value) || value.length === 0)) fail(`${key} must be a non-empty array`);
  }
  for (const key of ['minLength', 'maxLength', 'minItems', 'maxItems']) nonNegativeInteger(schema, key);
  for (const key of ['minimum', 'maximum']) finiteNumber(schema, key);
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (typeof schema[key] !== 'boolean') finiteNumber(schema, key);
  }
  if (schema.uniqueItems === true) unsupported('uniqueItems: true is');
}

/** The subschema of `root` that a local `$ref` (`#` or a JSON pointer such as `#/$defs/Name`) points to. */
export function resolvePointer(root: Schema, pointer: string): Schema {
  if (pointer === '#') return root;
  if (!pointer.startsWith('#/')) unsupported(`$ref ${JSON.stringify(pointer)} (only local refs like #/$defs/Name are)`);
  let node: unknown = root;
  for (const raw of pointer.slice(2).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      fail(`invalid $ref ${JSON.stringify(pointer)}`);
    }
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(segment)) node = node[Number(segment)];
    else if (isObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else fail(`unresolved $ref ${JSON.stringify(pointer)}`);
  }
  if (typeof node !== 'boolean' && !isObject(node)) fail(`$ref ${JSON.stringify(pointer)} does not point to a schema`);
  return node;
}
