/**
 * Tool calls in OpenAI's shape, for real: stories260K behind the server with
 * Qwen 2.5's chat template (the Hermes `<tool_call>` format), through the
 * official openai client. `tool_choice: 'required'` or a named function
 * makes the grammar force a call (the toy model knows nothing of tools);
 * its arguments must parse and match the tool's schema, streamed and not.
 * Reasoning reaches the client as `reasoning_content`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHttpError } from '../../lib/server/errors';
import { LlamaError } from '../../lib/errors';
import { ROOT } from '../support/models';
import { startServer, type TestServer } from './support';

const QWEN = readFileSync(join(ROOT, 'vendor', 'llama.cpp', 'models', 'templates', 'Qwen-Qwen2.5-7B-Instruct.jinja'), 'utf8');
const QWEN3 = readFileSync(join(ROOT, 'vendor', 'llama.cpp', 'models', 'templates', 'Qwen-Qwen3-0.6B.jinja'), 'utf8');

const WEATHER = { type: 'object', properties: { city: { type: 'string', maxLength: 12 }, days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['city', 'days'] };
const TOOLS: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'The weather in a city.', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'The time in a zone.', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } } },
];
const MESSAGES = [{ role: 'user' as const, content: 'Weather in Paris?' }];
const ajv = new Ajv({ strict: false });
const validators = new Map(TOOLS.map((t) => [(t as { function: { name: string } }).function.name, ajv.compile((t as { function: { parameters: object } }).function.parameters)]));

/** Expects `call` to name one of the tools with arguments valid under its schema. */
function expectValidCall(call: { function: { name: string; arguments: string } }): void {
  const validate = validators.get(call.function.name);
  expect(validate, call.function.name).toBeDefined();
  expect(validate!(JSON.parse(call.function.arguments)), call.function.arguments).toBe(true);
}

let t: TestServer;
let thinking: TestServer;

beforeAll(async () => {
  t = await startServer({ parallel: 2, chat: { chatTemplate: QWEN } });
  thinking = await startServer({ chat: { chatTemplate: QWEN3 } }, t.model);
});
afterAll(async () => {
  await thinking?.close();
  await t?.close();
});

describe('tool calls', () => {
  it("tool_choice 'required': tool_calls with ids and schema-valid JSON arguments, finish_reason tool_calls, content null", async () => {
    const r = await t.client.chat.completions.create({
      model: 'x', messages: MESSAGES, max_tokens: 300, temperature: 0, tools: TOOLS, tool_choice: 'required', parallel_tool_calls: false,
    });
    const message = r.choices[0].message;
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(message.content).toBeNull();
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ type: 'function', id: expect.stringMatching(/^call_[0-9a-f]{24}$/) });
    expectValidCall(call);
  });

  it('streams a named function call in delta.tool_calls, then finish_reason tool_calls; no call text as content', async () => {
    const stream = await t.client.chat.completions.create({
      model: 'x', messages: MESSAGES, max_tokens: 300, temperature: 0, tools: TOOLS, stream: true,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const deltas = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]);
    const calls = deltas.flatMap((d) => d.delta.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0].function?.name).toBe('get_weather');
    expectValidCall(calls[0] as never);
    expect(deltas.map((d) => d.delta.content ?? '').join('')).toBe('');
    expect(deltas.at(-1)!.finish_reason).toBe('tool_calls');
    expect(deltas.slice(0, -1).every((d) => d.finish_reason === null)).toBe(true);
  });

  it("tool_choice 'auto' (the default) answers in text when the model writes no call", async () => {
    const r = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 16, temperature: 0, tools: TOOLS });
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.choices[0].message.tool_calls ?? []).toEqual([]);
    expect(r.choices[0].message.content!.length).toBeGreaterThan(0);
  });

  it('sends separated reasoning as reasoning_content, streamed and not', async () => {
    const grammar = 'root ::= "<think>\\n" [a-z ]{3,30} "\\n</think>\\n\\n" [a-z ]{3,30}';
    const body = { model: 'x', messages: MESSAGES, max_tokens: 200, temperature: 0, grammar } as never;
    const r = (await thinking.client.chat.completions.create(body)) as OpenAI.Chat.Completions.ChatCompletion;
    const message = r.choices[0].message as typeof r.choices[0]['message'] & { reasoning_content?: string };
    expect(message.reasoning_content).toMatch(/^[a-z ]+$/);
    expect(message.content).toMatch(/^[a-z ]+$/);
    expect(message.content).not.toContain('think');
    const stream = await thinking.client.chat.completions.create({ ...(body as object), stream: true } as never);
    let reasoning = '';
    let content = '';
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect(reasoning).toBe(message.reasoning_content);
    expect(content).toBe(message.content);
  });

  it('refuses malformed tools and tool_choice with 400 naming the field', async () => {
    const bad = (extra: Record<string, unknown>): Promise<unknown> => t.client.chat.completions.create({ model: 'x', messages: MESSAGES, ...extra } as never);
    await expect(bad({ tools: [{ type: 'nope' }] })).rejects.toMatchObject({ status: 400, error: { param: 'tools' } });
    await expect(bad({ tool_choice: 'required' })).rejects.toMatchObject({ status: 400, error: { param: 'tool_choice' } });
    await expect(bad({ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } })).rejects.toMatchObject({ status: 400 });
    await expect(bad({ tools: TOOLS, tool_choice: 'required', response_format: { type: 'json_object' } })).rejects.toMatchObject({ status: 400 });
  });

  it('maps library errors to HTTP errors', () => {
    expect(toHttpError(new LlamaError('CONTEXT_OVERFLOW', 'too long')).body().error.code).toBe('context_length_exceeded');
    expect(toHttpError(new LlamaError('INVALID_ARGUMENT', 'top_p must be in [0, 1], got 7')).param).toBe('top_p');
    expect(toHttpError(new Error('boom')).status).toBe(500);
  });
});
