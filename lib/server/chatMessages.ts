/**
 * OpenAI chat messages → the library's chat messages: text content parts
 * joined into one string, tool-call arguments sent as JSON text parsed into
 * objects (what transformers' templates expect), every other field passed to
 * the template as is. @internal
 */
import type { ChatMessage } from '../chat/types';
import { badRequest } from './errors';

function textOf(content: unknown, where: string): string | null {
  if (content === undefined || content === null || typeof content === 'string') return (content as string | null | undefined) ?? null;
  if (!Array.isArray(content)) throw badRequest(`${where}.content must be a string, null or an array of content parts`, 'messages');
  return content
    .map((part: unknown, i) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (typeof p !== 'object' || p === null) throw badRequest(`${where}.content[${i}] must be a content part object`, 'messages');
      if (p.type !== 'text' || typeof p.text !== 'string') {
        throw badRequest(`${where}.content[${i}]: only text content parts are supported (got type ${JSON.stringify(p.type)})`, 'messages', 'unsupported');
      }
      return p.text;
    })
    .join('\n');
}

function parsedArguments(call: unknown): unknown {
  const fn = (call as { function?: { arguments?: unknown } } | null)?.function;
  if (typeof fn?.arguments !== 'string') return call;
  try {
    const parsed: unknown = JSON.parse(fn.arguments);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return call;
    return { ...(call as object), function: { ...fn, arguments: parsed } };
  } catch {
    return call;
  }
}

/** Checks and converts a request's `messages`. */
export function chatMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw badRequest('messages must be a non-empty array of messages', 'messages');
  return value.map((m: unknown, i) => {
    const where = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw badRequest(`${where} must be an object`, 'messages');
    const message = m as Record<string, unknown>;
    if (typeof message.role !== 'string' || message.role.length === 0) throw badRequest(`${where}.role must be a non-empty string`, 'messages');
    const out: ChatMessage = { ...message, role: message.role, content: textOf(message.content, where) };
    if (Array.isArray(message.tool_calls)) out.tool_calls = message.tool_calls.map(parsedArguments) as ChatMessage['tool_calls'];
    return out;
  });
}
