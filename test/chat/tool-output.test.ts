/**
 * Reading chat outputs as they stream (no model): reasoning and answer
 * apart, tool-call text never shown as answer text, the final reading equal
 * to what the chunks add up to; and the lazy grammar's triggers (std::regex
 * runs them with ECMAScript syntax, as JavaScript does here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectToolFormat } from '../../lib/chat/tools/families';
import { toolGrammar } from '../../lib/chat/tools/grammar';
import { ChatOutputParser, type OutputSpec } from '../../lib/chat/tools/output';
import { reasoningFormat } from '../../lib/chat/tools/reasoning';
import { ROOT } from '../support/models';

const template = (name: string): string => readFileSync(join(ROOT, 'vendor', 'llama.cpp', 'models', 'templates', `${name}.jinja`), 'utf8');
const THINK = { open: '<think>', close: '</think>', forcedOpen: false };

/** Streams `text` in pieces of `size` characters; returns what the chunks showed and the final reading. */
function stream(spec: OutputSpec, text: string, size = 1) {
  const parser = new ChatOutputParser(spec);
  const shown = { text: '', reasoning: '', pieces: [] as string[] };
  for (let i = 0; i < text.length; i += size) {
    const d = parser.push(text.slice(i, i + size));
    shown.text += d.text;
    shown.reasoning += d.reasoning;
    if (d.text) shown.pieces.push(d.text);
  }
  const final = parser.finish();
  shown.text += final.delta.text;
  shown.reasoning += final.delta.reasoning;
  return { shown, final };
}

describe('reasoning', () => {
  it('separates a <think> section that opens the output, in chunks and at the end', () => {
    for (const size of [1, 3, 50]) {
      const { shown, final } = stream({ reasoning: THINK }, '<think>\nThe user greets me.\n</think>\n\nHello there!', size);
      expect(final.reasoning).toBe('The user greets me.');
      expect(final.text).toBe('Hello there!');
      expect(shown.reasoning).toBe(final.reasoning);
      expect(shown.text).toBe(final.text);
    }
  });

  it('starts inside the reasoning when the prompt opened it; an unclosed section is all reasoning', () => {
    const forced = { ...THINK, forcedOpen: true };
    expect(stream({ reasoning: forced }, 'Hmm.\n</think>\nYes.').final).toMatchObject({ reasoning: 'Hmm.', text: 'Yes.' });
    const cut = stream({ reasoning: forced }, 'Still thinking about it');
    expect(cut.final).toMatchObject({ reasoning: 'Still thinking about it', text: '' });
    expect(cut.shown.reasoning).toBe('Still thinking about it');
  });

  it('leaves an output without a reasoning section as answer, and knows when the prompt opened one', () => {
    expect(stream({ reasoning: THINK }, 'Just an answer <think> in text').final).toMatchObject({ text: 'Just an answer <think> in text', reasoning: undefined });
    expect(reasoningFormat('{{ "<think>" }}', 'assistant\n<think>\n')).toEqual({ ...THINK, forcedOpen: true });
    expect(reasoningFormat('{{ "<think>" }}', 'assistant\n<think>\n\n</think>\n\n')).toEqual(THINK);
    expect(reasoningFormat('{{ messages }}', 'x')).toBeUndefined();
  });

  it("reads gpt-oss's analysis channel as reasoning and its final channel as the answer", () => {
    const source = template('openai-gpt-oss-120b');
    const spec: OutputSpec = { reasoning: reasoningFormat(source, '<|start|>assistant')!, format: detectToolFormat(source) };
    const out = '<|channel|>analysis<|message|>They say hi.<|end|><|start|>assistant<|channel|>final<|message|>Hi! How can I help?';
    for (const size of [1, 7]) {
      const { shown, final } = stream(spec, out, size);
      expect(final).toMatchObject({ reasoning: 'They say hi.', text: 'Hi! How can I help?' });
      expect(shown.text).toBe(final.text);
      expect(shown.reasoning).toBe(final.reasoning);
      for (const piece of shown.pieces) expect(piece).not.toMatch(/<\||\|>/);
    }
  });
});

describe('tool calls while streaming', () => {
  it('shows the text before a Hermes call, never the call itself', () => {
    const spec: OutputSpec = { format: detectToolFormat(template('Qwen-Qwen2.5-7B-Instruct')), toolNames: new Set(['get_time']) };
    for (const size of [1, 2, 5]) {
      const { shown, final } = stream(spec, 'Let me check.\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>', size);
      expect(final.toolCalls).toMatchObject([{ name: 'get_time', arguments: '{"zone":"UTC"}' }]);
      expect(final.text).toBe('Let me check.');
      expect(shown.text.trim()).toBe('Let me check.');
      expect(shown.text).not.toContain('<');
    }
  });

  it('holds back an answer that may be a Llama 3 call, and shows free text at once', () => {
    const spec: OutputSpec = { format: detectToolFormat(template('meta-llama-Llama-3.1-8B-Instruct')), toolNames: new Set(['get_time']) };
    const call = stream(spec, '{"name": "get_time", "parameters": {"zone": "CET"}}');
    expect(call.shown.text).toBe('');
    expect(call.final.toolCalls).toMatchObject([{ name: 'get_time', arguments: '{"zone":"CET"}' }]);
    const free = new ChatOutputParser(spec);
    expect(free.push('Hello').text).toBe('Hello');
    // not a call after all (cut short): the held text is the answer
    expect(stream(spec, '{"name": "get_ti').final).toMatchObject({ text: '{"name": "get_ti', toolCalls: [] });
  });

  it('shows what functionary 3.2 addresses to the user (`all`) and parses the calls after it', () => {
    const spec: OutputSpec = { format: detectToolFormat(template('meetkai-functionary-medium-v3.2')), toolNames: new Set(['get_time']) };
    const { shown, final } = stream(spec, 'all\nOne moment.>>>get_time\n{"zone": "UTC"}');
    expect(final.text).toBe('One moment.');
    expect(shown.text).toBe('One moment.');
    expect(final.toolCalls).toMatchObject([{ name: 'get_time' }]);
  });

  it('keeps a call to a tool that was not offered as text (no tool call)', () => {
    const spec: OutputSpec = { format: detectToolFormat(template('Qwen-Qwen2.5-7B-Instruct')), toolNames: new Set(['get_time']) };
    const text = '<tool_call>\n{"name": "rm_rf", "arguments": {}}\n</tool_call>';
    expect(stream(spec, text).final).toMatchObject({ text, toolCalls: [] });
  });
});

describe('lazy grammar triggers', () => {
  const source = template('Qwen-Qwen3-0.6B');
  const format = detectToolFormat(source);
  const tools = [{ name: 'get_time', parameters: { type: 'object' } }];
  const start = (patterns: string[], text: string): number | undefined => {
    for (const p of patterns) {
      const m = new RegExp(p, 'd').exec(text);
      if (m) return m.indices![1][0];
    }
    return undefined;
  };

  it('start at the opening in free text, with the grammar fed from the opening', () => {
    const g = toolGrammar(format, tools, { forced: false, parallel: true, reasoning: undefined });
    expect(g.grammar_lazy).toBe(true);
    expect(start(g.grammar_trigger_patterns, 'Sure. <tool_call>\n{')).toBe(6);
    expect(start(g.grammar_trigger_patterns, 'Sure, no tools needed.')).toBeUndefined();
  });

  it('never start inside a reasoning section', () => {
    const g = toolGrammar(format, tools, { forced: false, parallel: true, reasoning: THINK });
    expect(start(g.grammar_trigger_patterns, '<think>\nMaybe a <tool_call> would help')).toBeUndefined();
    const after = '<think>\nMaybe a <tool_call> would help\n</think>\n\n<tool_call>';
    expect(start(g.grammar_trigger_patterns, after)).toBe(after.lastIndexOf('<tool_call>'));
    expect(start(g.grammar_trigger_patterns, 'No thinking. <tool_call>')).toBe(13);
    const forced = toolGrammar(format, tools, { forced: false, parallel: true, reasoning: { ...THINK, forcedOpen: true } });
    expect(start(forced.grammar_trigger_patterns, 'Maybe a <tool_call> would help')).toBeUndefined();
    expect(start(forced.grammar_trigger_patterns, 'Maybe a <tool_call>\n</think>\n<tool_call>')).toBe(29);
  });

  it('for a format whose call is the whole answer, only at the start of the answer', () => {
    const llama = detectToolFormat(template('meta-llama-Llama-3.1-8B-Instruct'));
    const g = toolGrammar(llama, tools, { forced: false, parallel: false, reasoning: undefined });
    expect(start(g.grammar_trigger_patterns, ' {"name"')).toBe(1);
    expect(start(g.grammar_trigger_patterns, 'Use {"name": here')).toBeUndefined();
  });
});
