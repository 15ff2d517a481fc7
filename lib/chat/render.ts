/**
 * Chat messages → prompt text: the Jinja renderer (transformers'
 * `apply_chat_template`, byte for byte) or llama.cpp's built-in one.
 * @internal
 */
import { LlamaError, invalidArgument } from '../errors';
import { native } from '../native';
import { TemplateFailure, compileTemplate } from './jinja';
import { checkMessages, resolveChatOptions, type ResolvedChatOptions } from './options';
import { chooseTemplate, type ChatModel } from './template';
import type { ChatMessage, ChatPromptInfo, ChatTemplateOptions } from './types';

const decoder = new TextDecoder();

/** The text of a special token, as the tokenizer's `bos_token` / `eos_token` would be. */
function tokenText(model: ChatModel, id: number | null): string | undefined {
  return id === null ? undefined : decoder.decode(model.tokenToPiece(id, { special: true }));
}

/** A template failure as a LlamaError: `raise_exception` keeps the template's own message. */
function templateError(err: unknown): never {
  if (err instanceof TemplateFailure) {
    if (err.pythonType === 'TemplateError') throw new LlamaError('INVALID_ARGUMENT', err.message, { cause: err });
    const what = err.pythonType === 'TemplateSyntaxError' ? 'the chat template does not parse' : 'the chat template failed';
    throw new LlamaError('INVALID_ARGUMENT', `${what}: ${err.pythonType}: ${err.message}`, { cause: err });
  }
  if (err instanceof LlamaError) throw err;
  throw new LlamaError('INTERNAL', `the chat template renderer failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

function renderJinja(model: ChatModel, source: string, messages: readonly ChatMessage[], o: ResolvedChatOptions): string {
  const variables: Record<string, unknown> = {
    bos_token: o.bosToken ?? tokenText(model, model.specialTokens.bos),
    eos_token: o.eosToken ?? tokenText(model, model.specialTokens.eos),
    ...o.templateKwargs,
    messages,
    tools: o.tools ?? null,
    documents: o.documents ?? null,
    add_generation_prompt: o.addGenerationPrompt,
  };
  const now = o.now;
  try {
    return compileTemplate(source).render(variables, { now: () => now ?? new Date() });
  } catch (err) {
    return templateError(err);
  }
}

function renderBuiltin(template: string, messages: readonly ChatMessage[], o: ResolvedChatOptions): string {
  for (const [key, value] of [['tools', o.tools], ['documents', o.documents]] as const) {
    if (value !== undefined) throw invalidArgument(`${key} need the 'jinja' renderer: llama.cpp's built-in templates only render role and content`);
  }
  if (Object.keys(o.templateKwargs).length > 0) throw invalidArgument("templateKwargs need the 'jinja' renderer: llama.cpp's built-in templates take no variables");
  const plain = messages.map((m, i) => {
    if (typeof m.content !== 'string') throw invalidArgument(`messages[${i}].content must be a string with the 'llama.cpp' renderer`);
    return { role: m.role, content: m.content };
  });
  return native().applyChatTemplate(template, plain, o.addGenerationPrompt);
}

/** transformers' `continue_final_message`: cut the render right after the last message's content. */
function continueFinal(text: string, messages: readonly ChatMessage[]): string {
  const last = messages.at(-1);
  if (last === undefined) throw invalidArgument('continueFinalMessage needs at least one message');
  let content: unknown = last.content;
  if (Array.isArray(content)) content = (content.at(-1) as Record<string, unknown> | undefined)?.text;
  if (typeof content !== 'string') throw invalidArgument('continueFinalMessage needs a last message with text content');
  for (const needle of [content, content.trim()]) {
    const i = text.lastIndexOf(needle);
    if (i !== -1) return text.slice(0, i + needle.length);
  }
  throw invalidArgument('continueFinalMessage: the last message does not appear in the rendered chat (the template changes it)');
}

/**
 * Renders chat messages into the prompt text; says which renderer ran.
 * Throws `INVALID_ARGUMENT` for bad options, a model without a template, a
 * template that does not parse or fails (with `raise_exception`'s own
 * message), and `UNSUPPORTED` for a template llama.cpp's renderer does not know.
 */
export function renderChat(model: ChatModel, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}, allowOtherOptions = false): ChatPromptInfo {
  const o = resolveChatOptions(options, allowOtherOptions);
  checkMessages(messages);
  const choice = chooseTemplate(model, o.chatTemplate, o.tools !== undefined);
  let info: ChatPromptInfo;
  if (choice.kind === 'builtin' || o.renderer === 'llama.cpp') {
    const text = renderBuiltin(choice.kind === 'builtin' ? choice.name : choice.source, messages, o);
    info = { renderer: 'llama.cpp', text };
  } else {
    info = { renderer: 'jinja', text: renderJinja(model, choice.source, messages, o) };
  }
  if (choice.kind === 'jinja' && choice.name !== undefined) info.templateName = choice.name;
  if (o.continueFinalMessage) info.text = continueFinal(info.text, messages);
  return info;
}
