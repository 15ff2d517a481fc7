/**
 * gpt-oss (OpenAI's harmony format): the answer is a series of messages,
 * `<|start|>assistant<|channel|>...<|message|>...<|end|>`; a tool call is a
 * `commentary` message addressed `to=functions.name` with JSON arguments,
 * ended by `<|call|>`; `final` is the answer, `analysis` the reasoning. The
 * first message's `<|start|>assistant` is in the prompt. @internal
 */
import { objectAt } from '../json';
import type { ParsedOutput, ToolFormat } from '../types';
import { lit, perTool } from './common';

const MESSAGE = '<|message|>';
const ENDS = /<\|end\|>|<\|call\|>|<\|return\|>/;
const RECIPIENT = /to=functions\.([\w.-]+)/;

/** One message of the answer: its header and body. */
function messages(text: string): Array<{ header: string; body: string; raw: string }> {
  return text
    .split('<|start|>')
    .filter((raw) => raw !== '')
    .map((raw) => {
      const at = raw.indexOf(MESSAGE);
      if (at === -1) return { header: '', body: raw, raw };
      const rest = raw.slice(at + MESSAGE.length);
      const end = ENDS.exec(rest);
      return { header: raw.slice(0, at), body: end ? rest.slice(0, end.index) : rest, raw };
    });
}

function parse(text: string): ParsedOutput {
  if (!text.includes(MESSAGE)) return { content: text, calls: [] };
  const calls: ParsedOutput['calls'] = [];
  const content: string[] = [];
  const reasoning: string[] = [];
  for (const m of messages(text)) {
    const recipient = RECIPIENT.exec(m.header);
    if (recipient) {
      const object = objectAt(m.body, 0);
      if (!object || m.body.slice(object.end).trim() !== '') return { content: text, calls: [] };
      calls.push({ name: recipient[1], arguments: object.value });
    } else if (/<\|channel\|>analysis/.test(m.header)) reasoning.push(m.body);
    else content.push(m.header === '' && !m.raw.includes(MESSAGE) ? m.raw : m.body);
  }
  const out: ParsedOutput = { content: content.join('').trim(), calls };
  if (reasoning.length > 0) out.reasoning = reasoning.join('\n').trim();
  return out;
}

/** The shown part of a partial answer: the body of a message for the user, never headers or calls. */
function visible(answer: string): string {
  const m = messages(answer)[0];
  if (m === undefined) return '';
  if (m.raw.includes(MESSAGE)) {
    if (RECIPIENT.test(m.header) || /<\|channel\|>analysis/.test(m.header)) return '';
    const partial = m.body.lastIndexOf('<');
    return partial !== -1 && !m.body.slice(partial).includes('>') ? m.body.slice(0, partial) : m.body;
  }
  // no header yet: plain text unless it may still become one
  const lead = m.raw.trimStart();
  return lead === '' || ['<', 'to=', 'assistant'].some((p) => lead.startsWith(p) || p.startsWith(lead)) ? '' : m.raw;
}

/** gpt-oss. */
export const gptOss: ToolFormat = {
  family: 'gpt-oss',
  parallel: false,
  opening: '(?:<\\|start\\|>assistant)?(?:<\\|channel\\|>commentary)? to=functions\\.',
  atStart: false,
  markers: ['<|start|>', '<|channel|>', ' to='],
  grammar(tools) {
    const { rules, alternatives } = perTool(tools, (tool, args) => `${lit(tool.name)} tc-header ${args}`);
    return {
      rules: [
        ...rules,
        'tc-header ::= ("<|channel|>commentary")? (" "? "<|constrain|>json" | " json")? "<|message|>"',
        `tc-call ::= ${alternatives}`,
      ],
      calls: '("<|start|>assistant")? ("<|channel|>commentary")? " to=functions." tc-call',
    };
  },
  parse,
  visible,
};
