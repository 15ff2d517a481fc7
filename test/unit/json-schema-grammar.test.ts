/**
 * json_schema → GBNF. Every grammar is parsed with a llama.cpp-compatible GBNF
 * parser (test/support/gbnf.ts), then checked three ways:
 * - known-valid values (compact and pretty-printed) are accepted,
 * - known-invalid documents are rejected,
 * - random strings generated from the grammar parse with JSON.parse and
 *   validate with ajv against the schema.
 *
 * Set GBNF_DUMP=/path/file.jsonl to write every grammar with the strings it
 * must accept and reject, e.g. to replay them through llama.cpp's own parser.
 */
import { appendFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { LlamaError } from '../../lib/errors';
import { jsonSchemaToGbnf, type JsonSchemaToGbnfOptions } from '../../lib/grammar';
import { checkGrammar } from '../../lib/grammar/gbnf/check';
import { generate, matches, parseGbnf, type Gbnf, type GbnfNode } from '../support/gbnf';
import { mulberry32 } from '../support/random';

const ajv2020 = addFormats(new Ajv2020({ strict: false }));
const ajv07 = addFormats(new Ajv({ strict: false }));

interface Case {
  /** Values that are valid: each must be accepted compact and pretty-printed. */
  valid?: unknown[];
  /** Values ajv rejects: their JSON.stringify must be rejected. */
  invalid?: unknown[];
  /** Raw texts the grammar must reject (invalid JSON, bad whitespace, or outside the accepted serialization). */
  rejected?: string[];
  /** Raw texts the grammar must accept (checked with ajv too). */
  accepted?: string[];
  /** Random samples to draw from the grammar. */
  samples?: number;
  /** Which ajv validates; `false` for schemas ajv cannot take (draft-04 booleans). */
  ajv?: '2020' | '07' | false;
  options?: JsonSchemaToGbnfOptions;
  seed?: number;
}

interface Checked {
  text: string;
  grammar: Gbnf;
  samples: string[];
}

function validator(schema: object | boolean, which: Case['ajv']): ValidateFunction | undefined {
  if (which === false) return undefined;
  return (which === '07' ? ajv07 : ajv2020).compile(schema);
}

function describeErrors(validate: ValidateFunction): string {
  return JSON.stringify(validate.errors);
}

/**
 * Every character class of `grammar` is positive and within the Unicode scalar
 * values: llama.cpp matches a class against whatever value it decodes from the
 * bytes, so a negated class would let through invalid UTF-8 (a lone FF byte,
 * an encoded surrogate), which then decodes to U+FFFD (see
 * test/sampling/json-schema-utf8.test.ts).
 */
function expectScalarClasses(grammar: Gbnf, text: string): void {
  const walk = (n: GbnfNode): void => {
    if (n.t === 'chars') {
      expect(n.neg || n.any, `negated class or . in\n${text}`).toBeFalsy();
      for (const [lo, hi] of n.ranges) expect(hi <= 0x10ffff && (hi < 0xd800 || lo > 0xdfff), `[${lo}-${hi}] in\n${text}`).toBe(true);
    } else if (n.t === 'seq' || n.t === 'alt') n.items.forEach(walk);
    else if (n.t === 'rep') walk(n.item);
  };
  for (const body of grammar.rules.values()) walk(body);
}

/** Converts `schema` and runs every check of `c`; returns the grammar for further checks. */
function check(schema: object | boolean, c: Case = {}): Checked {
  const text = jsonSchemaToGbnf(schema, c.options);
  const grammar = parseGbnf(text);
  expectScalarClasses(grammar, text);
  checkGrammar(text, 'the grammar of json_schema'); // the check every grammar passes before llama.cpp
  const validate = validator(schema, c.ajv ?? '2020');
  const mustAccept: string[] = [...(c.accepted ?? [])];
  const mustReject: string[] = [...(c.rejected ?? [])];
  for (const value of c.valid ?? []) {
    if (validate) expect(validate(value), `${JSON.stringify(value)} should be valid: ${describeErrors(validate)}`).toBe(true);
    // The grammars never produce a raw DEL (like llama.cpp's `char` rule): it is escaped.
    mustAccept.push(JSON.stringify(value).replace(/\u007f/g, '\\u007f'), JSON.stringify(value, null, 2).replace(/\u007f/g, '\\u007f'));
  }
  for (const value of c.invalid ?? []) {
    if (validate) expect(validate(value), `${JSON.stringify(value)} should be invalid`).toBe(false);
    mustReject.push(JSON.stringify(value));
  }
  for (const accepted of c.accepted ?? []) {
    if (validate) expect(validate(JSON.parse(accepted)), `${accepted} should be valid: ${describeErrors(validate)}`).toBe(true);
  }
  for (const input of mustAccept) expect(matches(grammar, input), `grammar should accept ${JSON.stringify(input)}\n${text}`).toBe(true);
  for (const input of mustReject) expect(matches(grammar, input), `grammar should reject ${JSON.stringify(input)}\n${text}`).toBe(false);

  const random = mulberry32(c.seed ?? 1234);
  const samples: string[] = [];
  for (let i = 0; i < (c.samples ?? 60); i++) {
    const sample = generate(grammar, random);
    samples.push(sample);
    let value: unknown;
    try {
      value = JSON.parse(sample);
    } catch (err) {
      throw new Error(`generated text is not JSON: ${JSON.stringify(sample)}\n${text}`, { cause: err });
    }
    if (validate) expect(validate(value), `generated ${JSON.stringify(sample)} is invalid: ${describeErrors(validate)}\n${text}`).toBe(true);
    expect(matches(grammar, sample), `generated ${JSON.stringify(sample)} not matched back`).toBe(true);
  }
  if (process.env.GBNF_DUMP) {
    appendFileSync(process.env.GBNF_DUMP, `${JSON.stringify({ grammar: text, accept: [...mustAccept, ...samples], reject: mustReject })}\n`);
  }
  return { text, grammar, samples };
}

/** The INVALID_ARGUMENT error message of converting `schema`. */
function errorOf(schema: object | boolean, options?: JsonSchemaToGbnfOptions): string {
  try {
    jsonSchemaToGbnf(schema, options);
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
    expect((err as LlamaError).message).toMatch(/^json_schema: /);
    return (err as LlamaError).message;
  }
  throw new Error(`expected ${JSON.stringify(schema)} to be rejected`);
}


/** A `type` schema with random (exclusive) bounds a <= b around 0, at a random power-of-ten scale. */
function randomRangeSchema(random: () => number, type: 'integer' | 'number', maxExponent: number) {
  const scale = 10 ** Math.floor(random() * maxExponent);
  const a = Math.round((random() - 0.5) * 2 * scale);
  const b = a + Math.floor(random() * scale * 2);
  const schema: Record<string, unknown> = { type };
  if (random() < 0.8) schema[random() < 0.5 ? 'minimum' : 'exclusiveMinimum'] = a;
  if (random() < 0.8) schema[random() < 0.5 ? 'maximum' : 'exclusiveMaximum'] = b;
  return { schema, a, b, scale };
}

/** The parsed grammar of `schema`, or undefined when the converter says no value satisfies it. */
function grammarUnlessUnsatisfiable(schema: Record<string, unknown>): Gbnf | undefined {
  try {
    return parseGbnf(jsonSchemaToGbnf(schema));
  } catch (err) {
    expect((err as Error).message).toMatch(/no value/);
    return undefined;
  }
}

describe('jsonSchemaToGbnf: output', () => {
  it('starts with root, uses only llama.cpp rule names, and ends with a newline', () => {
    const text = jsonSchemaToGbnf({ type: 'object', properties: { 'a b': { type: 'string' }, ünï: { type: 'integer' } } });
    expect(text.startsWith('root ::= ')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^[a-zA-Z0-9-]+ ::= /);
    // Pure ASCII: non-ASCII characters are written as escapes.
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
  });

  it('uses the bounded whitespace rule', () => {
    expect(jsonSchemaToGbnf({ type: 'object', properties: { a: { type: 'null' } } })).toContain('space ::= | " " | "\\n" [ \\t]{0,20}\n');
  });

  it('matches llama.cpp conventions for a typical schema', () => {
    const text = jsonSchemaToGbnf({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, age: { type: 'integer', minimum: 0, maximum: 150 } },
      required: ['name', 'age'],
    });
    expect(text).toContain('root ::= "{" space name-kv "," space age-kv space "}"');
    expect(text).toContain('name ::= "\\"" char{1,100} "\\""');
    expect(text).toContain('name-kv ::= "\\"name\\"" space ":" space name');
  });

  it('is deterministic', () => {
    const schema = {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', pattern: '^a+$' },
          { type: 'number', minimum: 3 },
        ],
      },
    };
    expect(jsonSchemaToGbnf(schema)).toBe(jsonSchemaToGbnf(schema));
  });
});

describe('jsonSchemaToGbnf: types', () => {
  it('true and {} accept any JSON value', () => {
    for (const schema of [true, {}, { description: 'anything', title: 'Any', $comment: 'x', 'x-extra': 1 }]) {
      check(schema, {
        valid: [null, true, 0, -1.5e10, 'text', [], {}, [1, 'a', { b: [null] }], { 'k"ey': { nested: [[], {}] } }, 'tab\there', 'emoji 😀'],
        rejected: ['', 'nul', '01', '1.', '.5', '+1', '"unterminated', '"\u0001"', '[1,]', '{"a":1,}', "{'a':1}", 'NaN', ' 1', '1 ', '"\\ud800"'],
        samples: 40,
      });
    }
  });

  it('string', () => {
    check(
      { type: 'string' },
      {
        valid: ['', 'hello', 'quote " and backslash \\', 'new\nline', '\u0000\u001f', 'ünïcödé 中文 😀', '\u2028'],
        invalid: [1, null, true, [], {}],
        accepted: ['"\\u00e9"', '"\\/"', '"\\b\\f\\n\\r\\t"', '"\\u0041\\uFFFF"'],
        rejected: ['"a', 'a"', '"\\x41"', '"\\u12"', '"\u0000"', '"\n"', '"\\ud83d\\ude00"'],
      },
    );
  });

  it('number', () => {
    check(
      { type: 'number' },
      {
        valid: [0, -0.5, 3.14159, 1e21, -2.5e-7, 123456789, 1.7976931348623157e99],
        invalid: ['1', null, true],
        accepted: ['0', '-0', '1.0', '1E5', '1e+05', '-1.25e-3', '1234567890123456'],
        rejected: ['01', '1.', '.1', '+1', '1e', '1e123', '12345678901234567', '0x10', 'Infinity', '- 1'],
      },
    );
  });

  it('integer', () => {
    check(
      { type: 'integer' },
      {
        valid: [0, 7, -42, 9007199254740991],
        invalid: [1.5, '1', null],
        rejected: ['1.0', '1e3', '00', '-', '12345678901234567'],
      },
    );
  });

  it('boolean and null', () => {
    check({ type: 'boolean' }, { valid: [true, false], invalid: [null, 0, 'true'], rejected: ['True', 'tru'] });
    check({ type: 'null' }, { valid: [null], invalid: [false, 0, ''], rejected: ['Null', 'nil'] });
  });

  it('arrays of types', () => {
    check({ type: ['string', 'null'] }, { valid: ['a', null], invalid: [1, true, []] });
    check({ type: ['integer', 'boolean', 'array'], items: { type: 'integer' } }, { valid: [1, false, [1, 2]], invalid: [1.5, 'x', ['a'], null] });
    // number subsumes integer
    check({ type: ['number', 'integer'] }, { valid: [1, 1.5], invalid: ['1'] });
  });

  it('infers the type from the keywords when type is missing', () => {
    check({ properties: { a: { type: 'integer' } }, required: ['a'] }, { valid: [{ a: 1 }], rejected: ['1', '"x"'] });
    check({ items: { type: 'string' } }, { valid: [[], ['x']], rejected: ['{}'] });
    check({ minLength: 2 }, { valid: ['ab'], invalid: ['a'], rejected: ['12'] });
    check({ minimum: 2 }, { valid: [2, 2.5], invalid: [1], rejected: ['"2"'] });
  });
});

describe('jsonSchemaToGbnf: objects', () => {
  const person = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      name: { type: 'string' },
      email: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      address: {
        type: 'object',
        properties: { street: { type: 'string' }, city: { type: 'string' }, zip: { type: 'string', pattern: '^[0-9]{5}$' } },
        required: ['city', 'street'],
      },
    },
    required: ['name', 'id'],
  };

  it('puts required properties first (in declaration order), then optional ones, each optional', () => {
    check(person, {
      valid: [
        { id: 1, name: 'a' },
        { id: 1, name: 'a', email: 'e' },
        { id: 1, name: 'a', tags: [] },
        { id: 1, name: 'a', email: 'e', tags: ['x', 'y'], address: { street: 's', city: 'c', zip: '12345' } },
        { id: 2, name: 'b', address: { street: 's', city: 'c' } },
      ],
      invalid: [
        { id: 1 },
        { name: 'a' },
        { id: 'x', name: 'a' },
        { id: 1, name: 'a', address: { city: 'c' } },
        { id: 1, name: 'a', address: { street: 's', city: 'c', zip: '1234' } },
      ],
      rejected: [
        // valid, but outside the accepted serialization: declaration order only
        '{"name":"a","id":1}',
        '{"id":1,"name":"a","tags":[],"email":"e"}',
        // no additional properties by default
        '{"id":1,"name":"a","other":1}',
        // duplicate keys
        '{"id":1,"name":"a","name":"b"}',
      ],
      samples: 80,
    });
  });

  it('all-optional objects accept any in-order subset, and {}', () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'boolean' }, c: { type: 'null' }, d: { type: 'string' } } };
    const { samples } = check(schema, {
      valid: [{}, { a: 1 }, { b: true }, { d: 'x' }, { a: 1, c: null }, { b: false, d: '' }, { a: 1, b: true, c: null, d: 'z' }],
      rejected: ['{,}', '{"a":1,}', '{,"a":1}', '{"b":true,"a":1}', '{"a":1 "b":true}'],
      samples: 120,
    });
    // Every subset shows up eventually.
    expect(new Set(samples.map((s) => Object.keys(JSON.parse(s)).join(''))).size).toBeGreaterThan(8);
  });

  it('empty objects', () => {
    // With a `properties` keyword and no additionalProperties, only the listed keys (llama.cpp's choice).
    check({ type: 'object', properties: {} }, { valid: [{}], rejected: ['{"a":1}'] });
    check({ type: 'object', additionalProperties: false }, { valid: [{}], invalid: [{ a: 1 }] });
  });

  it('{"type": "object"} without properties is any object (regression: it was only {})', () => {
    const anyObject = { valid: [{}, { a: 1 }, { a: 1, b: [true, null], 'c d': { e: 'x' } }], invalid: [[], 'x', 1, null], rejected: ['{"a"}', '{,}'] };
    check({ type: 'object' }, { ...anyObject, samples: 80 });
    // inferred from an object keyword, and with required names
    check({ type: 'object', required: ['id'] }, { valid: [{ id: 1 }, { id: 'x', other: [] }], invalid: [{}, { other: 1 }] });
    // additionalProperties still rules when given
    check({ type: 'object', additionalProperties: { type: 'integer' } }, { valid: [{}, { a: 1, b: 2 }], invalid: [{ a: 'x' }] });
    check({ type: 'object', additionalProperties: false }, { valid: [{}], invalid: [{ a: 1 }] });
    // an additionalProperties schema no value satisfies leaves only the declared members
    check({ type: 'object', properties: { a: { type: 'integer' } }, additionalProperties: { type: [] } }, { valid: [{}, { a: 1 }], invalid: [{ b: 1 }], ajv: false });
    // merged through allOf: one side without properties does not close the object
    check({ allOf: [{ type: 'object' }, { required: ['a'] }] }, { valid: [{ a: 1 }, { a: 1, b: 2 }], invalid: [{ b: 2 }] });
  });

  it('additionalProperties: true allows other keys with any value', () => {
    check({ type: 'object', additionalProperties: true }, { valid: [{}, { a: 1, b: [true], 'c d': { e: null } }], invalid: [[], 'x'] });
    check(
      { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: true },
      {
        valid: [{ a: 1 }, { a: 1, b: 'x', c: [1] }, { a: 1, ab: 2, '': 3, A: 4 }],
        invalid: [{ b: 1 }, { a: 'x' }],
        // a second "a" after the declared one would override it in JSON.parse
        rejected: ['{"a":1,"a":"x"}'],
        samples: 100,
      },
    );
  });

  it('additionalProperties as a schema constrains the other values, never the declared keys', () => {
    check(
      { type: 'object', properties: { name: { type: 'string' }, named: { type: 'boolean' } }, additionalProperties: { type: 'integer', minimum: 0 } },
      {
        valid: [{}, { name: 'x' }, { x: 1 }, { name: 'x', named: true, na: 1, nam: 2, namex: 3, n: 4 }],
        invalid: [{ x: -1 }, { x: 'y' }, { name: 1 }],
        rejected: ['{"name":"a","name":1}', '{"x":1,"name":2}', '{"named":1}', '{"nam\\u0065":1}'],
        samples: 150,
      },
    );
  });

  it('required properties that are not declared', () => {
    check(
      { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] },
      { valid: [{ b: 1 }, { b: { x: [] }, a: 'y' }], invalid: [{}, { a: 'y' }] },
    );
    check({ type: 'object', required: ['b'], additionalProperties: { type: 'boolean' } }, { valid: [{ b: true }, { b: false, c: true }], invalid: [{ b: 1 }] });
    expect(errorOf({ type: 'object', required: ['b'], additionalProperties: false })).toMatch(/no value/);
  });

  it('false property schemas forbid the property', () => {
    check({ type: 'object', properties: { a: false, b: { type: 'integer' } } }, { valid: [{}, { b: 1 }], invalid: [{ a: 1 }] });
    check({ type: 'object', properties: { a: false }, additionalProperties: true }, { valid: [{}, { b: 1 }, { ab: 2 }], invalid: [{ a: 1 }], samples: 80 });
  });

  it('keys needing escapes and unicode keys', () => {
    const schema = {
      type: 'object',
      properties: { 'quo"te': { type: 'integer' }, 'back\\slash': { type: 'integer' }, 'new\nline': { type: 'integer' }, 'ключ 😀': { type: 'string' } },
      required: ['quo"te', 'back\\slash', 'new\nline', 'ключ 😀'],
    };
    check(schema, { valid: [{ 'quo"te': 1, 'back\\slash': 2, 'new\nline': 3, 'ключ 😀': 'v' }], samples: 20 });
  });

  it('nests objects and arrays deeply', () => {
    const schema = {
      type: 'object',
      properties: {
        matrix: { type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 3 } },
        meta: {
          type: 'object',
          properties: {
            inner: {
              type: 'object',
              properties: { deep: { type: 'array', items: { type: 'object', properties: { x: { type: 'boolean' } }, required: ['x'] } } },
              required: ['deep'],
            },
          },
          required: ['inner'],
        },
      },
      required: ['matrix', 'meta'],
    };
    check(schema, {
      valid: [
        { matrix: [], meta: { inner: { deep: [] } } },
        { matrix: [[1], [1, 2, 3]], meta: { inner: { deep: [{ x: true }, { x: false }] } } },
      ],
      invalid: [
        { matrix: [[]], meta: { inner: { deep: [] } } },
        { matrix: [[1, 2, 3, 4]], meta: { inner: { deep: [] } } },
        { matrix: [], meta: { inner: { deep: [{}] } } },
      ],
      samples: 80,
    });
  });
});

describe('jsonSchemaToGbnf: arrays', () => {
  it('items with minItems/maxItems', () => {
    check(
      { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 4 },
      {
        valid: [
          [1, 2],
          [1, 2, 3, 4],
        ],
        invalid: [[], [1], [1, 2, 3, 4, 5], [1, 'x']],
        rejected: ['[1,2,]', '[,1,2]', '[1 2]'],
      },
    );
    check({ type: 'array', minItems: 1 }, { valid: [[null], [1, 'a', {}]], invalid: [[]] });
    check({ type: 'array', maxItems: 0 }, { valid: [[]], invalid: [[1]] });
    check(
      { type: 'array', items: { type: 'string' }, minItems: 3 },
      {
        valid: [
          ['a', 'b', 'c'],
          ['a', 'b', 'c', 'd', 'e'],
        ],
        invalid: [['a', 'b']],
      },
    );
    check({ type: 'array', items: { type: 'boolean' }, maxItems: 1 }, { valid: [[], [true]], invalid: [[true, false]] });
  });

  it('large counts are split into chunks llama.cpp accepts', () => {
    const { text } = check(
      { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 2100, maxItems: 4500 },
      {
        valid: [Array(2100).fill(1), Array(4500).fill(9), Array(3333).fill(0)],
        invalid: [Array(2099).fill(1), Array(4501).fill(1)],
        samples: 3,
      },
    );
    expect(text).toMatch(/chunk/);
  });

  it('prefixItems: a tuple followed by items', () => {
    check(
      { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
      {
        valid: [[], ['a'], ['a', 1]],
        invalid: [['a', 1, 2], [1], ['a', 'b']],
      },
    );
    check(
      { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: { type: 'boolean' }, minItems: 2, maxItems: 4 },
      {
        valid: [
          ['a', 1],
          ['a', 1, true],
          ['a', 1, true, false],
        ],
        invalid: [['a'], ['a', 1, 2], ['a', 1, true, true, true]],
      },
    );
    // Without items, anything may follow the prefix.
    check({ type: 'array', prefixItems: [{ const: 'x' }], minItems: 1 }, { valid: [['x'], ['x', 1, 'y', null]], invalid: [[], ['y']] });
  });

  it('draft-07 tuple form: items array with additionalItems', () => {
    check(
      { type: 'array', items: [{ type: 'integer' }, { type: 'string' }], additionalItems: false, minItems: 2 },
      {
        ajv: '07',
        valid: [[1, 'a']],
        invalid: [[1], [1, 'a', 2], ['a', 1]],
      },
    );
    check(
      { type: 'array', items: [{ type: 'integer' }], additionalItems: { type: 'null' } },
      { ajv: '07', valid: [[], [1], [1, null, null]], invalid: [[1, 2]] },
    );
  });
});

describe('jsonSchemaToGbnf: enum and const', () => {
  it('enum of strings needing escapes, unicode, and mixed values', () => {
    const values = ['plain', 'quo"te', 'back\\slash', 'new\nline\ttab', '\u0001ctrl\u007f', 'ünï 中文 😀', '', 'with space', '\u2028'];
    check({ enum: values }, { valid: values, invalid: ['other', 'plain ', 'Plain'], rejected: ['"\\u0070lain"'] });
    check(
      { enum: [1, 2.5, -3, null, true, 'x', [1, { a: 'b' }], { k: [] }] },
      {
        valid: [1, 2.5, -3, null, true, 'x', [1, { a: 'b' }], { k: [] }],
        invalid: [2, false, 'y', [1], {}],
      },
    );
  });

  it('const', () => {
    check({ const: 'fixed "value"' }, { valid: ['fixed "value"'], invalid: ['fixed'] });
    check(
      { const: { a: [1, 2], b: { c: null } } },
      { valid: [{ a: [1, 2], b: { c: null } }], invalid: [{ a: [1, 2] }], accepted: ['{ "a": [ 1, 2 ], "b": { "c": null } }'] },
    );
    check(
      { type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number' } }, required: ['kind', 'r'] },
      { valid: [{ kind: 'circle', r: 1 }], invalid: [{ kind: 'square', r: 1 }] },
    );
  });

  it('enum values are filtered by the other keywords', () => {
    check({ type: 'string', enum: ['a', 1, 'b', null] }, { valid: ['a', 'b'], invalid: [1, null] });
    check({ type: 'integer', enum: [1, 1.5, 2] }, { valid: [1, 2], invalid: [1.5] });
    check({ enum: ['a', 'abc', 'abcdef'], minLength: 2, maxLength: 4 }, { valid: ['abc'], invalid: ['a', 'abcdef'] });
    check({ enum: ['x1', 'y2', 'x3'], pattern: '^x' }, { valid: ['x1', 'x3'], invalid: ['y2'] });
    check({ enum: [1, 5, 10], minimum: 2, exclusiveMaximum: 10 }, { valid: [5], invalid: [1, 10] });
    check({ enum: ['2024-02-29', '2023-02-29'], format: 'date' }, { valid: ['2024-02-29'], invalid: ['2023-02-29'] });
    check({ enum: ['a', 'b'], const: 'b' }, { valid: ['b'], invalid: ['a'] });
    expect(errorOf({ enum: ['a', 'b'], const: 'c' })).toMatch(/no value/);
    expect(errorOf({ type: 'integer', enum: ['a'] })).toMatch(/no value/);
  });
});

describe('jsonSchemaToGbnf: anyOf, oneOf, allOf', () => {
  it('anyOf and oneOf are alternatives', () => {
    check(
      { anyOf: [{ type: 'string', maxLength: 2 }, { type: 'integer', minimum: 10 }, { type: 'null' }] },
      {
        valid: ['', 'ab', 10, 999, null],
        invalid: ['abc', 9, true],
      },
    );
    check(
      {
        oneOf: [
          { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] },
          { type: 'object', properties: { b: { type: 'string' } }, required: ['b'] },
        ],
      },
      {
        valid: [{ a: 1 }, { b: 'x' }],
        invalid: [{}, { a: 'x' }],
      },
    );
  });

  it('anyOf next to other keywords is distributed over the alternatives', () => {
    check(
      {
        type: 'object',
        properties: { kind: { type: 'string' }, size: { type: 'integer' } },
        required: ['kind'],
        anyOf: [{ required: ['size'] }, { properties: { kind: { const: 'none' } } }],
      },
      {
        valid: [{ kind: 'a', size: 1 }, { kind: 'none' }, { kind: 'none', size: 2 }],
        invalid: [{ kind: 'a' }, { size: 1 }],
        samples: 80,
      },
    );
    check({ type: 'string', anyOf: [{ minLength: 3 }, { const: 'x' }] }, { valid: ['x', 'abc'], invalid: ['ab', 1] });
    // alternatives that contradict the rest are dropped
    check({ type: 'string', oneOf: [{ type: 'integer' }, { maxLength: 1 }] }, { valid: ['', 'a'], invalid: [1, 'ab'] });
  });

  it('allOf of objects is merged', () => {
    const schema = {
      allOf: [
        { type: 'object', properties: { a: { type: 'integer' }, shared: { type: 'number', minimum: 0 } }, required: ['a'] },
        { type: 'object', properties: { b: { type: 'string' }, shared: { type: 'integer', maximum: 10 } }, required: ['b'] },
      ],
    };
    check(schema, {
      valid: [
        { a: 1, b: 'x' },
        { a: 1, b: 'x', shared: 0 },
        { a: 1, b: 'x', shared: 10 },
      ],
      invalid: [{ a: 1 }, { b: 'x' }, { a: 1, b: 'x', shared: -1 }, { a: 1, b: 'x', shared: 11 }, { a: 1, b: 'x', shared: 1.5 }],
      samples: 80,
    });
  });

  it('allOf merges array items position by position (regression: prefixItems + items accepted [3,5])', () => {
    // The outer `items` applies to every element (there is no prefixItems beside it), the first one included.
    check({ allOf: [{ prefixItems: [{ minimum: 3 }] }], items: { minimum: 5 } }, { valid: [[], [5], [5, 6], [7, 5, 9]], invalid: [[3, 5], [4], [5, 4]] });
    check({ items: { minimum: 5 }, allOf: [{ prefixItems: [{ minimum: 6 }], items: { maximum: 8 } }] }, { valid: [[6, 5], [8, 8], [9]], invalid: [[5], [6, 9], [6, 4]] });
    // two prefixes of different lengths; a false item caps the length
    check(
      { allOf: [{ type: 'array', prefixItems: [{ type: 'integer' }], items: false }, { prefixItems: [{ minimum: 0 }, { type: 'string' }] }] },
      { valid: [[], [0], [5]], invalid: [[-1], [1, 'a'], ['a']] },
    );
    // draft-07 tuple items with additionalItems, merged with a schema for every element
    check(
      {
        allOf: [
          { items: [{ type: 'string' }], additionalItems: { type: 'integer' } },
          { items: { anyOf: [{ type: 'string', maxLength: 1 }, { type: 'integer', minimum: 0 }] } },
        ],
      },
      { ajv: '07', valid: [[], ['a'], ['a', 0, 3]], invalid: [['ab'], ['a', -1], [1]] },
    );
    expect(errorOf({ allOf: [{ prefixItems: [true], additionalItems: false }, { items: true }] })).toMatch(/additionalItems with prefixItems/);
  });

  it('allOf with $ref (schema inheritance) and additionalProperties', () => {
    const schema = {
      $defs: {
        Base: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
        Strict: { type: 'object', properties: { id: { type: 'string' } }, additionalProperties: false },
      },
      type: 'object',
      allOf: [{ $ref: '#/$defs/Base' }, { properties: { name: { type: 'string' } }, required: ['name'] }],
    };
    check(schema, { valid: [{ id: '123e4567-e89b-12d3-a456-426614174000', name: 'n' }], invalid: [{ id: 'x', name: 'n' }, { name: 'n' }] });
    // Strict's additionalProperties: false forbids `name`, so the optional name disappears.
    check(
      { $defs: schema.$defs, allOf: [{ $ref: '#/$defs/Strict' }, { properties: { name: { type: 'string' } } }] },
      { valid: [{}, { id: 'x' }], invalid: [{ name: 'n' }] },
    );
    expect(errorOf({ $defs: schema.$defs, allOf: [{ $ref: '#/$defs/Strict' }, { properties: { name: { type: 'string' } }, required: ['name'] }] })).toMatch(
      /no value/,
    );
    // additionalProperties schemas of both sides apply to extra keys
    check(
      { allOf: [{ type: 'object', additionalProperties: { type: 'integer' } }, { additionalProperties: { minimum: 5 } }] },
      { valid: [{}, { x: 5 }], invalid: [{ x: 4 }, { x: 5.5 }] },
    );
  });

  it('allOf of scalars intersects the constraints', () => {
    check({ allOf: [{ type: 'string', minLength: 2 }, { maxLength: 3 }, { minLength: 3 }] }, { valid: ['abc'], invalid: ['ab', 'abcd'] });
    check(
      { allOf: [{ type: ['integer', 'string'] }, { type: ['number', 'null'] }, { minimum: 1, maximum: 5 }, { maximum: 3 }] },
      { valid: [1, 3], invalid: [0, 4, 'a', null, 2.5] },
    );
    check({ allOf: [{ enum: ['a', 'b', 'c'] }, { enum: ['b', 'c', 'd'] }] }, { valid: ['b', 'c'], invalid: ['a', 'd'] });
    check(
      { allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { anyOf: [{ type: 'string' }, { type: 'null' }] }] },
      { valid: ['x'], invalid: [1, null] },
    );
    expect(errorOf({ allOf: [{ type: 'string' }, { type: 'integer' }] })).toMatch(/no value/);
  });
});

describe('jsonSchemaToGbnf: $ref', () => {
  it('refs to $defs and definitions', () => {
    check(
      {
        $defs: { Name: { type: 'string', minLength: 1 } },
        type: 'object',
        properties: { first: { $ref: '#/$defs/Name' }, last: { $ref: '#/$defs/Name' } },
        required: ['first'],
      },
      {
        valid: [{ first: 'a' }, { first: 'a', last: 'b' }],
        invalid: [{ first: '' }, { first: 'a', last: '' }],
      },
    );
    check(
      { definitions: { Id: { type: 'integer', minimum: 1 } }, type: 'array', items: { $ref: '#/definitions/Id' } },
      { ajv: '07', valid: [[1, 2]], invalid: [[0]] },
    );
    // Escaped JSON pointer segments, and a ref to a ref.
    check({ $defs: { 'a/b~c': { $ref: '#/$defs/plain' }, plain: { type: 'boolean' } }, $ref: '#/$defs/a~1b~0c' }, { valid: [true], invalid: [1] });
  });

  it('recursive refs (a tree)', () => {
    const schema = {
      $defs: {
        Node: {
          type: 'object',
          properties: { value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } },
          required: ['value'],
        },
      },
      $ref: '#/$defs/Node',
    };
    const { samples } = check(schema, {
      valid: [{ value: 1 }, { value: 1, children: [] }, { value: 1, children: [{ value: 2, children: [{ value: 3 }] }, { value: 4 }] }],
      invalid: [{ value: 1, children: [{}] }, { children: [] }],
      samples: 80,
    });
    const depth = (node: { children?: unknown[] }): number => 1 + Math.max(0, ...(node.children ?? []).map((c) => depth(c as { children?: unknown[] })));
    expect(Math.max(...samples.map((s) => depth(JSON.parse(s))))).toBeGreaterThan(2);
  });

  it('recursive refs (a linked list through anyOf, and the root itself)', () => {
    check(
      {
        $defs: {
          List: {
            anyOf: [{ type: 'null' }, { type: 'object', properties: { head: { type: 'string' }, tail: { $ref: '#/$defs/List' } }, required: ['head', 'tail'] }],
          },
        },
        $ref: '#/$defs/List',
      },
      {
        valid: [null, { head: 'a', tail: null }, { head: 'a', tail: { head: 'b', tail: null } }],
        invalid: [{ head: 'a' }, { head: 'a', tail: 1 }],
      },
    );
    check({ type: 'array', items: { anyOf: [{ type: 'integer' }, { $ref: '#' }] } }, { valid: [[], [1, [2, [3, []]]]], invalid: [[1, ['x']]] });
  });

  it('refs with sibling keywords apply both', () => {
    check({ $defs: { S: { type: 'string' } }, $ref: '#/$defs/S', maxLength: 2, description: 'short' }, { valid: ['ab'], invalid: ['abc', 1] });
  });
});

describe('jsonSchemaToGbnf: strings', () => {
  it('minLength/maxLength count code points (astral characters and escapes included)', () => {
    check(
      { type: 'string', minLength: 2, maxLength: 3 },
      {
        valid: ['ab', 'abc', '😀😀', '中文字', 'a\n'],
        invalid: ['a', '😀', 'abcd', '😀😀😀😀'],
        accepted: ['"\\u00e9\\u00e9"', '"\\n\\t\\""'],
        rejected: ['"\\ud83d\\ude00\\ud83d\\ude00"'],
        samples: 100,
      },
    );
    check({ type: 'string', maxLength: 0 }, { valid: [''], invalid: ['a'] });
    check({ type: 'string', minLength: 2100 }, { valid: ['x'.repeat(2100), 'y'.repeat(2500)], invalid: ['x'.repeat(2099)], samples: 5 });
    check({ type: 'string', maxLength: 5000 }, { valid: ['', 'x'.repeat(5000)], invalid: ['x'.repeat(5001)], samples: 10 });
  });

  it('formats: date, time, date-time, uuid', () => {
    check(
      { type: 'string', format: 'date' },
      {
        valid: ['2024-01-31', '2024-02-29', '2000-02-29', '1999-12-31', '0000-02-29', '2023-04-30'],
        invalid: ['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '24-01-01', '2024-1-01'],
        samples: 200,
      },
    );
    check(
      { type: 'string', format: 'time' },
      {
        valid: ['00:00:00Z', '23:59:59+01:00', '12:30:45.123-05:30', '08:00:00.5Z'],
        invalid: ['24:00:00Z', '12:60:00Z', '12:00:00', '1:00:00Z'],
        samples: 100,
      },
    );
    check(
      { type: 'string', format: 'date-time' },
      {
        valid: ['2024-02-29T12:00:00Z', '1999-12-31T23:59:59.999+14:00'],
        invalid: ['2024-02-30T12:00:00Z', '2024-02-29 12:00', '2024-02-29'],
        samples: 100,
      },
    );
    check(
      { type: 'string', format: 'uuid' },
      {
        valid: ['123e4567-e89b-12d3-a456-426614174000', 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE'],
        invalid: ['123e4567e89b12d3a456426614174000', '123e4567-e89b-12d3-a456-42661417400', 'g23e4567-e89b-12d3-a456-426614174000'],
      },
    );
  });
});

describe('jsonSchemaToGbnf: time and date-time as ajv-formats checks them (regression: leap seconds, lowercase, offsets)', () => {
  it('accepts leap seconds, lowercase t and z, offsets without colon or minutes, other separators', () => {
    check(
      { type: 'string', format: 'time' },
      {
        valid: ['23:59:60Z', '23:59:60.5z', '23:59:59z', '15:59:60-08:00', '00:59:60+01:00', '00:59:60+0100', '00:59:60+01', '12:00:00+05', '12:00:00+0530', '12:00:00.123456789Z'],
        invalid: ['23:59:60+01:00', '12:59:60Z', '23:59:61Z', '12:00:00+24:00', '12:00:00+05:60', '12:00:00', '12:00:00+5'],
        samples: 100,
      },
    );
    check(
      { type: 'string', format: 'date-time' },
      {
        valid: ['2016-12-31t23:59:60z', '2016-12-31T23:59:60Z', '2024-01-01 12:00:00Z', '2024-01-01\t12:00:00+01', '2024-01-01\u00a012:00:00Z'],
        invalid: ['2024-01-01T12:00:00', '2024-01-01tt12:00:00Z', '2024-01-0112:00:00Z', '2023-02-29T23:59:60Z'],
        samples: 100,
      },
    );
    check({ type: 'string', format: 'uuid' }, { valid: ['urn:uuid:123e4567-e89b-12d3-a456-426614174000', 'URN:Uuid:123E4567-E89B-12D3-A456-426614174000'], invalid: ['urn:123e4567-e89b-12d3-a456-426614174000'] });
  });

  it('never accepts a time ajv-formats rejects, and accepts every one it accepts but the documented exceptions', () => {
    const validate = ajv2020.compile({ type: 'string', format: 'time' });
    const grammar = parseGbnf(jsonSchemaToGbnf({ type: 'string', format: 'time' }));
    const offsets = ['Z', 'z', '+00', '-00', '+00:00', '-0000', '+01', '-01', '+01:00', '-0100', '+05:30', '+0530', '-05:30', '+14', '-23:59', '+23', '+24', '-12:60'];
    let accepted = 0;
    for (let hour = 0; hour <= 25; hour++) {
      for (const minute of ['00', '29', '30', '59', '60']) {
        for (const second of ['00', '59', '59.999', '60', '60.25', '61']) {
          for (const offset of offsets) {
            const time = `${String(hour).padStart(2, '0')}:${minute}:${second}${offset}`;
            const valid = validate(time);
            const inGrammar = matches(grammar, JSON.stringify(time));
            if (inGrammar) expect(valid, `${time} accepted by the grammar, rejected by ajv-formats`).toBe(true);
            // Documented exceptions: leap seconds at offsets with minutes, local times past 23:59.
            const exception = hour > 23 || Number(minute) > 59 || (second.startsWith('60') && /[1-9]/.test(offset.slice(-2)) && offset.length > 3);
            if (valid && !exception) expect(inGrammar, `${time} valid in ajv-formats, rejected by the grammar`).toBe(true);
            if (inGrammar) accepted++;
          }
        }
      }
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('jsonSchemaToGbnf: pattern', () => {
  const cases: [string, string[], string[]][] = [
    ['^abc$', ['abc'], ['ab', 'abcd', 'xabc']],
    ['^[a-z]+(-[a-z]+)*$', ['a', 'ab-cd-e'], ['', '-a', 'a-', 'a--b', 'A']],
    ['^\\d{3}-\\d{2,4}$', ['123-45', '123-4567'], ['12-34', '123-4', '123-45678', '١٢٣-45']],
    ['^(?:cat|dog)s?$', ['cat', 'dogs'], ['cats!', 'bird']],
    ['^[^"\\\\]*$', ['', 'anything else', 'ünï'], ['a"b', 'a\\b']],
    ['^a.c$', ['abc', 'a"c', 'a😀c', 'a\tc'], ['ac', 'a\nc', 'a\u2028c', 'abbc']],
    ['^\\w+@\\w+\\.com$', ['me@x.com', 'a_1@b2.com'], ['@x.com', 'me@x.org', 'me@x,com']],
    ['^[\\s\\S]{2}$', ['  ', '\n\t', 'ab'], ['a', 'abc']],
    ['^\\S+$', ['a', 'ab'], ['', 'a b', 'a\u00a0b']],
    ['^[A-Fa-f0-9]{4,}$', ['abcd', 'ABCDEF0123'], ['abc', 'abcg']],
    ['^x{0,2}y{2}z?$', ['yy', 'xxyyz'], ['xxxyy', 'y']],
    ['^\\u00e9\\x41\\u{1F600}\\t$', ['éA😀\t'], ['éA😀']],
    ['^[\\u0000-\\u001f]$', ['\u0000', '\u001f', '\n'], [' ', '\u007f']],
    ['^["\\\\/]+$', ['"', '\\', '/"\\'], ['', 'a']],
    ['^[^a-z]$', ['A', '"', '\\', '\n', '\u007f', '😀'], ['a', 'AB']],
    ['^(a|b|)c$', ['ac', 'bc', 'c'], ['abc']],
    ['^a+?b*?$', ['a', 'aab'], ['b']],
    ['^[-+]?[0-9]+(\\.[0-9]+)?$', ['-1', '+2.5', '3'], ['1.', '.5', '--1']],
    ['^(?<year>\\d{4})-(?<month>\\d{2})$', ['2024-01'], ['2024-1']],
    ['^[.]$', ['.'], ['a']],
    ['^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$$', ['.*+?()[]{}|^$'], ['x']],
    ['^[\\]\\-^]+$', [']', '-', '^', ']-^'], ['a']],
    ['^[\\b]$', ['\b'], ['b']],
    ['^\\cJ\\0$', ['\n\u0000'], ['\n']],
    ['ab', ['ab', 'xaby', '"ab"'], ['a', 'ba']],
    ['^ab', ['ab', 'abc'], ['xab']],
    ['ab$', ['ab', 'xab'], ['abx']],
    ['^a$|^b|c$', ['a', 'bxx', 'xxc'], ['xa', 'xbx']],
    ['', ['', 'anything'], []],
    ['[0-9]{2}', ['12', 'x12y'], ['1x2']],
  ];
  for (const [pattern, good, bad] of cases) {
    it(`pattern ${JSON.stringify(pattern)}`, () => {
      const re = new RegExp(pattern, 'u');
      for (const s of good) expect(re.test(s), `${pattern} should match ${JSON.stringify(s)}`).toBe(true);
      for (const s of bad) expect(re.test(s), `${pattern} should not match ${JSON.stringify(s)}`).toBe(false);
      check({ type: 'string', pattern }, { valid: good, invalid: bad, samples: 50 });
    });
  }

  it('dotall makes . match line terminators', () => {
    check({ type: 'string', pattern: '^a.c$' }, { options: { dotall: true }, ajv: false, valid: ['a\nc', 'a\u2028c', 'abc'] });
    const grammar = parseGbnf(jsonSchemaToGbnf({ type: 'string', pattern: '^a.c$' }, { dotall: true }));
    expect(matches(grammar, '"a\\nc"')).toBe(true);
    expect(matches(grammar, '"a\\u0000c"'.replace('\\u0000', '\\u0001'))).toBe(true);
    const plain = parseGbnf(jsonSchemaToGbnf({ type: 'string', pattern: '^a.c$' }));
    expect(matches(plain, '"a\\nc"')).toBe(false);
  });

  it('unsupported and invalid patterns throw', () => {
    expect(errorOf({ type: 'string', pattern: '^(?=a)a$' })).toMatch(/lookaround.*not supported/);
    expect(errorOf({ type: 'string', pattern: '^(?!a).$' })).toMatch(/not supported/);
    expect(errorOf({ type: 'string', pattern: '^(a)\\1$' })).toMatch(/backreferences.*not supported/);
    expect(errorOf({ type: 'string', pattern: '\\bword\\b' })).toMatch(/word boundaries.*not supported/);
    expect(errorOf({ type: 'string', pattern: '^\\p{L}+$' })).toMatch(/property escapes.*not supported/);
    expect(errorOf({ type: 'string', pattern: 'a^b' })).toMatch(/anchors.*not supported/);
    expect(errorOf({ type: 'string', pattern: '^(a*)*$' })).toMatch(/empty string.*not supported/);
    expect(errorOf({ type: 'string', pattern: '^(a' })).toMatch(/invalid pattern/);
    expect(errorOf({ type: 'string', pattern: '^a{3,1}$' })).toMatch(/invalid pattern/);
    expect(errorOf({ type: 'string', pattern: '*a' })).toMatch(/invalid pattern/);
    expect(errorOf({ type: 'string', pattern: '^[z-a]$' })).toMatch(/invalid pattern/);
    expect(errorOf({ type: 'string', pattern: '^a$', minLength: 1 })).toMatch(/pattern combined with minLength\/maxLength is not supported/);
    expect(errorOf({ type: 'string', pattern: '^a$', format: 'date' })).toMatch(/not supported/);
  });
});

describe('jsonSchemaToGbnf: number ranges', () => {
  it('integer minimum/maximum', () => {
    check({ type: 'integer', minimum: 0, maximum: 150 }, { valid: [0, 9, 10, 99, 100, 149, 150], invalid: [-1, 151, 1000] });
    check({ type: 'integer', minimum: -20, maximum: -3 }, { valid: [-20, -3, -10], invalid: [-21, -2, 0, 3] });
    check({ type: 'integer', minimum: -5, maximum: 5 }, { valid: [-5, 0, 5], invalid: [-6, 6] });
    check({ type: 'integer', minimum: 12345 }, { valid: [12345, 12399, 99999, 123456], invalid: [12344, 9999, -12345] });
    check({ type: 'integer', maximum: -100 }, { valid: [-100, -101, -99999], invalid: [-99, 0, 100] });
    check({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 1000 }, { valid: [1, 999], invalid: [0, 1000] });
    check({ type: 'integer', minimum: 0.5, maximum: 3.7 }, { valid: [1, 3], invalid: [0, 4] });
    check({ type: 'integer', minimum: 7, maximum: 7 }, { valid: [7], invalid: [6, 8] });
    check({ type: 'integer', minimum: 1, maximum: 1e20 }, { valid: [1, 1234567890123456], rejected: ['12345678901234567'] });
    expect(errorOf({ type: 'integer', minimum: 5, maximum: 4 })).toMatch(/no value/);
    expect(errorOf({ type: 'integer', exclusiveMinimum: 1, exclusiveMaximum: 2 })).toMatch(/no value/);
  });

  it('draft-04 boolean exclusiveMinimum/exclusiveMaximum', () => {
    const { grammar } = check(
      { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: true },
      { ajv: false, valid: [1, 9], rejected: ['0', '10'] },
    );
    expect(matches(grammar, '5')).toBe(true);
    expect(errorOf({ type: 'integer', exclusiveMinimum: true })).toMatch(/needs minimum/);
  });

  it('number with integer-valued bounds', () => {
    check(
      { type: 'number', minimum: 0, maximum: 1 },
      { valid: [0, 0.5, 1, 0.999], invalid: [-0.1, 1.01, 2], accepted: ['1.000', '0.0'], rejected: ['1.0001', '-0.5', '1e-3'] },
    );
    check({ type: 'number', exclusiveMinimum: 0 }, { valid: [0.001, 1, 12.5], invalid: [0, -1], rejected: ['0.0', '-0.1'] });
    check({ type: 'number', minimum: -2, exclusiveMaximum: 3 }, { valid: [-2, -1.5, 0, 2.999], invalid: [-2.01, 3, 3.5], accepted: ['-2.00'] });
    check({ type: 'number', maximum: -1 }, { valid: [-1, -1.5, -100], invalid: [-0.5, 0, 1] });
    check({ type: 'number', exclusiveMaximum: -1, exclusiveMinimum: -3 }, { valid: [-2, -1.5, -2.999], invalid: [-1, -3, 0] });
    check({ type: 'number', minimum: 5, maximum: 5 }, { valid: [5], invalid: [5.5, 4.9], accepted: ['5.0'] });
    expect(errorOf({ type: 'number', minimum: 0.5 })).toMatch(/non-integer minimum\/maximum .*not supported/);
    expect(errorOf({ type: 'number', exclusiveMinimum: 1, maximum: 1 })).toMatch(/no value/);
  });
});

describe('jsonSchemaToGbnf: numeric formats', () => {
  it('int32, int64, float and double (as ajv-formats checks them)', () => {
    check({ type: 'integer', format: 'int32' }, { valid: [0, 2147483647, -2147483648], invalid: [2147483648, -2147483649, 1.5] });
    check({ type: 'number', format: 'int64' }, { valid: [0, -5, 9007199254740991], invalid: [1.5] });
    check({ type: 'number', format: 'double', minimum: 0 }, { valid: [0, 1.5], invalid: [-1] });
    check({ type: 'number', format: 'float' }, { valid: [1.25e10] });
    check({ type: ['string', 'integer'], format: 'int32' }, { valid: ['any', 5], invalid: [2147483648] });
    check({ enum: [1, 2.5, 3000000000], format: 'int32' }, { valid: [1], invalid: [2.5, 3000000000] });
    expect(errorOf({ type: 'number', format: 'decimal' })).toMatch(/format "decimal" for numbers is not supported/);
  });
});

describe('jsonSchemaToGbnf: whitespace', () => {
  const schema = { type: 'object', properties: { a: { type: 'array', items: { type: 'integer' } } }, required: ['a'] };
  it('accepts compact and pretty-printed JSON, bounded', () => {
    const { grammar } = check(schema, {
      accepted: ['{"a":[1,2]}', '{ "a": [ 1, 2 ] }', '{\n  "a": [\n    1,\n    2\n  ]\n}', '{\n\t"a" : [1,\n\t\t2]}', `{\n${' '.repeat(20)}"a":[]}`],
      rejected: [`{\n${' '.repeat(21)}"a":[]}`, '{  "a":[]}', ' {"a":[]}', '{"a":[]} ', '{"a":[]}\n', '{"a":[1 ,2]}', '{\r\n"a":[]}', '{\n\n"a":[]}'],
    });
    // Generation can't run away on whitespace: every rule has bounded whitespace.
    expect(matches(grammar, `{"a":[1,${'\n'.repeat(2)}2]}`)).toBe(false);
  });
});

describe('jsonSchemaToGbnf: unsupported and invalid schemas', () => {
  it('throws INVALID_ARGUMENT for unsupported keywords', () => {
    const keywords: [object, RegExp][] = [
      [{ not: { type: 'string' } }, /keyword not is not supported/],
      [{ if: { type: 'string' }, then: { minLength: 1 } }, /keyword if is not supported/],
      [{ type: 'object', patternProperties: { '^x': {} } }, /patternProperties/],
      [{ type: 'object', propertyNames: { maxLength: 3 } }, /propertyNames/],
      [{ type: 'object', minProperties: 1 }, /minProperties/],
      [{ type: 'object', maxProperties: 1 }, /maxProperties/],
      [{ type: 'object', dependentRequired: { a: ['b'] } }, /dependentRequired/],
      [{ type: 'object', dependentSchemas: { a: {} } }, /dependentSchemas/],
      [{ type: 'object', unevaluatedProperties: false }, /unevaluatedProperties/],
      [{ type: 'array', uniqueItems: true }, /uniqueItems: true/],
      [{ type: 'array', contains: { type: 'string' } }, /contains/],
      [{ type: 'number', multipleOf: 2 }, /multipleOf/],
      [{ $dynamicRef: '#x' }, /\$dynamicRef/],
      [{ $anchor: 'x' }, /\$anchor/],
      [{ type: 'string', nullable: true }, /nullable/],
      [{ type: 'string', format: 'email' }, /format "email" is not supported/],
      [{ type: 'string', format: 'date', minLength: 1 }, /format combined with minLength/],
      [{ $ref: 'https://example.com/schema.json' }, /only local refs/],
      [{ type: 'object', properties: { a: { $id: 'x', type: 'string' } } }, /keyword \$id/],
    ];
    for (const [schema, message] of keywords) expect(errorOf(schema), JSON.stringify(schema)).toMatch(message);
  });

  it('uniqueItems: false is accepted (it constrains nothing)', () => {
    check({ type: 'array', items: { type: 'integer' }, uniqueItems: false }, { valid: [[1, 1]] });
  });

  it('checks its arguments and refuses oversized schemas before converting them', () => {
    // Regression (issue 12's harness): null options threw a TypeError, non-object options and
    // non-plain schemas were accepted, a 10,000-property schema was "nested too deeply", and a
    // 100,000-value enum or 1,000 nested arrays were converted for seconds on the JS thread.
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(LlamaError);
        return `${(err as LlamaError).code} ${(err as LlamaError).message}`;
      }
    };
    expect(code(() => jsonSchemaToGbnf({ type: 'string' }, null as never))).toMatch(/^INVALID_ARGUMENT .*options must be an object/);
    expect(code(() => jsonSchemaToGbnf({ type: 'string' }, 5 as never))).toMatch(/^INVALID_ARGUMENT/);
    expect(code(() => jsonSchemaToGbnf({ type: 'string' }, { dotall: 1 } as never))).toMatch(/dotall must be a boolean/);
    expect(code(() => jsonSchemaToGbnf({ type: 'string' }, { dotal: true } as never))).toMatch(/unknown .* key 'dotal'/);
    expect(code(() => jsonSchemaToGbnf(new Date()))).toMatch(/not a Date or a Map/);
    expect(code(() => jsonSchemaToGbnf(new Map() as never))).toMatch(/not a Date or a Map/);
    const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 10000 }, (_, i) => [`p${i}`, { type: 'integer' }])) };
    expect(code(() => jsonSchemaToGbnf(wide))).toMatch(/more than a grammar may hold/);
    expect(code(() => jsonSchemaToGbnf({ enum: Array.from({ length: 100000 }, (_, i) => `v${i}`) }))).toMatch(/more than a grammar may hold/);
    let deep: object = { type: 'integer' };
    for (let i = 0; i < 1000; i++) deep = { type: 'array', items: deep };
    expect(code(() => jsonSchemaToGbnf(deep))).toMatch(/nests 1001 levels/);
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic.properties = { self: cyclic };
    expect(code(() => jsonSchemaToGbnf(cyclic))).toMatch(/cannot be written as JSON/);
    let fine: object = { type: 'integer' };
    for (let i = 0; i < 20; i++) fine = { type: 'array', items: fine };
    expect(code(() => jsonSchemaToGbnf(fine))).toBe('ok');
  });

  it('throws for malformed schemas', () => {
    const bad: [unknown, RegExp][] = [
      [[], /must be an object or a boolean/],
      [{ type: 'strin' }, /unknown type/],
      [{ type: 'string', minLength: -1 }, /minLength must be a non-negative integer/],
      [{ type: 'string', maxLength: 1.5 }, /maxLength must be a non-negative integer/],
      [{ type: 'integer', minimum: 'a' }, /minimum must be a finite number/],
      [{ required: 'a' }, /required must be an array of strings/],
      [{ enum: 'a' }, /enum must be an array/],
      [{ anyOf: [] }, /anyOf must be a non-empty array/],
      [{ allOf: {} }, /allOf must be a non-empty array/],
      [{ type: 'object', properties: [] }, /properties must be an object/],
      [{ $ref: '#/$defs/Missing' }, /unresolved \$ref/],
      [{ $ref: 5 }, /\$ref must be a string/],
      [{ type: 'string', pattern: 5 }, /pattern must be a string/],
    ];
    for (const [schema, message] of bad) expect(errorOf(schema as object), JSON.stringify(schema)).toMatch(message);
  });

  it('throws for schemas no value satisfies', () => {
    expect(errorOf(false)).toMatch(/no value/);
    expect(errorOf({ type: 'object', properties: { a: false }, required: ['a'] })).toMatch(/no value/);
    expect(errorOf({ type: 'array', minItems: 3, maxItems: 2 })).toMatch(/no value/);
    expect(errorOf({ type: 'string', minLength: 3, maxLength: 2 })).toMatch(/no value/);
    expect(errorOf({ type: 'array', items: false, minItems: 1 })).toMatch(/no value/);
    expect(errorOf({ anyOf: [false, { allOf: [{ type: 'null' }, { type: 'boolean' }] }] })).toMatch(/no value/);
    // Infinite recursion: no finite value.
    expect(errorOf({ $defs: { N: { type: 'object', properties: { next: { $ref: '#/$defs/N' } }, required: ['next'] } }, $ref: '#/$defs/N' })).toMatch(
      /no finite JSON value/,
    );
  });

  it('drops alternatives without finite values instead of letting generation loop', () => {
    const endless = { type: 'object', properties: { next: { $ref: '#/$defs/N' } }, required: ['next'] };
    const { text } = check(
      { $defs: { N: endless }, type: 'array', items: { anyOf: [{ $ref: '#/$defs/N' }, { type: 'integer' }] } },
      { valid: [[], [1, 2]], rejected: ['[{"next":'] },
    );
    expect(text).not.toMatch(/next/);
    check({ $defs: { N: endless }, type: 'object', properties: { a: { $ref: '#/$defs/N' }, b: { type: 'null' } } }, { valid: [{}, { b: null }] });
  });

  it('throws for refs llama.cpp could not use (left recursion)', () => {
    expect(errorOf({ $defs: { A: { $ref: '#/$defs/A' } }, $ref: '#/$defs/A' })).toMatch(/not supported|no finite JSON value/);
    expect(errorOf({ $defs: { A: { anyOf: [{ $ref: '#/$defs/A' }, { type: 'null' }] } }, $ref: '#/$defs/A' })).toMatch(/left-recursive.*not supported/);
    expect(errorOf({ $defs: { A: { allOf: [{ $ref: '#/$defs/A' }] } }, $ref: '#/$defs/A' })).toMatch(/cycle.*not supported/);
  });

  it('ignores annotations', () => {
    check(
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://example.com/x',
        title: 'T',
        description: 'D',
        default: 'x',
        examples: ['y'],
        deprecated: false,
        readOnly: true,
        writeOnly: false,
        $comment: 'c',
        'x-vendor': { any: 1 },
        type: 'string',
        contentMediaType: 'text/plain',
      },
      { valid: ['a'] },
    );
  });
});

describe('jsonSchemaToGbnf: a realistic schema', () => {
  it('pydantic-style document with $defs, enums, optional and nullable fields', () => {
    const schema = {
      $defs: {
        Role: { enum: ['admin', 'user', 'guest'], title: 'Role', type: 'string' },
        Address: {
          title: 'Address',
          type: 'object',
          properties: {
            street: { type: 'string', minLength: 1, maxLength: 40 },
            country: { type: 'string', pattern: '^[A-Z]{2}$' },
            postcode: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null },
          },
          required: ['street', 'country'],
          additionalProperties: false,
        },
        User: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            name: { type: 'string' },
            role: { $ref: '#/$defs/Role' },
            age: { type: 'integer', minimum: 0, maximum: 130 },
            score: { type: 'number', minimum: 0, maximum: 100 },
            born: { type: 'string', format: 'date' },
            addresses: { type: 'array', items: { $ref: '#/$defs/Address' }, maxItems: 3 },
            manager: { anyOf: [{ $ref: '#/$defs/User' }, { type: 'null' }] },
            tags: { type: 'array', items: { type: 'string', maxLength: 10 }, minItems: 1 },
          },
          required: ['id', 'name', 'role'],
        },
      },
      type: 'object',
      properties: { users: { type: 'array', items: { $ref: '#/$defs/User' } }, generated: { type: 'string', format: 'date-time' } },
      required: ['users', 'generated'],
    };
    const user = {
      id: '123e4567-e89b-12d3-a456-426614174000',
      name: 'Ann',
      role: 'admin',
      age: 41,
      score: 99.5,
      born: '1984-02-29',
      addresses: [{ street: 'Main 1', country: 'DE', postcode: null }],
      manager: null,
      tags: ['a'],
    };
    check(schema, {
      valid: [
        { users: [], generated: '2024-01-01T00:00:00Z' },
        { users: [user, { id: user.id, name: 'Bob', role: 'guest', manager: user }], generated: '2024-01-01T00:00:00.5+02:00' },
      ],
      invalid: [
        { users: [{ ...user, role: 'root' }], generated: '2024-01-01T00:00:00Z' },
        { users: [{ ...user, age: 131 }], generated: '2024-01-01T00:00:00Z' },
        { users: [], generated: 'yesterday' },
      ],
      samples: 100,
    });
  });
});

describe('jsonSchemaToGbnf: random schemas', () => {
  /** A random schema from the supported subset. */
  function randomSchema(random: () => number, depth: number, defs: string[]): Record<string, unknown> {
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    const kinds =
      depth > 2
        ? ['string', 'integer', 'number', 'boolean', 'null', 'enum', 'pattern']
        : ['object', 'array', 'string', 'integer', 'number', 'anyOf', 'enum', 'object', 'array', 'ref', 'types', 'format', 'pattern', 'allOf'];
    const kind = pick(kinds);
    switch (kind) {
      case 'object': {
        const properties: Record<string, unknown> = {};
        const names = ['a', 'b', 'ab', 'é', 'k"q', 'name', 'x y'].filter(() => random() < 0.5);
        for (const n of names) properties[n] = randomSchema(random, depth + 1, defs);
        const schema: Record<string, unknown> = { type: 'object', properties, required: names.filter(() => random() < 0.5) };
        const extra = random();
        if (extra < 0.15) schema.additionalProperties = true;
        else if (extra < 0.3) schema.additionalProperties = randomSchema(random, depth + 2, defs);
        return schema;
      }
      case 'array': {
        const schema: Record<string, unknown> = { type: 'array', items: randomSchema(random, depth + 1, defs) };
        if (random() < 0.4) schema.minItems = int(0, 3);
        if (random() < 0.4) schema.maxItems = int((schema.minItems as number | undefined) ?? 0, 5);
        if (random() < 0.2) schema.prefixItems = [randomSchema(random, depth + 1, defs)];
        return schema;
      }
      case 'string': {
        const schema: Record<string, unknown> = { type: 'string' };
        if (random() < 0.5) schema.minLength = int(0, 4);
        if (random() < 0.5) schema.maxLength = int((schema.minLength as number | undefined) ?? 0, 8);
        return schema;
      }
      case 'integer':
      case 'number': {
        const schema: Record<string, unknown> = { type: kind };
        const lo = int(-1000, 1000);
        if (random() < 0.5) schema[random() < 0.5 ? 'minimum' : 'exclusiveMinimum'] = lo;
        if (random() < 0.5) schema[random() < 0.5 ? 'maximum' : 'exclusiveMaximum'] = lo + int(2, 3000);
        return schema;
      }
      case 'boolean':
      case 'null':
        return { type: kind };
      case 'enum':
        return { enum: [pick(['x', 'é"\\', '😀', '']), int(-5, 5), pick([null, true, [1], { k: 'v' }])] };
      case 'pattern':
        return { type: 'string', pattern: pick(['^[a-c]{1,3}$', '^x(y|z)*$', 'q', '^\\d+(\\.\\d{1,2})?$', '^[^,"]{0,4}$', '^.?$']) };
      case 'format':
        return { type: 'string', format: pick(['date', 'time', 'date-time', 'uuid']) };
      case 'types':
        return {
          type: pick([
            ['string', 'null'],
            ['integer', 'boolean'],
            ['array', 'null'],
          ]),
        };
      case 'anyOf':
        return { anyOf: [randomSchema(random, depth + 1, defs), randomSchema(random, depth + 1, defs)] };
      case 'allOf':
        return {
          allOf: [
            { type: 'object', properties: { a: randomSchema(random, depth + 2, defs) }, required: ['a'] },
            { properties: { b: randomSchema(random, depth + 2, defs) } },
          ],
        };
      default:
        return { $ref: `#/$defs/${pick(defs)}` };
    }
  }

  it('every generated document validates (300 random schemas)', () => {
    const random = mulberry32(20240601);
    const defs = ['D0', 'D1'];
    let converted = 0;
    for (let i = 0; i < 300; i++) {
      const schema: Record<string, unknown> = randomSchema(random, 0, defs);
      schema.$defs = { D0: randomSchema(random, 1, defs), D1: { type: 'array', items: { $ref: '#/$defs/D0' }, maxItems: 2 } };
      let text: string;
      try {
        text = jsonSchemaToGbnf(schema);
      } catch (err) {
        // Only "no value" schemas (random contradictions, infinite recursion) may fail.
        expect(err, JSON.stringify(schema)).toBeInstanceOf(LlamaError);
        expect((err as Error).message, JSON.stringify(schema)).toMatch(/no value|no finite JSON value|left-recursive|cycle/);
        continue;
      }
      try {
        ajv2020.compile(schema);
      } catch {
        continue; // e.g. a $ref cycle ajv cannot compile (the converter drops it: it has no finite value)
      }
      converted++;
      check(schema, { samples: 15, seed: i });
      expect(text.length).toBeGreaterThan(0);
    }
    expect(converted).toBeGreaterThan(200);
  });
});

describe('jsonSchemaToGbnf: exactness on random inputs', () => {
  it('pattern grammars accept exactly the strings RegExp matches', () => {
    const random = mulberry32(7);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const atoms = [
      'a',
      'b',
      '"',
      '\\\\',
      '\\.',
      '.',
      'é',
      '😀',
      '\\n',
      '[ab]',
      '[^a]',
      '[^"\\\\]',
      '\\d',
      '\\w',
      '\\s',
      '\\S',
      '[a-c1]',
      '\\u00e9',
      '[\\u0000-\\u001f]',
    ];
    const regex = (depth: number): string => {
      const parts: string[] = [];
      const n = 1 + Math.floor(random() * 3);
      for (let i = 0; i < n; i++) {
        let atom = depth < 2 && random() < 0.25 ? `(?:${regex(depth + 1)}${random() < 0.5 ? `|${regex(depth + 1)}` : ''})` : pick(atoms);
        // Unbounded quantifiers only outside groups: nested ones make RegExp backtrack exponentially.
        atom += pick(depth === 0 ? ['', '', '', '?', '*', '+', '{2}', '{0,2}', '{1,}'] : ['', '', '?', '{2}', '{0,2}']);
        parts.push(atom);
      }
      return parts.join('');
    };
    const alphabet = ['a', 'b', 'c', '"', '\\', '.', '1', 'é', '😀', '\n', ' ', '\u0001', '\u2028', 'x'];
    let patterns = 0;
    for (let i = 0; i < 150; i++) {
      const pattern = `${random() < 0.7 ? '^' : ''}${regex(0)}${random() < 0.7 ? '$' : ''}`;
      let text: string;
      try {
        text = jsonSchemaToGbnf({ type: 'string', pattern });
      } catch (err) {
        expect((err as Error).message, pattern).toMatch(/empty string.*not supported/);
        continue;
      }
      patterns++;
      const grammar = parseGbnf(text);
      const re = new RegExp(pattern, 'u');
      for (let k = 0; k < 150; k++) {
        const s = Array.from({ length: Math.floor(random() * 7) }, () => pick(alphabet)).join('');
        expect(matches(grammar, JSON.stringify(s)), `${pattern} on ${JSON.stringify(s)}`).toBe(re.test(s));
      }
      for (const sample of Array.from({ length: 10 }, () => generate(grammar, random))) {
        expect(re.test(JSON.parse(sample)), `${pattern} generated ${sample}`).toBe(true);
      }
    }
    expect(patterns).toBeGreaterThan(100);
  });

  it('integer ranges accept exactly the integers in range', () => {
    const random = mulberry32(8);
    for (let i = 0; i < 150; i++) {
      const { schema, a, b, scale } = randomRangeSchema(random, 'integer', 5);
      const grammar = grammarUnlessUnsatisfiable(schema);
      if (!grammar) continue;
      const validate = ajv2020.compile(schema);
      const probes = [a - 1, a, a + 1, b - 1, b, b + 1, 0, -1, 1, ...Array.from({ length: 40 }, () => Math.round((random() - 0.5) * 4 * scale))];
      for (const n of probes) expect(matches(grammar, String(n)), `${JSON.stringify(schema)} on ${n}`).toBe(validate(n));
    }
  });

  it('number ranges accept exactly the plain decimals in range', () => {
    const random = mulberry32(9);
    for (let i = 0; i < 150; i++) {
      const { schema, a, b, scale } = randomRangeSchema(random, 'number', 4);
      const grammar = grammarUnlessUnsatisfiable(schema);
      if (!grammar) continue;
      const validate = ajv2020.compile(schema);
      const near = (x: number): number[] => [x, x - 1, x + 1, x - 0.5, x + 0.5, x - 0.001, x + 0.001, x - 1e-9, x + 1e-9];
      const probes = [...near(a), ...near(b), 0, ...Array.from({ length: 40 }, () => Math.round((random() - 0.5) * 4 * scale * 1000) / 1000)];
      for (const x of probes) {
        const text = String(x);
        if (/e/.test(text)) continue; // exponent forms are only accepted without bounds
        expect(matches(grammar, text), `${JSON.stringify(schema)} on ${text}`).toBe(validate(x));
      }
    }
  });
});

describe('large schemas convert in linear time (found by the full reliability harness)', () => {
  it('a pattern of 100,000 characters (it copied the literal at every character: 100 s)', () => {
    const started = Date.now();
    const gbnf = jsonSchemaToGbnf({ type: 'string', pattern: `^${'ab'.repeat(50_000)}$` });
    expect(Date.now() - started).toBeLessThan(10_000); // a hang guard, not a speed goal
    const parsed = parseGbnf(gbnf);
    expect(matches(parsed, JSON.stringify('ab'.repeat(50_000)))).toBe(true);
    expect(matches(parsed, JSON.stringify('ab'.repeat(49_999)))).toBe(false);
  });

  it('1,000 optional properties (productivity and nullability were fixpoints of n rounds)', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) properties[`p${i}`] = { type: 'integer' };
    const parsed = parseGbnf(jsonSchemaToGbnf({ type: 'object', properties }));
    expect(matches(parsed, '{"p3":1,"p999":2}')).toBe(true);
    expect(matches(parsed, '{"p999":2,"p3":1}')).toBe(false); // properties in schema order, as llama.cpp's converter
    expect(matches(parsed, '{}')).toBe(true);
  });
});
