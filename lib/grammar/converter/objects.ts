/**
 * Objects: required members, then optional ones, then additional ones, each
 * kind in schema order.
 */
import { complementSet, intersectSets, normalizeSet, RAW_STRING_SET, setHas } from '../charset';
import { alt, cls, cpsOf, EPSILON, lit, ref, seq, type Expr } from '../expr';
import { Unsatisfiable } from '../fail';
import type { RuleSet } from '../rules';
import { asSchema, jsonText, propertiesOf, type Schema, type SchemaObject } from '../schema';
import type { Converter } from './converter';

/** The grammar for the objects `schema` accepts; `name` names the rules it creates. */
export function visitObject(c: Converter, schema: SchemaObject, name: string): Expr {
  const declared = propertiesOf(schema);
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const extraSchema = additionalOf(schema);
  const prefix = name === 'root' ? '' : `${name}-`;

  const entries: [string, Schema][] = [];
  for (const [key, value] of Object.entries(declared)) {
    if (value === false) {
      if (required.has(key)) throw new Unsatisfiable();
      continue; // forbidden: simply never produced
    }
    entries.push([key, value]);
  }
  // Required names that are not declared: their value follows additionalProperties (any value when not given).
  const given = schema.additionalProperties === undefined ? true : extraSchema;
  for (const key of required) {
    if (Object.hasOwn(declared, key)) continue;
    if (given === false) throw new Unsatisfiable();
    entries.push([key, given]);
  }
  // Every declared name (forbidden ones included) is off limits to additional properties.
  const declaredNames = [...new Set([...Object.keys(declared), ...entries.map(([k]) => k)])];
  if (declaredNames.length === 0 && extraSchema === true) return c.primitive('object');

  const kv = (key: string, value: Schema): Expr => {
    const valueExpr = c.named(`${prefix}${key}`, c.visit(value, `${prefix}${key}`));
    return ref(c.addRule(`${prefix}${key}-kv`, seq(lit(jsonText(key)), c.space, lit(':'), c.space, valueExpr)));
  };
  const requiredKvs: Expr[] = [];
  const optionalKvs: Expr[] = [];
  for (const [key, value] of entries) {
    if (required.has(key)) requiredKvs.push(kv(key, value));
    else {
      try {
        optionalKvs.push(kv(key, value));
      } catch (err) {
        if (!(err instanceof Unsatisfiable)) throw err; // an optional property that can never hold a value is left out
      }
    }
  }
  let additionalKv: Expr | undefined;
  if (extraSchema !== false) {
    const valueName = `${prefix}additional-value`;
    try {
      const valueExpr = extraSchema === true ? c.primitive('value') : c.named(valueName, c.visit(extraSchema, valueName));
      const keyExpr = declaredNames.length === 0 ? c.primitive('string') : c.named(`${prefix}additional-key`, otherKey(c, declaredNames));
      additionalKv = ref(c.addRule(`${prefix}additional-kv`, seq(keyExpr, c.space, lit(':'), c.space, valueExpr)));
    } catch (err) {
      if (!(err instanceof Unsatisfiable)) throw err; // no value fits: no additional members
    }
  }

  const open = seq(lit('{'), c.space);
  const close = lit('}');
  const comma = (e: Expr): Expr => seq(lit(','), c.space, e);
  const moreAdditional = additionalKv ? c.rep(comma(additionalKv), 0, null, `${prefix}additional-rest`) : EPSILON;

  if (requiredKvs.length > 0) {
    const body = seq(
      open,
      requiredKvs[0]!,
      ...requiredKvs.slice(1).map(comma),
      ...optionalKvs.map((e, i) => c.opt(comma(e), `${prefix}opt-${i}`)),
      moreAdditional,
      c.space,
      close,
    );
    return body;
  }
  if (optionalKvs.length === 0 && !additionalKv) return seq(open, close);
  // All optional: whichever member comes first has no comma before it.
  // tail(i) = the members after the i-th, each optional, in order.
  const tails: Expr[] = [];
  let tail = moreAdditional;
  for (let i = optionalKvs.length - 1; i >= 0; i--) {
    tails[i] = tail;
    const next = seq(c.opt(comma(optionalKvs[i]!), `${prefix}opt-${i}`), tail);
    tail = i > 0 && optionalKvs.length - i > 1 ? c.named(`${prefix}rest-${i}`, next) : next;
  }
  const firsts = optionalKvs.map((e, i) => seq(e, tails[i]!));
  if (additionalKv) firsts.push(seq(additionalKv, moreAdditional));
  return seq(open, c.opt(seq(alt(...firsts), c.space), `${prefix}members`), close);
}

/**
 * The schema of the members not in `properties`: `additionalProperties` when
 * given; otherwise any value when there is no `properties` keyword (so
 * `{"type": "object"}` is any object, as in JSON Schema and llama.cpp), and
 * none when there is (llama.cpp's choice: a schema that lists its properties
 * gets objects with those only; JSON Schema would allow any other key, so
 * this is narrower, never looser).
 */
function additionalOf(schema: SchemaObject): Schema {
  const extra = schema.additionalProperties;
  if (extra !== undefined) return asSchema(extra, 'additionalProperties');
  return schema.properties === undefined;
}

/**
 * A JSON object key (with quotes) other than `names`. Keys are limited to
 * unescaped characters so that a differently escaped spelling of a declared
 * name cannot slip through.
 */
function otherKey(c: RuleSet, names: string[]): Expr {
  interface Node {
    terminal: boolean;
    children: Map<number, Node>;
  }
  const trie: Node = { terminal: false, children: new Map() };
  for (const name of names) {
    const cps = cpsOf(name);
    if (cps.some((cp) => !setHas(RAW_STRING_SET, cp))) continue; // cannot be spelled without escapes anyway
    let node = trie;
    for (const cp of cps) {
      let child = node.children.get(cp);
      if (!child) node.children.set(cp, (child = { terminal: false, children: new Map() }));
      node = child;
    }
    node.terminal = true;
  }
  const keyChar = cls(RAW_STRING_SET);
  const build = (node: Node): Expr => {
    if (node.children.size === 0) return node.terminal ? c.rep(keyChar, 1, null, 'key-char') : c.rep(keyChar, 0, null, 'key-char');
    const parts: Expr[] = [];
    if (!node.terminal) parts.push(EPSILON);
    const childCps = [...node.children.keys()].sort((a, b) => a - b);
    for (const cp of childCps) parts.push(seq({ k: 'lit', cps: [cp] }, build(node.children.get(cp)!)));
    const others = intersectSets(RAW_STRING_SET, complementSet(normalizeSet(childCps.map((cp) => [cp, cp]))));
    parts.push(seq(cls(others), c.rep(keyChar, 0, null, 'key-char')));
    return alt(...parts);
  };
  return seq(lit('"'), build(trie), lit('"'));
}
