/**
 * Tool calls in OpenAI's shape. The library's tool-call parsing (issue 15 §2)
 * reports `toolCalls: [{ id, name, arguments }]` on a result (and may on
 * chunks); here the context's generate() is wrapped to add them to a real
 * generation, so the server's mapping to `tool_calls` is checked through the
 * openai client, streamed and not, with the options it passes down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, GenerateOptions, Generation } from '../../lib/index';
import { toHttpError } from '../../lib/server/errors';
import { unsupportedToolOption } from '../../lib/server/toolCalls';
import { LlamaError } from '../../lib/errors';
import { CHATML_WITH_TOOLS, startServer, type TestServer } from './support';

let t: TestServer;
let seen: GenerateOptions[] = [];

const TOOLS = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
const CALLS = [
  { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
  { name: 'get_weather', arguments: '{"city":"Oslo"}' },
];

/** Wraps `context.generate` so results carry `toolCalls` and `reasoning`, as the library's parser will report them. */
function withToolCalls(context: Context): void {
  const generate = context.generate.bind(context);
  context.generate = ((input, config, options: GenerateOptions & { toolChoice?: unknown; parallelToolCalls?: unknown } = {}) => {
    seen.push(options);
    const { toolChoice: _c, parallelToolCalls: _p, ...rest } = options;
    const generation = generate(input, config, rest);
    const result = generation.result.then((r) => {
      const sequences = r.sequences.map((s) => ({ ...s, text: '', toolCalls: CALLS, reasoning: 'I should call a tool.', finishReason: 'tool_calls' as never }));
      return { ...r, ...sequences[0], sequences };
    });
    return {
      get result() {
        return result;
      },
      abort: () => generation.abort(),
      async *[Symbol.asyncIterator]() {
        for await (const chunk of generation) void chunk; // the call's text is not content
      },
    } as unknown as Generation;
  }) as Context['generate'];
}

beforeAll(async () => {
  t = await startServer({ parallel: 2, chat: { chatTemplate: CHATML_WITH_TOOLS } });
  withToolCalls(t.server.context!);
});
afterAll(async () => {
  await t?.close();
});

describe('tool calls', () => {
  it('maps toolCalls to tool_calls with ids and JSON arguments, finish_reason tool_calls, reasoning_content', async () => {
    seen = [];
    const r = await t.client.chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'Weather?' }], max_tokens: 4, tools: TOOLS, tool_choice: 'required', parallel_tool_calls: true,
    });
    const message = r.choices[0].message;
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(message.content).toBeNull();
    expect(message.tool_calls).toEqual([
      { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { index: 1, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ]);
    expect((message as unknown as { reasoning_content: string }).reasoning_content).toBe('I should call a tool.');
    expect(seen[0]).toMatchObject({ tools: TOOLS, toolChoice: 'required', parallelToolCalls: true, includeStopString: false });
  });

  it('streams the tool calls before the finishing chunk', async () => {
    const stream = await t.client.chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'Weather?' }], max_tokens: 4, tools: TOOLS, stream: true,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const deltas = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]);
    const calls = deltas.flatMap((d) => d.delta.tool_calls ?? []);
    expect(calls.map((c) => c.function?.arguments)).toEqual(['{"city":"Paris"}', '{"city":"Oslo"}']);
    expect(deltas.at(-1)!.finish_reason).toBe('tool_calls');
    expect(seen.at(-1)).toMatchObject({ toolChoice: { type: 'function', function: { name: 'get_weather' } } });
  });

  it('refuses malformed tools and tool_choice with 400 naming the field', async () => {
    await expect(t.client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'nope' } as never] })).rejects.toMatchObject({
      status: 400,
      error: { param: 'tools' },
    });
    await expect(t.client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }], tool_choice: 'required' })).rejects.toMatchObject({
      status: 400,
      error: { param: 'tool_choice' },
    });
  });

  it("says which field a library without tool-call parsing refuses (generate()'s unknown-option error)", () => {
    expect(unsupportedToolOption("unknown generate options key 'toolChoice' (known: signal, sequence)")).toBe('tool_choice');
    expect(unsupportedToolOption("unknown generate options key 'parallelToolCalls' (known: signal)")).toBe('parallel_tool_calls');
    expect(unsupportedToolOption("unknown generate options key 'other' (known: signal)")).toBeUndefined();
    expect(toHttpError(new LlamaError('CONTEXT_OVERFLOW', 'too long')).body().error.code).toBe('context_length_exceeded');
    expect(toHttpError(new LlamaError('INVALID_ARGUMENT', 'top_p must be in [0, 1], got 7')).param).toBe('top_p');
    expect(toHttpError(new Error('boom')).status).toBe(500);
  });
});
