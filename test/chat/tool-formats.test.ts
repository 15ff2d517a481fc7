/**
 * Tool-call formats proved on the real templates (vendor/llama.cpp/models/templates):
 * each template renders an assistant message with tool calls; the family is
 * detected from that render, the forced tools grammar accepts exactly what
 * the template rendered (checked with the GBNF matcher of test/support), and
 * the output reader parses it back to the same calls. Random strings of the
 * grammar parse to calls whose arguments match the schema. No model needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../lib/chat/jinja';
import { toolCallFamily, type ToolCallFamily } from '../../lib/chat/tools';
import { detectToolFormat } from '../../lib/chat/tools/families';
import { toolGrammar } from '../../lib/chat/tools/grammar';
import { ChatOutputParser } from '../../lib/chat/tools/output';
import { reasoningFormat } from '../../lib/chat/tools/reasoning';
import { toolSpecs } from '../../lib/chat/tools/toolChoice';
import { generate, matches, parseGbnf } from '../support/gbnf';
import { ROOT } from '../support/models';

const TEMPLATES = join(ROOT, 'vendor', 'llama.cpp', 'models', 'templates');
const template = (name: string): string => readFileSync(join(TEMPLATES, `${name}.jinja`), 'utf8');

const WEATHER = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['city'] };
const TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'The weather in a city.', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'The time in a zone.', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } } },
];
const CALLS = [
  { name: 'get_weather', arguments: { city: 'Paris', days: 2 } },
  { name: 'get_time', arguments: { zone: 'CET' } },
];
/** End-of-turn text the templates put after an assistant message (an end-of-generation token in a real output). */
const END_MARKERS = ['<|end_of_text|>', '<|im_end|>', '<|eot_id|>', '<|eom_id|>', '<EOS>', '<|call|>', '<｜end▁of▁sentence｜>', '<|end|>', '</s>'];

/** What the template renders for an assistant message with `calls`: the text after the generation prompt, up to the end of turn. */
function renderedAnswer(source: string, calls: typeof CALLS): { answer: string; prompt: string } {
  const user = { role: 'user', content: 'What is the weather in Paris, and the time?' };
  const variants = [
    { args: (a: unknown) => a, content: '' as string | null },
    { args: (a: unknown) => a, content: null },
    { args: (a: unknown) => JSON.stringify(a), content: '' },
    { args: (a: unknown) => JSON.stringify(a), content: null },
  ];
  const compiled = compileTemplate(source);
  const render = (messages: unknown[], add: boolean): string =>
    compiled.render({ bos_token: '<BOS>', eos_token: '<EOS>', messages, tools: TOOLS, documents: null, add_generation_prompt: add }, { now: () => new Date(2024, 6, 26) });
  const prompt = render([user], true);
  for (const v of variants) {
    const assistant = { role: 'assistant', content: v.content, tool_calls: calls.map((c, i) => ({ id: `call0000${i}`, type: 'function', function: { name: c.name, arguments: v.args(c.arguments) } })) };
    let full: string;
    try {
      full = render([user, assistant], false);
    } catch {
      continue;
    }
    let common = 0;
    while (common < prompt.length && prompt[common] === full[common]) common++;
    // a prompt that ends differently (a closed <think> the answer does not repeat): back to the start of that token
    if (common < prompt.length) common = lastBoundary(full, common);
    let answer = full.slice(common);
    const end = Math.min(...END_MARKERS.map((m) => answer.indexOf(m)).filter((i) => i !== -1));
    if (Number.isFinite(end)) answer = answer.slice(0, end);
    if (calls.every((c) => answer.includes(c.name))) return { answer, prompt };
    if (process.env.DEBUG_TOOLS) console.log(JSON.stringify({ prompt: prompt.slice(-80), full: full.slice(common - 80) }));
  }
  throw new Error('no variant of the conversation renders the calls');
}

/** `at`, or the start of the `<...>` token it is inside of. */
function lastBoundary(text: string, at: number): number {
  const open = text.lastIndexOf('<', at - 1);
  return open > text.lastIndexOf('>', at - 1) ? open : at;
}

/** The family each template's render shows, and whether it holds several calls in one message. */
const CASES: Array<{ name: string; family: ToolCallFamily; parallel: boolean }> = [
  { name: 'Qwen-Qwen2.5-7B-Instruct', family: 'hermes', parallel: true },
  { name: 'Qwen-Qwen3-0.6B', family: 'hermes', parallel: true },
  { name: 'Qwen-QwQ-32B', family: 'hermes', parallel: true },
  { name: 'NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use', family: 'hermes', parallel: true },
  { name: 'NousResearch-Hermes-3-Llama-3.1-8B-tool_use', family: 'hermes', parallel: true },
  { name: 'ibm-granite-granite-4.0', family: 'hermes', parallel: true },
  { name: 'meta-llama-Llama-3.1-8B-Instruct', family: 'llama3', parallel: false },
  { name: 'meta-llama-Llama-3.2-3B-Instruct', family: 'llama3', parallel: false },
  { name: 'meta-llama-Llama-3.3-70B-Instruct', family: 'llama3', parallel: false },
  { name: 'mistralai-Mistral-Nemo-Instruct-2407', family: 'mistral', parallel: true },
  { name: 'Mistral-Small-3.2-24B-Instruct-2506', family: 'mistral-args', parallel: true },
  { name: 'unsloth-mistral-Devstral-Small-2507', family: 'mistral-args', parallel: true },
  { name: 'mistralai-Ministral-3-14B-Reasoning-2512', family: 'mistral-args', parallel: true },
  { name: 'deepseek-ai-DeepSeek-R1-Distill-Llama-8B', family: 'deepseek-r1', parallel: true },
  { name: 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', family: 'deepseek-r1', parallel: true },
  { name: 'deepseek-ai-DeepSeek-V3.1', family: 'deepseek-v3', parallel: true },
  { name: 'openai-gpt-oss-120b', family: 'gpt-oss', parallel: false },
  { name: 'meetkai-functionary-medium-v3.1', family: 'functionary-v3.1', parallel: true },
  { name: 'meetkai-functionary-medium-v3.2', family: 'functionary-v3.2', parallel: true },
];

const ajv = new Ajv({ strict: false });
const validators = new Map(TOOLS.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));

describe('tool-call formats on the real templates', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const source = template(c.name);
      const calls = c.parallel ? CALLS : CALLS.slice(0, 1);
      const rendered = renderedAnswer(source, calls);
      const format = detectToolFormat(source);
      const reasoning = reasoningFormat(source, rendered.prompt);
      // a prompt that opens <think> (R1 distills): the model closes it before its calls; the template drops it from history
      const thought = reasoning?.forcedOpen ? `Let me look it up.\n${reasoning.close}\n\n` : '';
      const answer = thought + rendered.answer;
      const specs = toolSpecs(TOOLS);
      const forced = toolGrammar(format, specs, { forced: true, parallel: true, reasoning });

      it(`is detected as ${c.family}`, () => {
        expect(toolCallFamily(source)).toBe(c.family);
        expect(format.parallel).toBe(c.parallel);
      });

      it('parses back the calls the template renders', () => {
        const parser = new ChatOutputParser({ format, toolNames: new Set(specs.map((s) => s.name)), ...(reasoning && { reasoning }) });
        parser.push(answer);
        const read = parser.finish();
        expect(read.toolCalls.map((t) => ({ name: t.name, arguments: JSON.parse(t.arguments) }))).toEqual(calls);
        expect(read.text).toBe('');
        if (thought) expect(read.reasoning).toBe('Let me look it up.');
        for (const t of read.toolCalls) expect(t.id).toMatch(format.family.startsWith('mistral') ? /^[a-zA-Z0-9]{9}$/ : /^call_[0-9a-f]{24}$|^call0000\d$/);
      });

      it('has a tools grammar that accepts exactly what the template renders', () => {
        const grammar = parseGbnf(forced.grammar);
        expect(matches(grammar, answer)).toBe(true);
        expect(forced.grammar_lazy).toBe(false);
        // one call only when parallel calls are off
        const single = parseGbnf(toolGrammar(format, specs, { forced: true, parallel: false, reasoning }).grammar);
        expect(matches(single, thought + renderedAnswer(source, CALLS.slice(0, 1)).answer)).toBe(true);
        if (c.parallel) expect(matches(single, answer)).toBe(false);
      });

      it('reads every string of its grammar as calls whose arguments match their schemas', () => {
        const grammar = parseGbnf(forced.grammar);
        let seed = 7;
        const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        for (let i = 0; i < 20; i++) {
          const text = generate(grammar, random, { maxLength: 2000 });
          const parser = new ChatOutputParser({ format, toolNames: new Set(specs.map((s) => s.name)), ...(reasoning && { reasoning }) });
          parser.push(text);
          const read = parser.finish();
          expect(read.toolCalls.length, text).toBeGreaterThan(0);
          for (const call of read.toolCalls) {
            const validate = validators.get(call.name)!;
            expect(validate(JSON.parse(call.arguments)), `${call.arguments}: ${ajv.errorsText(validate.errors)}`).toBe(true);
          }
        }
      });
    });
  }

  it('falls back to the generic JSON format for a template with no known tool-call format', () => {
    const source = template('microsoft-Phi-3.5-mini-instruct');
    expect(toolCallFamily(source)).toBe('generic');
    const format = detectToolFormat(source);
    const parser = new ChatOutputParser({ format, toolNames: new Set(['get_time']) });
    parser.push('{"name": "get_time", "arguments": {"zone": "UTC"}}');
    expect(parser.finish().toolCalls).toMatchObject([{ name: 'get_time', arguments: '{"zone":"UTC"}' }]);
  });
});
