/** Chat messages through the model's chat template; multi-turn reuse of the cache. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';

// A ChatML template, as Qwen/OpenHermes-style models store it.
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

let model: Model;

beforeAll(async () => {
  model = await loadModel(await getTinyModelPath({ chatTemplate: CHATML }));
});
afterAll(() => model?.dispose());

describe('chat templates', () => {
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Hello there' },
  ];

  it("renders messages with the model's template", () => {
    expect(model.chatTemplate).toBe(CHATML);
    expect(model.applyChatTemplate(messages)).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(model.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n',
    );
  });

  it('generates from messages: the prompt is the rendered template', async () => {
    const context = await model.createContext({ contextSize: 256 });
    const r = await context.generate(messages, { max_new_tokens: 5 }).result;
    const text = model.applyChatTemplate(messages);
    expect([...r.prompt]).toEqual([...model.tokenize(text, { parseSpecial: true })]);
    expect(r.tokens).toHaveLength(5);

    // The next turn re-renders the history; everything up to the new message comes from the cache.
    const next = [...messages, { role: 'assistant', content: r.text }, { role: 'user', content: 'More' }];
    const r2 = await context.generate(next, { max_new_tokens: 5 }).result;
    expect(r2.usage.cachedPromptTokens).toBeGreaterThanOrEqual(r.prompt.length);
    context.dispose();
  });

  it('takes a template by name, and errors clearly without one', async () => {
    const stories = await loadModel(STORIES_MODEL);
    try {
      expect(stories.chatTemplate).toBeUndefined();
      const context = await stories.createContext({ contextSize: 256 });
      expect(() => context.generate(messages)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('chat template') }));
      const r = await context.generate(messages, { max_new_tokens: 3 }, { chatTemplate: 'chatml' }).result;
      expect(r.tokens).toHaveLength(3);
      // '{{ nonsense }}' is valid Jinja (an undefined variable renders as nothing): only llama.cpp's
      // built-in renderer, which guesses the format from fragments, refuses it.
      expect(() => context.generate(messages, {}, { chatTemplate: '{{ nonsense }}', renderer: 'llama.cpp' })).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED' }),
      );
      expect(() => context.generate(messages, {}, { chatTemplate: '{% if %}' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      context.dispose();
    } finally {
      stories.dispose();
    }
  });
});
