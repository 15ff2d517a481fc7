/**
 * Tools in and tool calls out, in OpenAI's chat shape. The request's `tools`
 * go to the chat template (`generate()`'s `tools` option); `tool_choice` and
 * `parallel_tool_calls` go to `generate()` as `toolChoice` /
 * `parallelToolCalls`, which constrains and parses the calls (docs/tools.md).
 * A result (or last chunk) with `toolCalls` becomes OpenAI's `tool_calls`, and
 * `reasoning` becomes `reasoning_content` (the name llama.cpp's server and
 * DeepSeek use). @internal
 */
import { openAIId } from '../chat/tools/formats/common';
import { badRequest } from './errors';

/** A tool call as the library reports it (`result.toolCalls`, `chunk.toolCalls`: a `ToolCall`), or any call with an object for arguments. */
export interface ParsedToolCall {
  /** The call's id, when the model or the library gave one. */
  id?: string;
  /** The function's name. */
  name: string;
  /** Its arguments: a JSON string or the parsed object. */
  arguments: string | Record<string, unknown>;
}

/** OpenAI's `tool_calls` entry. */
export interface OpenAIToolCall {
  index: number;
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** `toolCalls` in OpenAI's shape: ids made up where missing, arguments as JSON text. */
export function openAIToolCalls(calls: readonly ParsedToolCall[]): OpenAIToolCall[] {
  return calls.map((call, index) => ({
    index,
    id: call.id ?? openAIId(),
    type: 'function',
    function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
  }));
}

/** The generate() options for a request's `tools`, `tool_choice` and `parallel_tool_calls`. */
export function toolOptions(tools: unknown, toolChoice: unknown, parallel: unknown): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw badRequest('tools must be an array of tool definitions', 'tools');
    tools.forEach((tool, i) => {
      const fn = (tool as { function?: { name?: unknown } } | null)?.function;
      if (typeof tool !== 'object' || tool === null || (tool as { type?: unknown }).type !== 'function' || typeof fn?.name !== 'string') {
        throw badRequest(`tools[${i}] must be { type: 'function', function: { name, description?, parameters? } }`, 'tools');
      }
    });
    if (tools.length > 0) options.tools = tools;
  }
  if (toolChoice !== undefined && toolChoice !== null && toolChoice !== 'auto') {
    const named = typeof toolChoice === 'object' && (toolChoice as { type?: unknown }).type === 'function';
    if (toolChoice !== 'none' && toolChoice !== 'required' && !named) {
      throw badRequest("tool_choice must be 'auto', 'none', 'required' or { type: 'function', function: { name } }", 'tool_choice');
    }
    if (options.tools === undefined && toolChoice !== 'none') throw badRequest('tool_choice needs tools', 'tool_choice');
    options.toolChoice = toolChoice;
  }
  if (parallel !== undefined && parallel !== null) {
    if (typeof parallel !== 'boolean') throw badRequest('parallel_tool_calls must be a boolean', 'parallel_tool_calls');
    if (options.tools !== undefined) options.parallelToolCalls = parallel;
  }
  return options;
}
