/**
 * Hermes / Qwen: `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`,
 * one block per call (Qwen 2.5 / 3, QwQ, Hermes 2 Pro / 3). @internal
 */
import { objectAt } from '../json';
import type { ParsedOutput, ToolFormat } from '../types';
import { callFromObject, objectCall, repeated, without } from './common';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

function parse(text: string): ParsedOutput {
  const calls: ParsedOutput['calls'] = [];
  const spans: Array<[number, number]> = [];
  let at = text.indexOf(OPEN);
  while (at !== -1) {
    const object = objectAt(text, at + OPEN.length);
    const call = object && callFromObject(object.value);
    if (!object || !call) break;
    let end = object.end;
    const rest = /^\s*<\/tool_call>/.exec(text.slice(end));
    if (rest) end += rest[0].length;
    else if (text.slice(end).trim() !== '') break; // unclosed, and more text after it: not a call
    calls.push(call);
    spans.push([at, end]);
    at = text.indexOf(OPEN, end);
  }
  return calls.length === 0 ? { content: text, calls } : { content: without(text, spans), calls };
}

/** The Hermes / Qwen format. */
export const hermes: ToolFormat = {
  family: 'hermes',
  parallel: true,
  opening: OPEN,
  atStart: false,
  markers: [OPEN],
  grammar(tools, parallel) {
    const object = objectCall(tools, 'arguments');
    return { rules: [...object.rules, `tc-block ::= "${OPEN}" tc-space tc-call tc-space "${CLOSE}"`], calls: repeated('tc-block', parallel) };
  },
  parse,
};
