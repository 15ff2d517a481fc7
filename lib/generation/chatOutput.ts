/**
 * A chat generation's output plan (tool calls, reasoning) from its render
 * and options, checked against the config. @internal
 */
import { planChatOutput, type ChatOutputPlan } from '../chat/tools';
import { chooseTemplate, type ChatModel } from '../chat/template';
import type { ChatPromptInfo } from '../chat/types';
import type { ResolvedGenerationConfig } from '../config';
import { invalidArgument } from '../errors';
import type { GenerateOptions } from './types';

/** The template text a render used (undefined for llama.cpp's built-in renderer). */
function templateSource(model: ChatModel, chat: ChatPromptInfo, options: GenerateOptions): string | undefined {
  if (chat.renderer !== 'jinja') return undefined;
  const choice = chooseTemplate(model, options.chatTemplate, options.tools !== undefined);
  return choice.kind === 'jinja' ? choice.source : undefined;
}

/**
 * How the output of a generation is read: undefined for text and token
 * input. `INVALID_ARGUMENT` for tool options without chat input, bad tools
 * or tool choice, and a tools grammar next to the config's own `grammar` or
 * `json_schema`.
 */
export function chatOutputPlan(
  model: ChatModel,
  chat: ChatPromptInfo | undefined,
  config: ResolvedGenerationConfig,
  options: GenerateOptions,
): ChatOutputPlan | undefined {
  if (chat === undefined) {
    for (const key of ['toolChoice', 'parallelToolCalls'] as const) {
      if (options[key] !== undefined) throw invalidArgument(`${key} needs chat input (messages rendered with a chat template and tools)`);
    }
    return undefined;
  }
  const plan = planChatOutput({
    source: templateSource(model, chat, options),
    prompt: chat.text,
    tools: options.tools as readonly Record<string, unknown>[] | undefined,
    toolChoice: options.toolChoice,
    parallelToolCalls: options.parallelToolCalls,
    parseReasoning: options.parseReasoning ?? true,
  });
  const v = config.values;
  if (plan.grammar && ((v.grammar ?? null) !== null || (v.json_schema ?? null) !== null)) {
    throw invalidArgument(
      `tools with toolChoice ${JSON.stringify(plan.toolChoice)} constrain the output with their own grammar; ` +
        "they cannot be combined with grammar, json_schema or response_format (pass toolChoice: 'none' to use yours)",
    );
  }
  return plan;
}
