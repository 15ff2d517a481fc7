/**
 * Schema merging: `allOf` components and `$ref` targets with sibling keywords
 * become one schema object (the intersection of their constraints).
 */
import { fail, unsupported } from './fail';
import { mergeItems } from './mergeItems';
import { ANNOTATIONS, asSchema, checkKeywords, intersectTypes, jsonEqual, propertiesOf, resolvePointer, schemaTypes, type Schema, type SchemaObject } from './schema';

/**
 * Inlines `$ref` and `allOf` at the top of `schema` (not inside properties or
 * items, which stay lazy so recursive schemas work). Returns `false` if the
 * schema is unsatisfiable.
 */
export function flatten(root: Schema, schema: Schema, refStack: readonly string[] = []): Schema {
  if (typeof schema === 'boolean') return schema;
  checkKeywords(schema, root);
  let rest: Schema = schema;
  if (schema === root && schema.$id !== undefined) {
    rest = { ...schema };
    delete rest.$id;
  }
  const parts: Schema[] = [];
  if (schema.$ref !== undefined) {
    if (typeof schema.$ref !== 'string') fail('$ref must be a string');
    if (refStack.includes(schema.$ref)) unsupported(`$ref cycle through ${schema.$ref} without an enclosing object or array is`);
    parts.push(flatten(root, resolvePointer(root, schema.$ref), [...refStack, schema.$ref]));
    rest = { ...rest };
    delete rest.$ref;
  }
  if (schema.allOf !== undefined) {
    if (!Array.isArray(schema.allOf) || schema.allOf.length === 0) fail('allOf must be a non-empty array');
    for (const part of schema.allOf) parts.push(flatten(root, asSchema(part, 'allOf'), refStack));
    rest = { ...(rest as SchemaObject) };
    delete rest.allOf;
  }
  return parts.reduce<Schema>((acc, part) => merge(acc, part), rest);
}

/** The schema `a AND b` for flattened schemas (no $ref/allOf at the top). */
function merge(a: Schema, b: Schema): Schema {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  const out: SchemaObject = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (!(key in out) || jsonEqual(out[key], value)) {
      out[key] = value;
      continue;
    }
    const mine = out[key];
    switch (key) {
      case 'type': {
        const types = intersectTypes(schemaTypes(a), schemaTypes(b))!;
        if (types.length === 0) return false;
        out.type = types;
        break;
      }
      case 'required':
        out.required = [...new Set([...(mine as string[]), ...(value as string[])])];
        break;
      case 'minLength':
      case 'minItems':
      case 'minimum':
        out[key] = Math.max(mine as number, value as number);
        break;
      case 'maxLength':
      case 'maxItems':
      case 'maximum':
        out[key] = Math.min(mine as number, value as number);
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof mine !== 'number' || typeof value !== 'number') unsupported('draft-04 boolean exclusiveMinimum/exclusiveMaximum in allOf is');
        out[key] = key === 'exclusiveMinimum' ? Math.max(mine, value) : Math.min(mine, value);
        break;
      case 'items':
      case 'prefixItems':
      case 'additionalItems':
        break; // mergeItems, below
      case 'enum':
      case 'const': {
        const left = key === 'enum' ? (mine as unknown[]) : [mine];
        const right = key === 'enum' ? (value as unknown[]) : [value];
        const both = left.filter((v) => right.some((w) => jsonEqual(v, w)));
        if (both.length === 0) return false;
        out[key] = key === 'enum' ? both : both[0];
        break;
      }
      case 'anyOf':
      case 'oneOf': {
        const left = mine as unknown[];
        const right = value as unknown[];
        if (left.length * right.length > 64) unsupported(`${key} in more than one allOf component with more than 64 combinations is`);
        out[key] = left.flatMap((x) => right.map((y) => ({ allOf: [x, y] })));
        break;
      }
      case 'properties':
      case 'additionalProperties':
        break; // below
      default:
        if (ANNOTATIONS.has(key) || key.startsWith('x-')) break;
        unsupported(`allOf with different values of ${key} is`);
    }
  }
  mergeItems(out, a, b);
  if (a.properties !== undefined || b.properties !== undefined || a.additionalProperties !== undefined || b.additionalProperties !== undefined) {
    const propsA = propertiesOf(a);
    const propsB = propertiesOf(b);
    const extraA = a.additionalProperties as Schema | undefined;
    const extraB = b.additionalProperties as Schema | undefined;
    const names = [...new Set([...Object.keys(propsA), ...Object.keys(propsB)])];
    const properties: SchemaObject = {};
    for (const name of names) {
      const sa = Object.hasOwn(propsA, name) ? propsA[name] : extraA;
      const sb = Object.hasOwn(propsB, name) ? propsB[name] : extraB;
      properties[name] = sa === undefined ? sb! : sb === undefined ? sa : sa === false || sb === false ? false : { allOf: [sa, sb] };
    }
    if (names.length > 0) out.properties = properties;
    const extra = extraA === undefined ? extraB : extraB === undefined ? extraA : extraA === false || extraB === false ? false : { allOf: [extraA, extraB] };
    if (extra === undefined) delete out.additionalProperties;
    else out.additionalProperties = extra;
  }
  return out;
}
