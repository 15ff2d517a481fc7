/**
 * Chat templates on a real model (stories260K, rewritten with a default and a
 * `tool_use` template): template choice, which renderer ran, special tokens
 * in the render tokenized as special tokens, BOS never doubled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type Model } from '../../lib/index';
import { rewriteModel } from '../support/gguf-rewrite';
import { STORIES_MODEL } from '../support/models';

/** Writes BOS and EOS as text: the tokenizer must turn them into the special tokens. */
const DEFAULT =
  '{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}';
const TOOL_USE = '{{ bos_token }}tools={{ tools|tojson }}{% for m in messages %} {{ m.role }}: {{ m.content }}{% endfor %}';
/** No BOS in the text: the vocabulary's add_bos adds one. */
const NO_BOS = '{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}';

const messages = [{ role: 'user', content: 'Once upon a time' }];
const tools = [{ type: 'function', function: { name: 'look', description: 'Looks <around> & "sees"', parameters: { type: 'object', properties: {} } } }];

let dir: string;
let model: Model;
let context: Context;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llama-generate-chat-'));
  const path = join(dir, 'stories-chat.gguf');
  await rewriteModel(STORIES_MODEL, path, {
    metadata: {
      'tokenizer.chat_template': { type: 'string', value: DEFAULT },
      'tokenizer.chat_template.tool_use': { type: 'string', value: TOOL_USE },
    },
  });
  model = await loadModel(path);
  context = await model.createContext({ contextSize: 256 });
});
afterAll(() => {
  model?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('chat templates on stories260K', () => {
  it('renders the default template with the model’s BOS/EOS text', () => {
    expect(model.chatTemplate).toBe(DEFAULT);
    expect(model.applyChatTemplate(messages)).toBe('<s>user: Once upon a time</s>assistant:');
    expect(model.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe('<s>user: Once upon a time</s>');
    expect(model.applyChatTemplate(messages, { bosToken: '[B]', eosToken: '[E]' })).toBe('[B]user: Once upon a time[E]assistant:');
  });

  it('picks the tool_use template when tools are given, or by name', () => {
    const withTools = model.applyChatTemplate(messages, { tools });
    expect(withTools).toBe(`<s>tools=${JSON.stringify(tools).replace(/":/g, '": ').replace(/,"/g, ', "')} user: Once upon a time`);
    expect(model.applyChatTemplate(messages, { chatTemplate: 'tool_use' })).toBe('<s>tools=null user: Once upon a time');
    expect(model.applyChatTemplate(messages, { chatTemplate: 'default', tools })).toBe('<s>user: Once upon a time</s>assistant:');
  });

  it('generate(messages) uses the jinja renderer; special-token text becomes special tokens; BOS is not doubled', async () => {
    const r = await context.generate(messages, { max_new_tokens: 2 }).result;
    expect(r.chat).toEqual({ renderer: 'jinja', text: '<s>user: Once upon a time</s>assistant:', templateName: 'default' });
    const { bos, eos } = model.specialTokens;
    expect(r.prompt[0]).toBe(bos);
    expect(r.prompt[1]).not.toBe(bos);
    expect([...r.prompt].filter((t) => t === bos)).toHaveLength(1);
    expect([...r.prompt]).toContain(eos);
    expect([...r.prompt]).toEqual([...model.tokenize(r.chat!.text, { addSpecial: false, parseSpecial: true })]);
    // '</s>' as plain text would be several pieces; here it is one token
    expect([...r.prompt]).not.toEqual([...model.tokenize(r.chat!.text, { addSpecial: false, parseSpecial: false })]);
  });

  it('adds the vocabulary’s BOS when the template does not write it (unless addSpecial: false)', async () => {
    const { bos } = model.specialTokens;
    const r = await context.generate(messages, { max_new_tokens: 1 }, { chatTemplate: NO_BOS }).result;
    expect(r.chat?.templateName).toBeUndefined();
    expect(r.prompt[0]).toBe(bos);
    expect(r.prompt[1]).not.toBe(bos);
    const raw = await context.generate(messages, { max_new_tokens: 1 }, { chatTemplate: NO_BOS, addSpecial: false }).result;
    expect(raw.prompt[0]).not.toBe(bos);
    expect(raw.prompt.length).toBe(r.prompt.length - 1);
  });

  it("says when llama.cpp's built-in renderer ran", async () => {
    const byName = await context.generate(messages, { max_new_tokens: 1 }, { chatTemplate: 'chatml' }).result;
    expect(byName.chat?.renderer).toBe('llama.cpp');
    expect(byName.chat?.text).toBe('<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n');
    const forced = model.applyChatTemplate(messages, { renderer: 'llama.cpp', chatTemplate: "{{ '<|im_start|>' }}" });
    expect(forced).toBe(byName.chat?.text);
    expect(() => model.applyChatTemplate(messages, { renderer: 'llama.cpp', tools })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('passes templateKwargs, documents and the clock through', () => {
    const t = '{% if enable_thinking %}T{% else %}F{% endif %}{{ documents|length if documents is not none else 0 }}{{ strftime_now("%Y-%m-%d") }}';
    const now = new Date(2024, 6, 26, 12, 0, 0);
    expect(model.applyChatTemplate(messages, { chatTemplate: t, templateKwargs: { enable_thinking: true }, documents: [{ title: 'a', text: 'b' }], now })).toBe('T12024-07-26');
    expect(model.applyChatTemplate(messages, { chatTemplate: t, now })).toBe('F02024-07-26');
    expect(() => model.applyChatTemplate(messages, { templateKwargs: { messages: [] } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('continues the final message', () => {
    const prefill = [...messages, { role: 'assistant', content: 'There was' }];
    expect(model.applyChatTemplate(prefill, { continueFinalMessage: true })).toBe('<s>user: Once upon a time</s>assistant: There was');
    expect(() => model.applyChatTemplate(prefill, { continueFinalMessage: true, addGenerationPrompt: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('maps template failures to INVALID_ARGUMENT; raise_exception keeps its message', () => {
    expect(() => model.applyChatTemplate(messages, { chatTemplate: "{{ raise_exception('Only user and assistant roles are supported!') }}" })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'Only user and assistant roles are supported!' }),
    );
    expect(() => model.applyChatTemplate(messages, { chatTemplate: '{% for %}' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('does not parse') }),
    );
    expect(() => model.applyChatTemplate(messages, { chatTemplate: '{{ messages[0].content + 1 }}' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('TypeError: can only concatenate str (not "int") to str') }),
    );
    expect(() => context.generate(messages, {}, { chatTemplate: '{{ x.y }}' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('checks its options', () => {
    const bad = [
      { renderer: 'minja' },
      { tools: {} },
      { tools: [1] },
      { documents: 'x' },
      { templateKwargs: [] },
      { now: 'today' },
      { bosToken: 1 },
      { chatTemplate: '' },
      { unknownOption: true },
    ];
    for (const options of bad) {
      expect(() => model.applyChatTemplate(messages, options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => model.applyChatTemplate([{ content: 'no role' }] as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => model.applyChatTemplate('hello' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
