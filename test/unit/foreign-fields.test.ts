/**
 * OpenAI's (and llama.cpp's server's) request fields that are not generation
 * options name what to use instead (issue 14), from the one table in
 * lib/config/foreign.ts; the server drops only the bookkeeping ones.
 */
import { describe, expect, it } from 'vitest';
import { ALIASES, FIELD_NAMES, generationConfigLayer, resolveConfig } from '../../lib/config';
import { FOREIGN_FIELDS, SERVER_IGNORED_FIELDS } from '../../lib/config/foreign';
import { HF_METADATA_KEYS, HF_UNSUPPORTED } from '../../lib/config/meta';
import { validateOptions } from '../../lib/config/validate';
import { LlamaError } from '../../lib/errors';
import { HttpError } from '../../lib/server/errors';
import { IGNORED_FIELDS, requestConfig, splitRequest } from '../../lib/server/requestConfig';

/** The message of the INVALID_ARGUMENT a call with `options` throws. */
function invalid(options: Record<string, unknown>): string {
  try {
    validateOptions(options, 'call');
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
    return (err as LlamaError).message;
  }
  throw new Error(`${JSON.stringify(options)} was accepted`);
}

/** Names a foreign field may point to that are not generation options: chat request fields and generate() options. */
const ELSEWHERE = new Set(['tools', 'tool_choice', 'toolChoice', 'parallelToolCalls', 'templateKwargs']);

describe('foreign request fields name the supported equivalent', () => {
  it.each([
    ['functions', 'tools'],
    ['function_call', 'tool_choice'],
    ['tool_choice', 'toolChoice'],
    ['max_output_tokens', 'max_new_tokens'],
    ['reasoning_effort', 'templateKwargs'],
    ['prediction', 'prompt_lookup_num_tokens'],
    ['best_of', 'num_beams'],
    ['n_predict', 'max_new_tokens'],
    ['repeat_last_n', 'penalty_last_n'],
    ['n_probs', 'top_logprobs'],
    ['t_max_predict_ms', 'max_time'],
  ])('%s → %s', (key, use) => {
    expect(invalid({ [key]: 1 })).toMatch(new RegExp(`^unsupported generation option '${key}' \\((OpenAI|llama.cpp's server)\\): use '${use}'; `));
  });

  it('every entry gives an error that names the field and says what to do', () => {
    for (const [key, field] of Object.entries(FOREIGN_FIELDS)) {
      const message = invalid({ [key]: 'x' });
      expect(message.startsWith(`unsupported generation option '${key}' (${field.api}): `), message).toBe(true);
      expect(message).toContain(field.note);
      expect(field.note.length).toBeGreaterThan(20);
    }
    expect(invalid({ stream: true })).toMatch(/generate\(\) always streams/);
    expect(invalid({ tools: [] })).toMatch(/^unsupported generation option 'tools' \(OpenAI\): not a generation config field: a field of a chat request to the server, or generate\(\)'s tools option/);
    expect(invalid({ modalities: ['text', 'audio'] })).toMatch(/text output only/);
    expect(invalid({ web_search_options: {} })).toMatch(/no web search/);
  });

  it('the table names no generation option, and each equivalent exists', () => {
    const options = new Set<string>([...FIELD_NAMES, ...Object.keys(ALIASES)]);
    for (const [key, field] of Object.entries(FOREIGN_FIELDS)) {
      expect(options.has(key), `${key} is a generation option`).toBe(false);
      expect(Object.hasOwn(HF_UNSUPPORTED, key) || HF_METADATA_KEYS.has(key), key).toBe(false);
      if (field.use !== undefined) expect(options.has(field.use) || ELSEWHERE.has(field.use), `${key} → ${field.use}`).toBe(true);
    }
  });

  it("OpenAI's names that are generation options are accepted", () => {
    const config = resolveConfig({
      max_tokens: 5,
      stop: ['\n'],
      n: 1,
      response_format: { type: 'json_object' },
      logit_bias: { 1: -1 },
      logprobs: true,
      top_logprobs: 2,
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
      seed: 1,
      temperature: 0.7,
      top_p: 0.9,
    });
    expect(config.values.max_new_tokens).toBe(5);
    expect(resolveConfig({ max_completion_tokens: 7 }).values.max_new_tokens).toBe(7);
  });

  it('a generation_config.json with one is read with a warning naming the equivalent', () => {
    const layer = generationConfigLayer({ n_predict: 32, do_sample: true });
    expect(layer.warnings).toEqual([
      "generation_config: `n_predict` is ignored: unsupported generation option 'n_predict' (llama.cpp's server): use 'max_new_tokens'; llama.cpp's name for max_new_tokens",
    ]);
  });
});

describe('the server', () => {
  it('drops exactly the bookkeeping fields of the table', () => {
    expect(IGNORED_FIELDS).toEqual(SERVER_IGNORED_FIELDS);
    expect([...IGNORED_FIELDS].sort()).toEqual(['cache_prompt', 'metadata', 'prompt_cache_key', 'safety_identifier', 'service_tier', 'store', 'user']);
    const { config } = splitRequest({ messages: [], user: 'u', store: false, metadata: {}, cache_prompt: true, top_k: 3 }, ['messages']);
    expect(config).toEqual({ top_k: 3 });
  });

  it('answers the others with a 400 naming the field and the equivalent', () => {
    for (const [key, use] of [['functions', 'tools'], ['function_call', 'tool_choice'], ['n_predict', 'max_new_tokens']]) {
      let error: unknown;
      try {
        requestConfig([], {}, { [key!]: 1 });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(HttpError);
      const body = (error as HttpError).body();
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param: key });
      expect(body.error.message).toContain(`use '${use}'`);
    }
  });
});
