/**
 * The parsed JSON value of a JSON-mode generation: `result.json` (and each
 * output's `json`), typed from a schema written `as const`, and a typed
 * INCOMPLETE_OUTPUT error when the generation stopped before the value was
 * complete.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { LlamaError, loadModel, type Context, type JsonSchemaToType, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';

let model: Model;
let context: Context;
beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 512, sequences: 2 });
});
afterAll(() => model?.dispose());

const MOOD = { enum: ['happy', 'sad'] } as const;

describe('result.json', () => {
  it('is the parsed value when the grammar ended the output', async () => {
    const r = await context.generate('Lily was', { json_schema: MOOD, max_new_tokens: 60 }).result;
    expect(r.finishReason).toBe('eos');
    expect(['happy', 'sad']).toContain(r.json);
    expect(r.json).toEqual(JSON.parse(r.text));
    expect(r.sequences[0]!.json).toEqual(r.json);
  });

  it('response_format json_object: an object', async () => {
    const r = await context.generate('Once upon a time', { response_format: { type: 'json_object' }, max_new_tokens: 120, do_sample: true, seed: 0 }).result;
    if (r.finishReason === 'eos') {
      expect(r.json).toEqual(JSON.parse(r.text));
      expect(typeof r.json).toBe('object');
    } else {
      expect(() => r.json).toThrow(LlamaError);
    }
  });

  it('throws INCOMPLETE_OUTPUT when max_new_tokens cut the value', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
    const r = await context.generate('Once upon a time', { json_schema: schema, max_new_tokens: 3 }).result;
    expect(r.finishReason).toBe('length');
    let error: unknown;
    try {
      void r.json;
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LlamaError);
    expect((error as LlamaError).code).toBe('INCOMPLETE_OUTPUT');
    expect((error as LlamaError).message).toMatch(/not a complete JSON value \(max_new_tokens .*\)/);
    // not enumerable: the result can still be logged, spread and serialized
    expect(() => JSON.stringify(r)).not.toThrow();
    expect(Object.keys(r)).not.toContain('json');
    expect('json' in r).toBe(true);
  });

  it('is absent without a JSON schema', async () => {
    const r = await context.generate('Once upon a time', { max_new_tokens: 2 }).result;
    expect('json' in r).toBe(false);
    expect(r.json).toBeUndefined();
  });

  it('every output has its own value', async () => {
    const r = await context.generate('Lily was', { json_schema: MOOD, max_new_tokens: 60, do_sample: true, num_return_sequences: 2, seed: 3 }).result;
    for (const s of r.sequences) {
      if (s.finishReason === 'eos') expect(s.json).toEqual(JSON.parse(s.text));
    }
  });
});

describe('JsonSchemaToType', () => {
  it('types the value of a schema written as const', () => {
    const tool = {
      type: 'object',
      properties: {
        name: { enum: ['get_weather', 'search'] },
        arguments: {
          type: 'object',
          properties: { city: { type: 'string' }, days: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } }, exact: { type: ['boolean', 'null'] } },
          required: ['city'],
          additionalProperties: false,
        },
      },
      required: ['name', 'arguments'],
      additionalProperties: false,
    } as const;
    expectTypeOf<JsonSchemaToType<typeof tool>>().toEqualTypeOf<{
      name: 'get_weather' | 'search';
      arguments: { city: string; days?: number; tags?: string[]; exact?: boolean | null };
    }>();
    expectTypeOf<JsonSchemaToType<{ const: 3 }>>().toEqualTypeOf<3>();
    expectTypeOf<JsonSchemaToType<{ anyOf: readonly [{ type: 'string' }, { type: 'number' }] }>>().toEqualTypeOf<string | number>();
    expectTypeOf<JsonSchemaToType<true>>().toEqualTypeOf<unknown>();
    // what it cannot follow is unknown, never narrower than the values
    expectTypeOf<JsonSchemaToType<{ $ref: '#/$defs/x' }>>().toEqualTypeOf<unknown>();
    expectTypeOf<JsonSchemaToType<{ type: 'array'; prefixItems: readonly [{ type: 'string' }] }>>().toEqualTypeOf<unknown[]>();
  });

  it('flows from generate() options to result.json', async () => {
    const schema = { type: 'object', properties: { mood: MOOD }, required: ['mood'], additionalProperties: false } as const;
    const g = context.generate('Lily was', { json_schema: schema, max_new_tokens: 1 });
    expectTypeOf<Awaited<typeof g.result>['json']>().toEqualTypeOf<{ mood: 'happy' | 'sad' } | undefined>();
    const f = context.generate('Lily was', { response_format: { type: 'json_schema', json_schema: { name: 'mood', schema } }, max_new_tokens: 1 });
    expectTypeOf<Awaited<typeof f.result>['json']>().toEqualTypeOf<{ mood: 'happy' | 'sad' } | undefined>();
    await Promise.all([g.result, f.result]);
  });
});
