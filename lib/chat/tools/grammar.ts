/**
 * The grammar that constrains tool calls: the format's calls over the
 * allowed tools, lazy (started by the format's opening) under
 * `toolChoice: 'auto'`, from the first token otherwise (after the
 * reasoning of a model that thinks first). @internal
 */
import { escapeRegex } from './formats/common';
import { lit, untilMarker } from './gbnf';
import type { ReasoningFormat } from './reasoning';
import type { ToolFormat, ToolSpec } from './types';

/** The generation config fields a tools grammar sets. */
export interface ToolGrammar {
  grammar: string;
  grammar_lazy: boolean;
  grammar_trigger_patterns: string[];
}

/**
 * The trigger patterns of a lazy tools grammar: the opening (its match
 * starts the grammar: the first capturing group), searched in the answer,
 * never inside an opening reasoning section.
 */
function triggers(format: ToolFormat, opening: string, reasoning: ReasoningFormat | undefined): string[] {
  const lead = format.atStart ? '\\s*' : '[\\s\\S]*?';
  const open = `(${opening})`;
  if (reasoning === undefined) return [format.atStart ? `^\\s*${open}` : open];
  const close = escapeRegex(reasoning.close);
  if (reasoning.forcedOpen) return [`${close}${lead}${open}`];
  const start = escapeRegex(reasoning.open);
  return [`^(?!\\s*${start})${lead}${open}`, `^\\s*${start}[\\s\\S]*?${close}${lead}${open}`];
}

/**
 * The grammar for `tools` in `format`. `forced`: the output must be calls
 * (`required` or a named tool); else lazy. `parallel`: several calls where
 * the format holds several.
 */
export function toolGrammar(
  format: ToolFormat,
  tools: readonly ToolSpec[],
  options: { forced: boolean; parallel: boolean; reasoning: ReasoningFormat | undefined },
): ToolGrammar {
  const { rules, calls } = format.grammar(tools, options.parallel && format.parallel);
  const opening = format.openingFor ? format.openingFor(tools.map((t) => t.name)) : format.opening;
  if (!options.forced) {
    return { grammar: [`root ::= ${calls}`, ...rules].join('\n'), grammar_lazy: true, grammar_trigger_patterns: triggers(format, opening, options.reasoning) };
  }
  const r = options.reasoning;
  const extra: string[] = [];
  let root = calls;
  if (r !== undefined) {
    extra.push(...untilMarker(r.close, 'tc-reasoning'), 'tc-gap ::= [ \\t\\r\\n]{0,16}');
    const think = r.forcedOpen ? 'tc-reasoning' : `(${lit(r.open)} tc-reasoning)?`;
    root = `${think} tc-gap ${calls}`;
  }
  return { grammar: [`root ::= ${root}`, ...rules, ...extra].join('\n'), grammar_lazy: false, grammar_trigger_patterns: [] };
}
