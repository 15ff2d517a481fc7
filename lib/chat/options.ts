/** Validation of {@link ChatTemplateOptions} and chat messages. @internal */
import { argumentError, choice, optionalBoolean, optionalString, optionsObject } from '../arguments';
import { invalidArgument } from '../errors';
import { CHAT_TEMPLATE_OPTION_KEYS, type ChatMessage, type ChatRenderer, type ChatTemplateOptions } from './types';

/** Template variables set through their own options, not `templateKwargs`. */
const RESERVED_KWARGS = ['messages', 'tools', 'documents', 'add_generation_prompt'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Date);
}

function listOfObjects(value: unknown, name: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) argumentError(name, 'be an array of objects', value);
  value.forEach((item, i) => {
    if (!isPlainObject(item)) argumentError(`${name}[${i}]`, 'be an object', item);
  });
}

/** The validated options, with their defaults. */
export interface ResolvedChatOptions {
  chatTemplate: string | undefined;
  renderer: ChatRenderer;
  addGenerationPrompt: boolean;
  continueFinalMessage: boolean;
  tools: readonly Record<string, unknown>[] | undefined;
  documents: readonly Record<string, unknown>[] | undefined;
  templateKwargs: Readonly<Record<string, unknown>>;
  bosToken: string | undefined;
  eosToken: string | undefined;
  now: Date | undefined;
}

/**
 * Checks chat template options. With `allowOthers`, keys that are not chat
 * options are left alone (the generate options they come with are checked
 * by the context).
 */
export function resolveChatOptions(options: ChatTemplateOptions, allowOthers = false): ResolvedChatOptions {
  const o = optionsObject(options, 'chat template options', allowOthers ? undefined : CHAT_TEMPLATE_OPTION_KEYS);
  const chatTemplate = optionalString(o.chatTemplate, 'chatTemplate', true);
  const renderer = o.renderer === undefined ? 'jinja' : choice(o.renderer, 'renderer', ['jinja', 'llama.cpp'] as const);
  const continueFinalMessage = optionalBoolean(o.continueFinalMessage, 'continueFinalMessage') ?? false;
  const agp = optionalBoolean(o.addGenerationPrompt, 'addGenerationPrompt');
  if (continueFinalMessage && agp === true) {
    throw invalidArgument(
      'continueFinalMessage and addGenerationPrompt are not compatible: continueFinalMessage continues the last message, addGenerationPrompt starts a new assistant message',
    );
  }
  listOfObjects(o.tools, 'tools');
  listOfObjects(o.documents, 'documents');
  if (o.templateKwargs !== undefined && !isPlainObject(o.templateKwargs)) argumentError('templateKwargs', 'be an object', o.templateKwargs);
  const templateKwargs = o.templateKwargs ?? {};
  for (const key of RESERVED_KWARGS) {
    if (Object.prototype.hasOwnProperty.call(templateKwargs, key)) {
      throw invalidArgument(`templateKwargs.${key} is set by the chat options themselves (${key === 'add_generation_prompt' ? 'addGenerationPrompt' : key === 'messages' ? 'the messages argument' : key}), not templateKwargs`);
    }
  }
  if (o.now !== undefined && !(o.now instanceof Date && !Number.isNaN(o.now.getTime()))) argumentError('now', 'be a valid Date', o.now);
  return {
    chatTemplate,
    renderer,
    addGenerationPrompt: agp ?? !continueFinalMessage,
    continueFinalMessage,
    tools: o.tools as readonly Record<string, unknown>[] | undefined,
    documents: o.documents as readonly Record<string, unknown>[] | undefined,
    templateKwargs,
    bosToken: optionalString(o.bosToken, 'bosToken'),
    eosToken: optionalString(o.eosToken, 'eosToken'),
    now: o.now,
  };
}

/** Checks chat messages: an array of objects, each with a string `role`. */
export function checkMessages(messages: unknown): readonly ChatMessage[] {
  if (!Array.isArray(messages)) argumentError('messages', 'be an array of chat messages', messages);
  messages.forEach((m, i) => {
    if (!isPlainObject(m)) throw invalidArgument(`messages[${i}] must be an object with role and content`);
    if (typeof m.role !== 'string' || m.role.length === 0) throw invalidArgument(`messages[${i}].role must be a non-empty string`);
  });
  return messages as readonly ChatMessage[];
}
