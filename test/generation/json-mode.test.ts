/**
 * JSON mode under OpenAI's names, end to end on stories260K: generate() with
 * `response_format` gives the start of a JSON object (all of one when the
 * model ends it), and `max_completion_tokens` bounds the length.
 */
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type Model } from '../../lib/index';
import { jsonPrefixState } from '../support/json-prefix';
import { STORIES_MODEL } from '../support/models';

let model: Model;
let context: Context;
beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 256 });
});
afterAll(() => model?.dispose());

const PROMPT = 'Once upon a time';

describe('jsonPrefixState (the test oracle)', () => {
  it.each([
    ['', 'prefix'], ['{', 'prefix'], ['{"a', 'prefix'], ['{"a":', 'prefix'], ['{"a": -', 'prefix'], ['{"a": 1.', 'prefix'], ['{"a": tr', 'prefix'],
    ['{"a": "\\u00', 'prefix'], ['{"a": [1, {"b": null}', 'prefix'], ['{}', 'complete'], [' {"a": [1, 2e5, "x\\n"]} ', 'complete'],
    ['[', 'invalid'], ['{a', 'invalid'], ['{"a" 1', 'invalid'], ['{"a": 01', 'invalid'], ['{"a": tx', 'invalid'], ['{} x', 'invalid'], ['{"a":"\n', 'invalid'],
  ])('%j is %s', (text, state) => {
    expect(jsonPrefixState(text)).toBe(state);
  });
});

describe("response_format: { type: 'json_object' }", () => {
  it('greedy: the text is a JSON object, or the start of one when max_new_tokens cut it', async () => {
    const r = await context.generate(PROMPT, { response_format: { type: 'json_object' }, max_new_tokens: 40 }).result;
    expect(r.tokens.length).toBeGreaterThan(0);
    expect(r.tokens.length).toBeLessThanOrEqual(40);
    expect(jsonPrefixState(r.text), r.text).not.toBe('invalid');
    if (r.finishReason !== 'length') expect(JSON.parse(r.text), r.text).toBeTypeOf('object');
  });

  it('sampled, several seeds, with max_completion_tokens', async () => {
    let finished = 0;
    for (let seed = 0; seed < 8; seed++) {
      const options = { response_format: { type: 'json_object' }, max_completion_tokens: 40, do_sample: true, temperature: 1, top_k: 0, seed } as const;
      const r = await context.generate(PROMPT, options).result;
      expect(r.tokens.length, `seed ${seed}`).toBeLessThanOrEqual(40);
      expect(jsonPrefixState(r.text), `seed ${seed}: ${r.text}`).not.toBe('invalid');
      if (r.finishReason === 'length') continue;
      const value = JSON.parse(r.text) as unknown;
      expect(value !== null && typeof value === 'object' && !Array.isArray(value), `seed ${seed}: ${r.text}`).toBe(true);
      finished++;
    }
    expect(finished).toBeGreaterThan(0); // seed 0 closes its object within 40 tokens
  });
});

describe("response_format: { type: 'json_schema' }", () => {
  it('the output follows the schema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 8 }, mood: { enum: ['happy', 'sad'] } },
      required: ['name', 'mood'],
      additionalProperties: false,
    } as const;
    const validate = new Ajv().compile(schema);
    for (let seed = 0; seed < 4; seed++) {
      const r = await context.generate(PROMPT, {
        response_format: { type: 'json_schema', json_schema: { name: 'character', schema, strict: true } },
        max_new_tokens: 60,
        do_sample: true,
        seed,
      }).result;
      expect(jsonPrefixState(r.text), `seed ${seed}: ${r.text}`).not.toBe('invalid');
      if (r.finishReason !== 'length') expect(validate(JSON.parse(r.text)), `seed ${seed}: ${r.text}`).toBe(true);
    }
  });
});
