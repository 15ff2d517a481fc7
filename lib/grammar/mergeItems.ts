/**
 * The array-item part of an `allOf` merge. `items` means "every element" in a
 * schema without `prefixItems` but "the elements after the prefix" in one
 * with it, so the keywords of two schemas cannot be merged one by one: each
 * side is read as a per-position rule (prefix schemas, then one schema for
 * the rest) and the two rules are intersected position by position.
 */
import { fail, unsupported } from './fail';
import { asSchema, type Schema, type SchemaObject } from './schema';

/** The keywords this module merges. */
export const ITEM_KEYWORDS: readonly string[] = ['prefixItems', 'items', 'additionalItems'];

/** One side's item rule: element i follows `prefix[i]`, or `rest` past the prefix (undefined: any value). */
interface ItemRule {
  prefix: Schema[];
  rest: Schema | undefined;
}

/** The item rule of `schema`, read as the converter reads arrays (2020-12 `prefixItems` or draft-07 tuple `items`). */
function itemRule(schema: SchemaObject): ItemRule {
  const { prefixItems, items, additionalItems } = schema;
  if (prefixItems !== undefined) {
    if (!Array.isArray(prefixItems)) fail('prefixItems must be an array');
    if (Array.isArray(items)) fail('items must be a schema when prefixItems is given');
    if (additionalItems !== undefined) unsupported('additionalItems with prefixItems is');
    return { prefix: prefixItems.map((s) => asSchema(s, 'prefixItems')), rest: items === undefined ? undefined : asSchema(items, 'items') };
  }
  if (Array.isArray(items)) {
    return {
      prefix: items.map((s) => asSchema(s, 'items')),
      rest: additionalItems === undefined ? undefined : asSchema(additionalItems, 'additionalItems'),
    };
  }
  // Without a tuple, draft-07's additionalItems has no effect.
  return { prefix: [], rest: items === undefined ? undefined : asSchema(items, 'items') };
}

/** `a AND b` for subschemas (undefined: no constraint). */
function both(a: Schema | undefined, b: Schema | undefined): Schema | undefined {
  if (a === undefined || a === true) return b;
  if (b === undefined || b === true) return a;
  if (a === false || b === false) return false;
  return { allOf: [a, b] };
}

/**
 * Writes into `out` the item keywords of `a AND b`, as `prefixItems` and
 * `items` (removing the others): element i must satisfy both sides' schema
 * for position i. Does nothing when neither side has item keywords.
 */
export function mergeItems(out: SchemaObject, a: SchemaObject, b: SchemaObject): void {
  const has = (s: SchemaObject): boolean => ITEM_KEYWORDS.some((k) => s[k] !== undefined);
  if (!has(a) && !has(b)) return;
  const left = itemRule(a);
  const right = itemRule(b);
  const at = (rule: ItemRule, i: number): Schema | undefined => (i < rule.prefix.length ? rule.prefix[i] : rule.rest);
  const prefix: Schema[] = [];
  for (let i = 0; i < Math.max(left.prefix.length, right.prefix.length); i++) prefix.push(both(at(left, i), at(right, i)) ?? true);
  const rest = both(left.rest, right.rest);
  for (const key of ITEM_KEYWORDS) delete out[key];
  if (prefix.length > 0) out.prefixItems = prefix;
  if (rest !== undefined) out.items = rest;
}
