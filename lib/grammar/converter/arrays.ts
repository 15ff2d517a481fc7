/**
 * Arrays: prefix items (`prefixItems` or tuple-form `items`), then the
 * remaining items, within `minItems`/`maxItems`.
 */
import { EPSILON, lit, seq, type Expr } from '../expr';
import { fail, Unsatisfiable, unsupported } from '../fail';
import { asSchema, type Schema, type SchemaObject } from '../schema';
import type { Converter } from './converter';

/** The grammar for the arrays `schema` accepts; `name` names the rules it creates. */
export function visitArray(c: Converter, schema: SchemaObject, name: string): Expr {
  let prefixSchemas: Schema[] = [];
  let rest: Schema | undefined; // schema of items after the prefix; undefined = any
  if (schema.prefixItems !== undefined) {
    if (!Array.isArray(schema.prefixItems)) fail('prefixItems must be an array');
    if (Array.isArray(schema.items)) fail('items must be a schema when prefixItems is given');
    if (schema.additionalItems !== undefined) unsupported('additionalItems with prefixItems is');
    prefixSchemas = schema.prefixItems.map((s) => asSchema(s, 'prefixItems'));
    rest = schema.items === undefined ? undefined : asSchema(schema.items, 'items');
  } else if (Array.isArray(schema.items)) {
    // Draft 4-7 tuple form.
    prefixSchemas = schema.items.map((s) => asSchema(s, 'items'));
    rest = schema.additionalItems === undefined ? undefined : asSchema(schema.additionalItems, 'additionalItems');
  } else {
    rest = schema.items === undefined ? undefined : asSchema(schema.items, 'items');
  }
  const minItems = (schema.minItems as number | undefined) ?? 0;
  let maxItems = (schema.maxItems as number | undefined) ?? null;
  if (rest === false) maxItems = maxItems === null ? prefixSchemas.length : Math.min(maxItems, prefixSchemas.length);
  if (maxItems !== null && maxItems < minItems) throw new Unsatisfiable();
  if (prefixSchemas.length === 0 && (rest === undefined || rest === true) && minItems === 0 && maxItems === null) return c.primitive('array');

  const prefix = name === 'root' ? 'item' : `${name}-item`;
  // Elements that can never be produced cap the length.
  const prefixExprs: Expr[] = [];
  for (let i = 0; i < prefixSchemas.length && (maxItems === null || i < maxItems); i++) {
    try {
      prefixExprs.push(c.named(`${prefix}-${i}`, c.visit(prefixSchemas[i]!, `${prefix}-${i}`)));
    } catch (err) {
      if (!(err instanceof Unsatisfiable)) throw err;
      maxItems = i;
      break;
    }
  }
  let restExpr: Expr | undefined;
  if (maxItems === null || maxItems > prefixExprs.length) {
    try {
      restExpr = rest === undefined ? c.primitive('value') : c.named(prefix, c.visit(rest, prefix));
    } catch (err) {
      if (!(err instanceof Unsatisfiable)) throw err;
      maxItems = prefixExprs.length;
    }
  }
  if (maxItems !== null && maxItems < minItems) throw new Unsatisfiable();

  const comma = (e: Expr): Expr => seq(lit(','), c.space, e);
  // elements(i): the elements from index i on (i > 0: each preceded by a comma), given min/max.
  const elements = (i: number): Expr => {
    if (maxItems !== null && i >= maxItems) return EPSILON;
    if (i < prefixExprs.length) {
      const item = i === 0 ? prefixExprs[0]! : comma(prefixExprs[i]!);
      const here = seq(item, elements(i + 1));
      return i < minItems || i === 0 ? here : c.opt(here, `${prefix}-from-${i}`);
    }
    if (!restExpr) return EPSILON;
    const minRest = Math.max(0, minItems - i);
    const maxRest = maxItems === null ? null : maxItems - i;
    if (i === 0) {
      return seq(restExpr, c.rep(comma(restExpr), Math.max(0, minRest - 1), maxRest === null ? null : maxRest - 1, `${prefix}-rest`));
    }
    return c.rep(comma(restExpr), minRest, maxRest, `${prefix}-rest`);
  };
  const open = seq(lit('['), c.space);
  const close = lit(']');
  if (maxItems === 0) return seq(open, close);
  const content = seq(elements(0), c.space);
  return minItems === 0 ? seq(open, c.opt(content, `${prefix}s`), close) : seq(open, content, close);
}
