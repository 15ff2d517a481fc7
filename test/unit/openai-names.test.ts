/**
 * OpenAI's names for JSON output and length: `response_format` (an alias of
 * json_schema whose value is read into a schema) and `max_completion_tokens`
 * (an alias of max_new_tokens). Regression: both were "unknown generation
 * option" errors.
 */
import { describe, expect, it } from 'vitest';
import { generationConfigLayer, resolveConfig, type GenerationConfigInput } from '../../lib/config';
import { configFlags } from '../../lib/cli/configFlags';
import { LlamaError } from '../../lib/errors';
import { jsonSchemaToGbnf } from '../../lib/grammar';
import { planContext } from '../../lib/sampling';
import { planChain } from '../../lib/sampling/plan';

/** The INVALID_ARGUMENT message of resolving `input`. */
function invalid(input: Record<string, unknown>): string {
  try {
    resolveConfig(input as GenerationConfigInput);
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
    return (err as LlamaError).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

const SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;

describe('response_format', () => {
  it("{type: 'json_object'} is json_schema {type: 'object'}: any JSON object", () => {
    const { values, sources } = resolveConfig({ response_format: { type: 'json_object' } });
    expect(values.json_schema).toEqual({ type: 'object' });
    expect(sources.json_schema).toBe('call');
    expect('response_format' in values).toBe(false);
  });

  it("{type: 'json_schema', json_schema: {name, schema, strict}} is that schema", () => {
    const { values } = resolveConfig({ response_format: { type: 'json_schema', json_schema: { name: 'person', schema: SCHEMA, strict: true } } });
    expect(values.json_schema).toEqual(SCHEMA);
    expect(Object.isFrozen(values.json_schema)).toBe(true);
    expect(resolveConfig({ response_format: { type: 'json_schema', json_schema: { name: 'x', strict: false, schema: true } } }).values.json_schema).toBe(true);
    // without a schema: any JSON value, as in llama-server
    expect(resolveConfig({ response_format: { type: 'json_schema', json_schema: { name: 'anything' } } }).values.json_schema).toEqual({});
  });

  it("{type: 'text'} is no constraint", () => {
    expect(resolveConfig({ response_format: { type: 'text' } }).values.json_schema).toBeUndefined();
    // it resets a json_schema of a lower layer
    const layer = generationConfigLayer({ json_schema: SCHEMA });
    expect(resolveConfig(layer, { response_format: { type: 'text' } }).values.json_schema).toBeUndefined();
    expect(resolveConfig({ response_format: { type: 'text' }, grammar: 'root ::= "a"' }).values.grammar).toBe('root ::= "a"');
  });

  it('may repeat json_schema but not contradict it, nor come with a grammar', () => {
    expect(resolveConfig({ json_schema: SCHEMA, response_format: { type: 'json_schema', json_schema: { schema: SCHEMA } } }).values.json_schema).toEqual(SCHEMA);
    expect(invalid({ json_schema: SCHEMA, response_format: { type: 'json_object' } })).toMatch(/^json_schema and its alias response_format are both set/);
    expect(invalid({ json_schema: SCHEMA, response_format: { type: 'text' } })).toMatch(/^json_schema and its alias response_format are both set/);
    expect(invalid({ grammar: 'root ::= "a"', response_format: { type: 'json_object' } })).toMatch(/^grammar and json_schema are both set/);
  });

  it.each([
    ['json_object', /^response_format must be an object such as \{ type: 'json_object' \}, got "json_object"/],
    [{ type: 'json' }, /^response_format.type must be one of 'text', 'json_object', 'json_schema', got "json"/],
    [{ type: 'json_object', schema: {} }, /^response_format has an unknown key 'schema' \(known: type\)/],
    [{ type: 'json_schema' }, /^response_format.json_schema must be an object/],
    [{ type: 'json_schema', json_schema: { schema: SCHEMA, extra: 1 } }, /^response_format.json_schema has an unknown key 'extra'/],
    [{ type: 'json_schema', json_schema: { schema: 'x' } }, /^response_format.json_schema.schema must be a JSON Schema object or a boolean/],
    [{ type: 'json_schema', json_schema: { schema: null } }, /^response_format.json_schema.schema must be/],
    [{ type: 'json_schema', json_schema: { name: '', schema: SCHEMA } }, /^response_format.json_schema.name must be a non-empty string/],
    [{ type: 'json_schema', json_schema: { schema: SCHEMA, strict: 'yes' } }, /^response_format.json_schema.strict must be a boolean/],
  ])('refuses %j', (value, message) => {
    expect(invalid({ response_format: value })).toMatch(message);
  });

  it('in a generation_config.json too', () => {
    expect(generationConfigLayer({ response_format: { type: 'json_object' } }).values).toEqual({ json_schema: { type: 'object' } });
  });

  it('reaches the sampler plan as the grammar of its schema (the json_schema path)', () => {
    const grammarOf = (input: GenerationConfigInput): unknown => {
      const { values } = resolveConfig(input);
      return planChain(values, planContext(values, 32, undefined)).stages.find((s) => s.kind === 'grammar')?.grammar;
    };
    expect(grammarOf({ response_format: { type: 'json_object' } })).toBe(jsonSchemaToGbnf({ type: 'object' }));
    expect(grammarOf({ response_format: { type: 'json_schema', json_schema: { name: 'p', schema: SCHEMA } } })).toBe(jsonSchemaToGbnf(SCHEMA));
    expect(grammarOf({ response_format: { type: 'json_object' } })).toBe(grammarOf({ json_schema: { type: 'object' } }));
    expect(grammarOf({ response_format: { type: 'text' } })).toBeUndefined();
  });
});

describe('max_completion_tokens', () => {
  it('is max_new_tokens', () => {
    const { values, sources } = resolveConfig({ max_completion_tokens: 12 });
    expect(values.max_new_tokens).toBe(12);
    expect(sources.max_new_tokens).toBe('call');
    expect(resolveConfig({ max_completion_tokens: 5, max_tokens: 5, max_new_tokens: 5 }).values.max_new_tokens).toBe(5);
  });

  it('must agree with max_tokens and max_new_tokens', () => {
    expect(invalid({ max_new_tokens: 8, max_completion_tokens: 7 })).toBe('max_new_tokens and its alias max_completion_tokens are both set, to 8 and 7');
    expect(invalid({ max_completion_tokens: 7, max_new_tokens: 8 })).toBe('max_new_tokens and its alias max_completion_tokens are both set, to 8 and 7');
    expect(invalid({ max_tokens: 5, max_completion_tokens: 6 })).toBe('max_tokens and max_completion_tokens (both max_new_tokens) are both set, to 5 and 6');
  });

  it('is a command-line flag, as max_tokens is; response_format is not (--json-schema is JSON mode there)', () => {
    const names = new Set(configFlags().map((f) => f.name));
    expect(names.has('max-completion-tokens')).toBe(true);
    expect(names.has('response-format')).toBe(false);
  });
});
