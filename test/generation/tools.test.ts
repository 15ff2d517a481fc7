/**
 * Tool calls and reasoning through generate() on stories260K with the real
 * chat templates. The toy model knows nothing of tools, so the calls come
 * from the grammar (`toolChoice: 'required'` or a named tool): what is
 * checked is the plumbing end to end — the template's own format
 * generated, parsed back, arguments valid under the tool's schema (ajv), the
 * calls rendered back by the template — plus `auto` leaving free text free,
 * reasoning separated in the result and the stream, and the finish reason
 * on every output's last chunk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, toolCallFamily, type Context, type GenerationChunk, type Model, type ToolCallFamily } from '../../lib/index';
import { expectLlamaError } from '../support/errors';
import { ROOT, STORIES_MODEL } from '../support/models';

const template = (name: string): string => readFileSync(join(ROOT, 'vendor', 'llama.cpp', 'models', 'templates', `${name}.jinja`), 'utf8');

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather in a city.',
      parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 }, days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['city', 'days'] },
    },
  },
  { type: 'function', function: { name: 'get_time', description: 'The time in a zone.', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } } },
];
const ajv = new Ajv({ strict: false });
const validators = new Map(TOOLS.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));
const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const GREEDY = { max_new_tokens: 400, do_sample: false };

let model: Model;
let context: Context;

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 4096 });
});
afterAll(() => model?.dispose());

async function collect(generation: AsyncIterable<GenerationChunk>): Promise<GenerationChunk[]> {
  const chunks: GenerationChunk[] = [];
  for await (const chunk of generation) chunks.push(chunk);
  return chunks;
}

describe('tool calls round-trip through the real templates', () => {
  const CASES: Array<[string, ToolCallFamily]> = [
    ['Qwen-Qwen2.5-7B-Instruct', 'hermes'],
    ['meta-llama-Llama-3.1-8B-Instruct', 'llama3'],
    ['mistralai-Mistral-Nemo-Instruct-2407', 'mistral'],
    ['Mistral-Small-3.2-24B-Instruct-2506', 'mistral-args'],
    ['deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', 'deepseek-r1'],
    ['deepseek-ai-DeepSeek-V3.1', 'deepseek-v3'],
    ['openai-gpt-oss-120b', 'gpt-oss'],
    ['meetkai-functionary-medium-v3.1', 'functionary-v3.1'],
    ['meetkai-functionary-medium-v3.2', 'functionary-v3.2'],
    ['microsoft-Phi-3.5-mini-instruct', 'generic'],
  ];
  for (const [name, family] of CASES) {
    it(`${name} (${family}): forced calls parse, match their schemas and render back`, async () => {
      const chatTemplate = template(name);
      expect(toolCallFamily(chatTemplate)).toBe(family);
      for (const toolChoice of ['required', { type: 'function', function: { name: 'get_weather' } }] as const) {
        const generation = context.generate(messages, GREEDY, { chatTemplate, tools: TOOLS, toolChoice, parallelToolCalls: false });
        const chunks = await collect(generation);
        const r = await generation.result;
        expect(r.toolCalls, r.rawText).toHaveLength(1);
        expect(r.finishReason).toBe('tool_calls');
        expect(r.text).toBe('');
        const [call] = r.toolCalls!;
        if (typeof toolChoice === 'object') expect(call.name).toBe('get_weather');
        const validate = validators.get(call.name)!;
        expect(validate(JSON.parse(call.arguments)), call.arguments).toBe(true);
        // the stream: no call text as answer text; the calls and the finish reason on the last chunk
        expect(chunks.map((c) => c.text).join('')).toBe('');
        expect(chunks.at(-1)).toMatchObject({ finishReason: 'tool_calls', toolCalls: r.toolCalls });
        expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined && c.toolCalls === undefined)).toBe(true);
        // the template takes the call back (arguments as an object, as most templates expect, else as the JSON text)
        if (family === 'generic') continue; // a template with no tool-call format does not show calls
        const back = (args: string | Record<string, unknown>): string => {
          const history = [...messages, { role: 'assistant', content: '', tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: args } }] }];
          return model.applyChatTemplate(history, { chatTemplate, tools: TOOLS, addGenerationPrompt: false });
        };
        let rendered: string;
        try {
          rendered = back(JSON.parse(call.arguments));
        } catch {
          rendered = back(call.arguments);
        }
        expect(rendered).toContain(call.name);
      }
    });
  }

  it('parallel calls where the format holds several: every call valid', async () => {
    const r = await context.generate(messages, GREEDY, { chatTemplate: template('Qwen-Qwen2.5-7B-Instruct'), tools: TOOLS, toolChoice: 'required' }).result;
    expect(r.toolCalls!.length).toBeGreaterThanOrEqual(1);
    for (const call of r.toolCalls!) expect(validators.get(call.name)!(JSON.parse(call.arguments))).toBe(true);
  });
});

describe('toolChoice auto and none', () => {
  it('auto leaves free text free: the same text as with no tools grammar (none), no calls', async () => {
    const chatTemplate = template('Qwen-Qwen2.5-7B-Instruct');
    const config = { max_new_tokens: 40, do_sample: false };
    const auto = await context.generate(messages, config, { chatTemplate, tools: TOOLS }).result;
    const none = await context.generate(messages, config, { chatTemplate, tools: TOOLS, toolChoice: 'none' }).result;
    expect(auto.text).toBe(none.text);
    expect(auto.text.length).toBeGreaterThan(20);
    expect(auto.toolCalls).toBeUndefined();
    expect(auto.finishReason).toBe('length');
    // none: the tools are still in the prompt
    expect(none.chat!.text).toContain('get_weather');
  });

  it('auto: once the model opens a call, the lazy grammar makes it a valid call', async () => {
    // the toy model never writes <tool_call> itself: sequence_bias walks it through the opening, then the grammar takes over
    const opening = Array.from(model.tokenize('Sure.\n<tool_call>', { addSpecial: false }));
    const sequence_bias = opening.map((_, i) => [opening.slice(0, i + 1), 50 * (i + 1)] as [number[], number]);
    const generation = context.generate(messages, { max_new_tokens: 300, do_sample: false, sequence_bias }, { chatTemplate: template('Qwen-Qwen2.5-7B-Instruct'), tools: TOOLS, parallelToolCalls: false });
    const chunks = await collect(generation);
    const r = await generation.result;
    expect(r.rawText).toMatch(/^\s*Sure\.\n<tool_call>/);
    expect(r.toolCalls, r.rawText).toHaveLength(1);
    expect(validators.get(r.toolCalls![0].name)!(JSON.parse(r.toolCalls![0].arguments))).toBe(true);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.text).toBe('Sure.');
    expect(chunks.map((c) => c.text).join('')).toBe('Sure.');
  });

  it("auto's lazy triggers run natively for every family (reasoning-aware and anchored patterns included)", async () => {
    const names = ['Qwen-Qwen3-0.6B', 'meta-llama-Llama-3.1-8B-Instruct', 'openai-gpt-oss-120b', 'meetkai-functionary-medium-v3.2', 'deepseek-ai-DeepSeek-R1-Distill-Llama-8B', 'microsoft-Phi-3.5-mini-instruct'];
    for (const name of names) {
      const r = await context.generate(messages, { max_new_tokens: 24, do_sample: false }, { chatTemplate: template(name), tools: TOOLS }).result;
      expect(r.finishReason, name).toBe('length');
      expect(r.toolCalls, name).toBeUndefined();
      expect((r.reasoning ?? '') + r.text, name).not.toBe('');
    }
  });
});

describe('reasoning', () => {
  const THINKING = template('Qwen-Qwen3-0.6B');

  it('separates <think>...</think> into reasoning, in the result and in the chunks', async () => {
    const grammar = 'root ::= "<think>\\n" [a-z ]{3,30} "\\n</think>\\n\\n" [a-z ]{3,30}';
    const generation = context.generate(messages, { max_new_tokens: 200, do_sample: false, grammar }, { chatTemplate: THINKING });
    const chunks = await collect(generation);
    const r = await generation.result;
    expect(r.rawText).toMatch(/^<think>\n[a-z ]+\n<\/think>\n\n[a-z ]+$/);
    expect(r.reasoning).toBe(/<think>\n([a-z ]+)\n/.exec(r.rawText!)![1].trim());
    expect(r.text).toBe(r.rawText!.split('</think>\n\n')[1]);
    expect(chunks.map((c) => c.reasoning ?? '').join('')).toBe(r.reasoning);
    expect(chunks.map((c) => c.text).join('')).toBe(r.text);
    expect(chunks.at(-1)!.finishReason).toBe('eos');
    // parseReasoning: false keeps the output as generated
    const raw = await context.generate(messages, { max_new_tokens: 200, do_sample: false, grammar }, { chatTemplate: THINKING, parseReasoning: false }).result;
    expect(raw.text).toBe(r.rawText);
    expect(raw.reasoning).toBeUndefined();
  });

  it('starts inside the reasoning when the generation prompt opens <think>', async () => {
    const chatTemplate = template('deepseek-ai-DeepSeek-R1-Distill-Llama-8B');
    expect(model.applyChatTemplate(messages, { chatTemplate })).toMatch(/<think>\n$/);
    const grammar = 'root ::= [a-z ]{3,30} "</think>" [a-z ]{3,30}';
    const r = await context.generate(messages, { max_new_tokens: 200, do_sample: false, grammar }, { chatTemplate }).result;
    const [thought, answer] = r.rawText!.split('</think>');
    expect(r.reasoning).toBe(thought.trim());
    expect(r.text).toBe(answer.trimStart());
    // never closed (cut by max_new_tokens): all of it is reasoning
    const cut = await context.generate(messages, { max_new_tokens: 10, do_sample: false }, { chatTemplate }).result;
    expect(cut.text).toBe('');
    expect(cut.reasoning).toBe(cut.rawText!.trim());
  });

  it("reads gpt-oss's channels: analysis as reasoning, final as the answer", async () => {
    const grammar = 'root ::= "<|channel|>analysis<|message|>" [a-z ]{3,20} "<|end|><|start|>assistant<|channel|>final<|message|>" [a-z ]{3,20}';
    const r = await context.generate(messages, { max_new_tokens: 300, do_sample: false, grammar }, { chatTemplate: template('openai-gpt-oss-120b') }).result;
    const m = /analysis<\|message\|>([a-z ]+)<\|end\|>.*final<\|message\|>([a-z ]+)$/.exec(r.rawText!)!;
    expect(r.reasoning).toBe(m[1].trim());
    expect(r.text).toBe(m[2].trim());
  });
});

describe('finish reason on the last chunk', () => {
  it('every output of a text generation ends with a chunk carrying its finish reason', async () => {
    const generation = context.generate('Once upon a time', { max_new_tokens: 8, num_return_sequences: 1 });
    const chunks = await collect(generation);
    const r = await generation.result;
    expect(chunks.at(-1)!.finishReason).toBe(r.finishReason);
    expect(chunks.filter((c) => c.finishReason !== undefined)).toHaveLength(1);
    expect(chunks.map((c) => c.text).join('')).toBe(r.text);
  });
});

describe('bad tool options', () => {
  const chatTemplate = template('Qwen-Qwen2.5-7B-Instruct');
  it('are INVALID_ARGUMENT before anything runs', () => {
    const bad: Array<[Record<string, unknown>, RegExp, Record<string, unknown>?]> = [
      [{ tools: TOOLS, toolChoice: { type: 'function', function: { name: 'nope' } } }, /not one of the tools/],
      [{ tools: [{ type: 'function', function: { description: 'no name' } }], toolChoice: 'required' }, /tools\[0\]\.function\.name/],
      [{ tools: [TOOLS[0], TOOLS[0]] }, /used by another tool/],
      [{ toolChoice: 'required' }, /needs tools/],
      [{ tools: TOOLS, toolChoice: 'sometimes' }, /toolChoice must be/],
      [{ tools: TOOLS, parallelToolCalls: 'yes' }, /parallelToolCalls must be a boolean/],
      [{ tools: TOOLS, toolChoice: 'required' }, /cannot be combined with grammar/, { grammar: 'root ::= "x"' }],
      [{ tools: TOOLS }, /cannot be combined with grammar, json_schema/, { json_schema: { type: 'object' } }],
    ];
    for (const [options, message, config] of bad) {
      expectLlamaError(() => context.generate(messages, config ?? {}, { chatTemplate, ...options } as never), 'INVALID_ARGUMENT', message);
    }
    expectLlamaError(() => context.generate('text input', {}, { toolChoice: 'required' }), 'INVALID_ARGUMENT', /needs chat input/);
    // toolChoice none with a grammar of one's own is fine
    expect(() => context.generate(messages, { grammar: 'root ::= "x"', max_new_tokens: 2 }, { chatTemplate, tools: TOOLS, toolChoice: 'none' }).abort()).not.toThrow();
  });
});
