/**
 * The converter's core: walks a schema, dispatching on `$ref`, `anyOf`/`oneOf`,
 * `enum`/`const` and each type to the modules beside this one, and builds the
 * rules of the grammar (see {@link RuleSet}).
 */
import { alt, ref, type Expr } from '../expr';
import { fail, Unsatisfiable } from '../fail';
import { finalize } from '../finalize';
import { flatten } from '../merge';
import { RuleSet } from '../rules';
import { ANNOTATIONS, ARRAY_KEYWORDS, asSchema, checkKeywords, NUMBER_KEYWORDS, OBJECT_KEYWORDS, resolvePointer, schemaTypes, STRING_KEYWORDS, type JsonType, type Schema, type SchemaObject } from '../schema';
import { visitArray } from './arrays';
import { visitEnum } from './enum';
import { visitNumber } from './numbers';
import { visitObject } from './objects';
import { visitString } from './strings';

/** Converts one schema (see `jsonSchemaToGbnf`). */
export class Converter extends RuleSet {
  private readonly refNames = new Map<string, string>();
  private readonly unsatisfiableRefs = new Set<string>();

  constructor(
    /** The schema being converted, which `#` refs point into. */
    readonly root: Schema,
    /** Whether `.` in a `pattern` also matches line terminators. */
    readonly dotall: boolean,
  ) {
    super();
  }

  /** The grammar text; throws `INVALID_ARGUMENT` if the schema cannot be converted. */
  convert(): string {
    let body: Expr;
    try {
      body = this.visit(this.root, '');
    } catch (err) {
      if (err instanceof Unsatisfiable) fail('the schema admits no value');
      throw err;
    }
    this.rules.set('root', body);
    return finalize(this.rules);
  }

  /** A reference to the rule of the local `$ref` `pointer`, built on first use (so recursion works). */
  private refRule(pointer: string): Expr {
    const known = this.refNames.get(pointer);
    if (known !== undefined) return ref(known);
    if (this.unsatisfiableRefs.has(pointer)) throw new Unsatisfiable();
    const target = resolvePointer(this.root, pointer);
    const segments = pointer.split('/');
    const name = this.freshName(pointer === '#' ? 'root-ref' : (segments[segments.length - 1] ?? 'ref'));
    this.rules.set(name, null);
    this.refNames.set(pointer, name);
    let body: Expr;
    try {
      body = this.visit(target, name);
    } catch (err) {
      // Unsatisfiable target: forget the rule (references to it are unreachable).
      this.rules.delete(name);
      this.reserved.add(name);
      this.refNames.delete(pointer);
      if (err instanceof Unsatisfiable) this.unsatisfiableRefs.add(pointer);
      throw err;
    }
    this.rules.set(name, body);
    return ref(name);
  }

  /** The grammar expression for `schema`; `name` names the rules it creates. */
  visit(input: Schema, name: string): Expr {
    if (input === true) return this.primitive('value');
    if (input === false) throw new Unsatisfiable();
    checkKeywords(input, this.root);
    const hint = name || 'root';

    // A plain $ref (annotations aside) becomes a rule reference, which allows recursion.
    if (input.$ref !== undefined && Object.keys(input).every((k) => k === '$ref' || ANNOTATIONS.has(k) || k.startsWith('x-'))) {
      if (typeof input.$ref !== 'string') fail('$ref must be a string');
      return this.refRule(input.$ref);
    }

    const schema = flatten(this.root, input);
    if (schema === true) return this.primitive('value');
    if (schema === false) throw new Unsatisfiable();

    for (const key of ['anyOf', 'oneOf'] as const) {
      const alternatives = schema[key];
      if (alternatives === undefined) continue;
      const rest: SchemaObject = { ...schema };
      delete rest[key];
      const restIsEmpty = Object.keys(rest).every((k) => ANNOTATIONS.has(k) || k.startsWith('x-') || (k === '$id' && schema === this.root));
      const options: Expr[] = [];
      (alternatives as unknown[]).forEach((alternative, i) => {
        const altSchema = asSchema(alternative, key);
        try {
          const body = restIsEmpty ? this.visit(altSchema, `${hint}-${i}`) : this.visit({ allOf: [rest, altSchema] }, `${hint}-${i}`);
          options.push(this.named(`${hint}-${i}`, body));
        } catch (err) {
          if (!(err instanceof Unsatisfiable)) throw err;
        }
      });
      if (options.length === 0) throw new Unsatisfiable();
      return alt(...options);
    }

    if (schema.enum !== undefined || schema.const !== undefined) return visitEnum(this, schema, hint);

    let types = schemaTypes(schema);
    if (types === undefined) {
      // Without `type`, infer it from the keywords (like llama.cpp): narrower than
      // JSON Schema (which would accept any other type), never looser.
      const inferred: JsonType[] = [];
      const has = (keys: string[]): boolean => keys.some((k) => schema[k] !== undefined);
      if (has(OBJECT_KEYWORDS)) inferred.push('object');
      if (has(ARRAY_KEYWORDS.filter((k) => k !== 'uniqueItems'))) inferred.push('array');
      if (has(STRING_KEYWORDS)) inferred.push('string');
      if (has(NUMBER_KEYWORDS)) inferred.push('number');
      if (inferred.length === 0) return this.primitive('value');
      types = inferred;
    }
    if (types.includes('number')) types = types.filter((t) => t !== 'integer');
    if (types.length === 0) throw new Unsatisfiable();
    const options: Expr[] = [];
    for (const type of types) {
      try {
        const body = this.visitType(schema, type, types.length > 1 ? `${hint}-${type}` : hint);
        options.push(types.length > 1 ? this.named(`${hint}-${type}`, body) : body);
      } catch (err) {
        if (!(err instanceof Unsatisfiable)) throw err;
      }
    }
    if (options.length === 0) throw new Unsatisfiable();
    return alt(...options);
  }

  /** The grammar expression for the values of `schema` of type `type`. */
  private visitType(schema: SchemaObject, type: JsonType, name: string): Expr {
    switch (type) {
      case 'object':
        return visitObject(this, schema, name);
      case 'array':
        return visitArray(this, schema, name);
      case 'string':
        return visitString(this, schema, name);
      case 'number':
      case 'integer':
        return visitNumber(this, schema, type === 'integer', name);
      case 'boolean':
        return this.primitive('boolean');
      case 'null':
        return this.primitive('null');
    }
  }
}
