/**
 * Mistral: `[TOOL_CALLS]` then either a JSON array of
 * `{"name", "arguments", "id"}` (Mistral Nemo), or, for each call,
 * `name[CALL_ID]id[ARGS]{...}` (Mistral Small 3.2; Devstral and Ministral 3
 * without `[CALL_ID]`). Ids are 9 alphanumerics, as the templates require. @internal
 */
import { jsonEnd, objectAt, tryJson } from '../json';
import type { ParsedOutput, ToolFormat } from '../types';
import { MISTRAL_ID_RULE, callFromObject, lit, mistralId, objectCall, perTool } from './common';

const OPEN = '[TOOL_CALLS]';

function parseArray(text: string): ParsedOutput {
  const at = text.indexOf(OPEN);
  if (at === -1) return { content: text, calls: [] };
  const start = at + OPEN.length;
  const end = jsonEnd(text, start);
  const value = end < 0 ? undefined : tryJson(text.slice(start, end));
  const list = Array.isArray(value) ? value : value === undefined ? undefined : [value];
  const calls = list?.map(callFromObject);
  if (!calls || calls.length === 0 || calls.some((c) => c === undefined) || text.slice(end).trim() !== '') return { content: text, calls: [] };
  return { content: text.slice(0, at).trim(), calls: calls as ParsedOutput['calls'] };
}

/** Mistral Nemo: `[TOOL_CALLS][{"name": ..., "arguments": {...}, "id": "..."}]`. */
export const mistral: ToolFormat = {
  family: 'mistral',
  parallel: true,
  opening: '\\[TOOL_CALLS\\]',
  atStart: false,
  markers: [OPEN],
  grammar(tools, parallel) {
    const object = objectCall(tools, 'arguments', ' tc-space "," tc-space "\\"id\\"" tc-space ":" tc-space "\\"" tc-id "\\""');
    const list = parallel ? 'tc-call (tc-space "," tc-space tc-call)*' : 'tc-call';
    return { rules: [...object.rules, MISTRAL_ID_RULE], calls: `${lit(OPEN)} "[" tc-space ${list} tc-space "]"` };
  },
  parse: parseArray,
  makeId: mistralId,
};

const CALL = /\[TOOL_CALLS\]([^[\]\s]+)(?:\[CALL_ID\]([a-zA-Z0-9]+))?\[ARGS\]/y;

function parseArgs(text: string): ParsedOutput {
  const first = text.indexOf(OPEN);
  if (first === -1) return { content: text, calls: [] };
  const calls: ParsedOutput['calls'] = [];
  let at = first;
  while (at < text.length) {
    CALL.lastIndex = at;
    const m = CALL.exec(text);
    const object = m ? objectAt(text, CALL.lastIndex) : undefined;
    if (!m || !object) return { content: text, calls: [] };
    calls.push(m[2] === undefined ? { name: m[1], arguments: object.value } : { name: m[1], arguments: object.value, id: m[2] });
    at = object.end;
    while (at < text.length && /\s/.test(text[at])) at++;
  }
  return { content: text.slice(0, first).trim(), calls };
}

/** Mistral Small 3.2 (`withCallId`), Devstral, Ministral 3: `[TOOL_CALLS]name[CALL_ID]id[ARGS]{...}`. */
export function mistralArgs(withCallId: boolean): ToolFormat {
  return {
    family: 'mistral-args',
    parallel: true,
    opening: '\\[TOOL_CALLS\\]',
    atStart: false,
    markers: [OPEN],
    grammar(tools, parallel) {
      const id = withCallId ? ' "[CALL_ID]" tc-id' : '';
      const { rules, alternatives } = perTool(tools, (tool, args) => `${lit(OPEN + tool.name)}${id} "[ARGS]" ${args}`);
      return { rules: [...rules, MISTRAL_ID_RULE, `tc-call ::= ${alternatives}`], calls: parallel ? 'tc-call+' : 'tc-call' };
    },
    parse: parseArgs,
    makeId: mistralId,
  };
}
