/**
 * Tool calls and reasoning for one chat generation: which format the
 * template uses, the grammar that constrains the calls, and the spec each
 * output is read with. @internal
 */
import { argumentError } from '../../arguments';
import { detectToolFormat } from './families';
import { toolGrammar, type ToolGrammar } from './grammar';
import type { OutputSpec } from './output';
import { reasoningFormat } from './reasoning';
import { allowedTools, checkToolChoice, toolSpecs } from './toolChoice';
import type { ToolChoice, ToolFormat } from './types';

export { ChatOutputParser } from './output';
export type { OutputDelta, OutputFinal, OutputSpec } from './output';
export type { ToolGrammar } from './grammar';
export type { ToolCall, ToolCallFamily, ToolChoice } from './types';
export { toolCallFamily } from './families';

/** What a chat generation needs to know about its output. */
export interface ChatOutputPlan {
  /** How each output is read (undefined: its text is the answer as is). */
  spec: OutputSpec | undefined;
  /** The grammar fields constraining tool calls (undefined: none). */
  grammar: ToolGrammar | undefined;
  /** The checked tool choice. */
  toolChoice: ToolChoice;
}

/** The inputs of {@link planChatOutput}. */
export interface ChatOutputInputs {
  /** The template's Jinja text (undefined: a llama.cpp built-in template). */
  source: string | undefined;
  /** The rendered prompt. */
  prompt: string;
  tools: readonly Record<string, unknown>[] | undefined;
  toolChoice: unknown;
  parallelToolCalls: unknown;
  /** Whether to separate reasoning (default true). */
  parseReasoning: boolean;
}

/** A format whose answers have headers to take out even without tools (gpt-oss, functionary 3.2). */
function structuredFormat(source: string): ToolFormat | undefined {
  if (!source.includes('<|channel|>') && !source.includes('>>>')) return undefined;
  const format = detectToolFormat(source);
  return format.visible ? format : undefined;
}

/**
 * Plans the reading of a chat generation's output and the grammar of its
 * tool calls. Throws `INVALID_ARGUMENT` for bad tools or tool options.
 */
export function planChatOutput(inputs: ChatOutputInputs): ChatOutputPlan {
  const specs = inputs.tools === undefined ? undefined : toolSpecs(inputs.tools);
  const toolChoice = checkToolChoice(inputs.toolChoice, specs);
  const parallelOption = inputs.parallelToolCalls;
  if (parallelOption !== undefined && typeof parallelOption !== 'boolean') argumentError('parallelToolCalls', 'be a boolean', parallelOption);
  if (parallelOption !== undefined && specs === undefined) argumentError('parallelToolCalls', 'come with tools', parallelOption);
  const source = inputs.source;
  const reasoning = inputs.parseReasoning && source !== undefined ? reasoningFormat(source, inputs.prompt) : undefined;
  const callsParsed = specs !== undefined && specs.length > 0 && toolChoice !== 'none';
  const format = callsParsed ? detectToolFormat(source ?? '') : source === undefined ? undefined : structuredFormat(source);
  let grammar: ToolGrammar | undefined;
  let toolNames: Set<string> | undefined;
  if (callsParsed && format) {
    const allowed = allowedTools(specs, toolChoice);
    toolNames = new Set(allowed.map((t) => t.name));
    grammar = toolGrammar(format, allowed, {
      forced: toolChoice !== 'auto',
      parallel: typeof toolChoice === 'object' ? false : (parallelOption ?? true),
      reasoning,
    });
  }
  const spec: OutputSpec | undefined = reasoning || format ? { ...(reasoning && { reasoning }), ...(format && { format }), ...(toolNames && { toolNames }) } : undefined;
  return { spec, grammar, toolChoice };
}
