/**
 * DeepSeek: a `<｜tool▁calls▁begin｜>` ... `<｜tool▁calls▁end｜>` section of
 * calls, each `<｜tool▁call▁begin｜>function<｜tool▁sep｜>name` and a fenced
 * JSON block (R1 and its distills), or `<｜tool▁call▁begin｜>name<｜tool▁sep｜>{...}`
 * (V3.1). @internal
 */
import { objectAt } from '../json';
import type { ParsedOutput, ToolFormat } from '../types';
import { lit, perTool } from './common';

const CALLS_BEGIN = '<｜tool▁calls▁begin｜>';
const CALLS_END = '<｜tool▁calls▁end｜>';
const CALL_BEGIN = '<｜tool▁call▁begin｜>';
const CALL_END = '<｜tool▁call▁end｜>';
const SEP = '<｜tool▁sep｜>';

/** The calls of a section: `header` matches up to the arguments (name in group 1), `trailer` after them. */
function parseSection(text: string, header: RegExp, trailer: RegExp): ParsedOutput {
  const begin = text.indexOf(CALLS_BEGIN);
  if (begin === -1) return { content: text, calls: [] };
  const calls: ParsedOutput['calls'] = [];
  let at = begin + CALLS_BEGIN.length;
  for (;;) {
    while (at < text.length && /\s/.test(text[at])) at++;
    if (text.startsWith(CALLS_END, at)) {
      at += CALLS_END.length;
      break;
    }
    if (at >= text.length && calls.length > 0) break; // stopped right after a call
    header.lastIndex = at;
    const h = header.exec(text);
    const object = h ? objectAt(text, header.lastIndex) : undefined;
    if (!h || !object) return { content: text, calls: [] };
    trailer.lastIndex = object.end;
    const t = trailer.exec(text);
    if (!t) return { content: text, calls: [] };
    calls.push({ name: h[1], arguments: object.value });
    at = trailer.lastIndex;
  }
  if (text.slice(at).trim() !== '') return { content: text, calls: [] };
  return { content: text.slice(0, begin).trim(), calls };
}

const R1_HEADER = /<｜tool▁call▁begin｜>(?:function)?<｜tool▁sep｜>([^\n]+)\n```(?:json)?\n/y;
const R1_TRAILER = /\s*```\s*<｜tool▁call▁end｜>/y;

/** DeepSeek R1 (and the R1 distills). */
export const deepseekR1: ToolFormat = {
  family: 'deepseek-r1',
  parallel: true,
  opening: CALLS_BEGIN,
  atStart: false,
  markers: [CALLS_BEGIN],
  grammar(tools, parallel) {
    const { rules, alternatives } = perTool(tools, (tool, args) => `${lit(`${CALL_BEGIN}function${SEP}${tool.name}\n\`\`\`json\n`)} ${args} ${lit(`\n\`\`\`${CALL_END}`)}`);
    const calls = parallel ? 'tc-call ("\\n" tc-call)*' : 'tc-call';
    // the section's end is optional: the R1 distills' templates leave it out after a single call
    return { rules: [...rules, `tc-call ::= ${alternatives}`], calls: `${lit(CALLS_BEGIN)} ${calls} (${lit(CALLS_END)})?` };
  },
  parse: (text) => parseSection(text, R1_HEADER, R1_TRAILER),
};

const V3_HEADER = /<｜tool▁call▁begin｜>([^<\n]+)<｜tool▁sep｜>/y;
const V3_TRAILER = /\s*<｜tool▁call▁end｜>/y;

/** DeepSeek V3.1. */
export const deepseekV3: ToolFormat = {
  family: 'deepseek-v3',
  parallel: true,
  opening: CALLS_BEGIN,
  atStart: false,
  markers: [CALLS_BEGIN],
  grammar(tools, parallel) {
    const { rules, alternatives } = perTool(tools, (tool, args) => `${lit(`${CALL_BEGIN}${tool.name}${SEP}`)} ${args} ${lit(CALL_END)}`);
    return { rules: [...rules, `tc-call ::= ${alternatives}`], calls: `${lit(CALLS_BEGIN)} ${parallel ? 'tc-call+' : 'tc-call'} ${lit(CALLS_END)}` };
  },
  parse: (text) => parseSection(text, V3_HEADER, V3_TRAILER),
};
