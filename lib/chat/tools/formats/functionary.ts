/**
 * Functionary: `<function=name>{...}</function>` per call (v3.1, Llama 3.1
 * based), or recipient-addressed messages `>>>name\n{...}` where the
 * generation prompt already ends with `>>>` and `all` addresses the user
 * (v3.2). @internal
 */
import { objectAt } from '../json';
import type { ParsedOutput, ToolFormat } from '../types';
import { escapeRegex, lit, perTool, without } from './common';

const FUNCTION = /<function=([^>\s]+)>/g;

function parseV31(text: string): ParsedOutput {
  const calls: ParsedOutput['calls'] = [];
  const spans: Array<[number, number]> = [];
  for (const m of text.matchAll(FUNCTION)) {
    const start = m.index as number;
    if (spans.length > 0 && start < spans[spans.length - 1][1]) continue;
    const object = objectAt(text, start + m[0].length);
    if (!object) return { content: text, calls: [] };
    let end = object.end;
    const close = /^\s*<\/function>/.exec(text.slice(end));
    if (close) end += close[0].length;
    calls.push({ name: m[1], arguments: object.value });
    spans.push([start, end]);
  }
  return calls.length === 0 ? { content: text, calls } : { content: without(text, spans), calls };
}

/** Functionary v3.1: `<function=name>{...}</function>`. */
export const functionaryV31: ToolFormat = {
  family: 'functionary-v3.1',
  parallel: true,
  opening: '<function=',
  atStart: false,
  markers: ['<function='],
  grammar(tools, parallel) {
    const { rules, alternatives } = perTool(tools, (tool, args) => `${lit(`<function=${tool.name}>`)} ${args} "</function>"`);
    return { rules: [...rules, `tc-call ::= ${alternatives}`], calls: parallel ? 'tc-call+' : 'tc-call' };
  },
  parse: parseV31,
};

/**
 * v3.2's answer: messages separated by `>>>`, each `recipient\n` then its
 * text; `all` is the user, a tool name is a call with JSON arguments.
 */
function parseV32(text: string): ParsedOutput {
  const calls: ParsedOutput['calls'] = [];
  let content = '';
  const parts = text.split('>>>');
  for (const [i, part] of parts.entries()) {
    const newline = part.indexOf('\n');
    const recipient = newline === -1 ? '' : part.slice(0, newline);
    const body = newline === -1 ? part : part.slice(newline + 1);
    if (recipient === 'all') content += body;
    else if (/^[\w.-]+$/.test(recipient)) {
      const object = objectAt(body, 0);
      if (!object || body.slice(object.end).trim() !== '') return { content: text, calls: [] };
      calls.push({ name: recipient, arguments: object.value });
    } else content += (i === 0 ? '' : '>>>') + part; // not a recipient line: plain text
  }
  return { content: content.trim(), calls };
}

/** Functionary v3.2: `>>>name\n{...}` (the prompt ends with `>>>`; `all\n` starts text for the user). */
export const functionaryV32: ToolFormat = {
  family: 'functionary-v3.2',
  parallel: true,
  opening: '(?:>>>|^)[\\w.-]+\\n\\{',
  atStart: false,
  markers: ['>>>', 'all\n'],
  grammar(tools, parallel) {
    const { rules, alternatives } = perTool(tools, (tool, args) => `${lit(`${tool.name}\n`)} ${args}`);
    return { rules: [...rules, `tc-call ::= ${alternatives}`], calls: `(">>>")? ${parallel ? 'tc-call (">>>" tc-call)*' : 'tc-call'}` };
  },
  parse: parseV32,
  openingFor: (names) => `(?:>>>|^)(?:${names.map(escapeRegex).join('|')})\\n`,
  visible(answer) {
    if ('all\n'.startsWith(answer)) return '';
    if (!answer.startsWith('all\n')) return ''; // a call, or not yet known
    const body = answer.slice(4);
    const next = body.indexOf('>>>');
    if (next !== -1) return body.slice(0, next);
    return body.endsWith('>>') ? body.slice(0, -2) : body.endsWith('>') ? body.slice(0, -1) : body;
  },
};
