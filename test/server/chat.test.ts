/**
 * The server's generation endpoints through the official `openai` client, on
 * stories260K: chat (non-streamed, streamed), completions, JSON schema,
 * logprobs with token text, n, stop, tools passed to the template. Greedy
 * answers are checked against the library's own generate() on the same
 * prompt.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../lib/index';
import { CHATML_WITH_TOOLS, startServer, type TestServer } from './support';

let t: TestServer;
let context: Context;

const MESSAGES = [{ role: 'user' as const, content: 'Tell me a story about a cat.' }];

beforeAll(async () => {
  t = await startServer({ parallel: 4, chat: { chatTemplate: CHATML_WITH_TOOLS } });
  context = await t.model.createContext({ contextSize: 1024, sequences: 2 });
});
afterAll(async () => {
  context?.dispose();
  await t?.close();
});

describe('POST /v1/chat/completions', () => {
  it('answers as generate() does for the same messages (greedy), with usage and finish_reason', async () => {
    const r = await t.client.chat.completions.create({ model: 'stories260K', messages: MESSAGES, max_tokens: 24, temperature: 0 });
    const expected = await context.generate(MESSAGES, { max_new_tokens: 24 }, { chatTemplate: CHATML_WITH_TOOLS }).result;
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe('stories260K');
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].message.role).toBe('assistant');
    expect(r.choices[0].message.content).toBe(expected.text);
    expect(r.choices[0].finish_reason).toBe(expected.finishReason === 'eos' ? 'stop' : 'length');
    expect(r.usage).toMatchObject({ prompt_tokens: expected.usage.promptTokens, completion_tokens: expected.tokens.length });
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
  });

  it('streams chunks whose contents make the answer; the last chunk of the choice carries finish_reason, then usage', async () => {
    const whole = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 40, temperature: 0 });
    const stream = await t.client.chat.completions.create({
      model: 'x', messages: MESSAGES, max_tokens: 40, temperature: 0, stream: true, stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(whole.choices[0].message.content);
    const withChoice = chunks.filter((c) => c.choices.length > 0);
    const finishes = withChoice.map((c) => c.choices[0].finish_reason);
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(finishes.at(-1)).toBe(whole.choices[0].finish_reason);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: whole.usage!.completion_tokens, prompt_tokens: whole.usage!.prompt_tokens });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
  });

  it('follows a JSON schema given as response_format', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false };
    const r = await t.client.chat.completions.create({
      model: 'x', messages: MESSAGES, max_tokens: 200, seed: 3,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    expect(r.choices[0].finish_reason).toBe('stop');
    const value = JSON.parse(r.choices[0].message.content!) as { name: unknown; age: unknown };
    expect(Object.keys(value).sort()).toEqual(['age', 'name']);
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.age)).toBe(true);
    // JSON mode: any object; a tiny model may still be inside a string when max_tokens stops it
    const mode = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 100, seed: 1, response_format: { type: 'json_object' } });
    const json = mode.choices[0].message.content!;
    if (mode.choices[0].finish_reason === 'stop') expect(typeof JSON.parse(json)).toBe('object');
    else expect(json.trimStart().startsWith('{')).toBe(true);
  });

  it('gives logprobs entries with the token text, the bytes and the top alternatives', async () => {
    const r = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 12, temperature: 0, logprobs: true, top_logprobs: 3 });
    const content = r.choices[0].logprobs!.content!;
    expect(content).toHaveLength(r.usage!.completion_tokens);
    expect(content.map((e) => e.token).join('')).toBe(r.choices[0].message.content);
    for (const e of content) {
      expect(Buffer.from(e.bytes!).toString('utf8')).toBe(e.token);
      expect(e.top_logprobs).toHaveLength(3);
      expect(e.top_logprobs[0].logprob).toBeGreaterThanOrEqual(e.top_logprobs[2].logprob);
      expect(e.logprob).toBeCloseTo(e.top_logprobs[0].logprob, 5); // greedy: the chosen token is the most likely
      expect(e.top_logprobs[0].token).toBe(e.token);
    }
  });

  it('returns n choices (num_return_sequences), each with its finish_reason', async () => {
    const r = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 10, n: 3, seed: 7 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of r.choices) expect(['stop', 'length']).toContain(c.finish_reason);
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    expect(r.usage!.completion_tokens).toBeLessThanOrEqual(30);
    const stream = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 10, n: 2, seed: 7, stream: true });
    const ends = new Map<number, string | null>();
    for await (const chunk of stream) for (const c of chunk.choices) if (c.finish_reason) ends.set(c.index, c.finish_reason);
    expect([...ends.keys()].sort()).toEqual([0, 1]);
  });

  it('stops before a stop string (OpenAI semantics) and takes transformers fields too', async () => {
    const free = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 30, temperature: 0 });
    const text = free.choices[0].message.content!;
    const word = text.trim().split(' ')[2];
    const r = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 30, temperature: 0, stop: [word] });
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.choices[0].message.content).toBe(text.slice(0, text.indexOf(word)));
    const hf = await t.client.chat.completions.create({
      model: 'x', messages: MESSAGES, max_tokens: 30, temperature: 0,
      // transformers / llama.cpp fields beside OpenAI's: the server's advantage
      ...({ repetition_penalty: 1.3, no_repeat_ngram_size: 2 } as object),
    });
    expect(hf.choices[0].message.content).not.toBe(text);
  });

  it('passes tools to the chat template', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const plain = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 1 });
    const withTools = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 1, tools, tool_choice: 'auto' });
    const rendered = context.model.tokenize(context.model.applyChatTemplate(MESSAGES, { chatTemplate: CHATML_WITH_TOOLS, tools }), { parseSpecial: true });
    expect(withTools.usage!.prompt_tokens).toBe(rendered.length);
    expect(withTools.usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens);
    // an assistant turn with tool calls (arguments as JSON text, as OpenAI sends them) and a tool result render too
    const r = await t.client.chat.completions.create({
      model: 'x', max_tokens: 4, tools,
      messages: [
        ...MESSAGES,
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    expect(r.choices[0].message.role).toBe('assistant');
  });
});

describe('server-wide config', () => {
  it('goes under every request: over the endpoint defaults, under the request', async () => {
    const s = await startServer({ config: { max_new_tokens: 5, temperature: 0 } }, t.model);
    try {
      const chat = await s.client.chat.completions.create({ model: 'x', messages: MESSAGES });
      expect(chat.usage!.completion_tokens).toBeLessThanOrEqual(5);
      const completion = await s.client.completions.create({ model: 'x', prompt: 'Once upon a time' });
      expect(completion.usage!.completion_tokens).toBe(5); // not OpenAI's 16
      const greedy = await context.generate('Once upon a time', { max_new_tokens: 5 }).result;
      expect(completion.choices[0].text).toBe(greedy.text);
      const longer = await s.client.completions.create({ model: 'x', prompt: 'Once upon a time', max_tokens: 9 });
      expect(longer.usage!.completion_tokens).toBe(9);
    } finally {
      await s.close();
    }
    await expect(startServer({ config: { top_q: 1 } as never }, t.model)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('POST /v1/completions', () => {
  it('completes the prompt as generate() does (greedy), OpenAI default of 16 tokens', async () => {
    const r = await t.client.completions.create({ model: 'x', prompt: 'Once upon a time', temperature: 0 });
    const expected = await context.generate('Once upon a time', { max_new_tokens: 16 }).result;
    expect(r.object).toBe('text_completion');
    expect(r.choices[0].text).toBe(expected.text);
    expect(r.usage).toMatchObject({ prompt_tokens: expected.usage.promptTokens, completion_tokens: 16 });
    expect(r.choices[0].finish_reason).toBe('length');
  });

  it('takes several prompts and token ids, echo, and streams with finish_reason on each choice', async () => {
    const ids = Array.from(t.model.tokenize('The cat'));
    const r = await t.client.completions.create({ model: 'x', prompt: ['Once upon a time', 'The dog'], max_tokens: 8, temperature: 0, echo: true });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(r.choices[0].text.startsWith('Once upon a time')).toBe(true);
    expect(r.choices[1].text.startsWith('The dog')).toBe(true);
    const byIds = await t.client.completions.create({ model: 'x', prompt: ids, max_tokens: 8, temperature: 0 });
    const byText = await t.client.completions.create({ model: 'x', prompt: 'The cat', max_tokens: 8, temperature: 0 });
    expect(byIds.choices[0].text).toBe(byText.choices[0].text);

    const stream = await t.client.completions.create({ model: 'x', prompt: ['Once upon a time', 'The dog'], max_tokens: 8, temperature: 0, stream: true });
    const texts = ['', ''];
    const ends: Array<string | null> = [null, null];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.text;
        if (c.finish_reason) ends[c.index] = c.finish_reason;
      }
    }
    expect(texts[0]).toBe(r.choices[0].text.slice('Once upon a time'.length));
    expect(texts[1]).toBe(r.choices[1].text.slice('The dog'.length));
    expect(ends).toEqual([r.choices[0].finish_reason, r.choices[1].finish_reason]);
  });

  it('gives the legacy logprobs object (tokens, token_logprobs, top_logprobs, text_offset)', async () => {
    const r = await t.client.completions.create({ model: 'x', prompt: 'Once upon a time', max_tokens: 6, temperature: 0, logprobs: 2 });
    const lp = r.choices[0].logprobs!;
    expect(lp.tokens!.join('')).toBe(r.choices[0].text);
    expect(lp.token_logprobs).toHaveLength(6);
    expect(Object.keys(lp.top_logprobs![0])).toHaveLength(2);
    expect(lp.text_offset![0]).toBe(0);
    expect(lp.text_offset![1]).toBe(lp.tokens![0].length);
  });
});
