/**
 * Llama 3.x and the generic fallback: the whole answer is one JSON object
 * `{"name": ..., "parameters" | "arguments": {...}}` (Llama 3.1 may open it
 * with `<|python_tag|>`). @internal
 */
import { objectAt } from '../json';
import type { ParsedOutput, ToolFormat } from '../types';
import { callFromObject, lit, objectCall } from './common';

const PYTHON_TAG = '<|python_tag|>';

function parse(text: string): ParsedOutput {
  let start = text.length - text.trimStart().length;
  if (text.startsWith(PYTHON_TAG, start)) start += PYTHON_TAG.length;
  const object = objectAt(text, start);
  const call = object && callFromObject(object.value);
  if (!object || !call || text.slice(object.end).trim() !== '') return { content: text, calls: [] };
  return { content: '', calls: [call] };
}

/** Llama 3.1 / 3.2 / 3.3: `{"name": ..., "parameters": {...}}`. */
export const llama3: ToolFormat = {
  family: 'llama3',
  parallel: false,
  opening: '(?:<\\|python_tag\\|>)?\\{\\s*"name"',
  atStart: true,
  markers: [PYTHON_TAG, '{"name"'],
  grammar(tools) {
    const object = objectCall(tools, 'parameters');
    return { rules: object.rules, calls: `(${lit(PYTHON_TAG)})? tc-call` };
  },
  parse,
};

/**
 * Any other template: the whole answer is `{"name": ..., "arguments": {...}}`,
 * the shape most templates that describe tools in their system prompt ask
 * for (and what a model told of the tools in JSON tends to write).
 */
export const generic: ToolFormat = {
  family: 'generic',
  parallel: false,
  opening: '\\{\\s*"name"',
  atStart: true,
  markers: ['{"name"'],
  grammar(tools) {
    const object = objectCall(tools, 'arguments');
    return { rules: object.rules, calls: 'tc-call' };
  },
  parse,
};
