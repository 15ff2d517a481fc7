/** Checks of `tools`, `toolChoice` and `parallelToolCalls`, and the tools a call may use. @internal */
import { argumentError, show } from '../../arguments';
import { invalidArgument } from '../../errors';
import type { ToolChoice, ToolSpec } from './types';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The tools' names and parameter schemas, from OpenAI-style definitions
 * (`{ type: 'function', function: { name, description?, parameters? } }`).
 * `INVALID_ARGUMENT` for a tool without a name, a name used twice, a type
 * other than `'function'` or parameters that are not a schema object.
 */
export function toolSpecs(tools: readonly Record<string, unknown>[]): ToolSpec[] {
  const seen = new Set<string>();
  return tools.map((tool, i) => {
    if (tool.type !== undefined && tool.type !== 'function') argumentError(`tools[${i}].type`, "be 'function'", tool.type);
    const fn = tool.function;
    if (!isObject(fn)) argumentError(`tools[${i}].function`, 'be an object { name, description?, parameters? }', fn);
    const name = fn.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      argumentError(`tools[${i}].function.name`, 'be a name of 1 to 64 letters, digits, _ . or -', name);
    }
    if (seen.has(name)) throw invalidArgument(`tools[${i}].function.name '${name}' is used by another tool too`);
    seen.add(name);
    const parameters = fn.parameters ?? { type: 'object' };
    if (!isObject(parameters)) argumentError(`tools[${i}].function.parameters`, 'be a JSON Schema object', parameters);
    return { name, parameters };
  });
}

/** A checked `toolChoice` (default `'auto'`). */
export function checkToolChoice(choice: unknown, tools: readonly ToolSpec[] | undefined): ToolChoice {
  if (choice === undefined || choice === 'auto') return 'auto';
  if (choice === 'none') return 'none';
  const named = isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string';
  if (choice !== 'required' && !named) {
    argumentError('toolChoice', "be 'auto', 'none', 'required' or { type: 'function', function: { name } }", choice);
  }
  if (tools === undefined || tools.length === 0) throw invalidArgument(`toolChoice ${show(choice)} needs tools`);
  if (named) {
    const name = (choice as { function: { name: string } }).function.name;
    if (!tools.some((t) => t.name === name)) {
      throw invalidArgument(`toolChoice names the function '${name}', which is not one of the tools (${tools.map((t) => t.name).join(', ')})`);
    }
    return { type: 'function', function: { name } };
  }
  return 'required';
}

/** The tools the grammar allows under `choice`: all of them, or the one named. */
export function allowedTools(tools: readonly ToolSpec[], choice: ToolChoice): ToolSpec[] {
  if (typeof choice === 'object') return tools.filter((t) => t.name === choice.function.name);
  return [...tools];
}
