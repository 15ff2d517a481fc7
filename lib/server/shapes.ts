/**
 * Pieces of OpenAI's response objects shared by the endpoints: ids, finish
 * reasons, usage, logprobs in the chat and the legacy completions shapes. @internal
 */
import { randomBytes } from 'node:crypto';
import type { Model } from '../model';
import type { FinishReason, GenerationUsage, TokenLogprob } from '../generation/types';

/** An id such as `chatcmpl-3f9a...`. */
export function responseId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}

/** Seconds since the epoch (OpenAI's `created`). */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** OpenAI's finish reason: `stop` (EOS or a stop string), `length` (max tokens, a full context, or max_time), `tool_calls`. */
export function finishReason(reason: FinishReason | string, toolCalls = false): string {
  if (toolCalls || reason === 'tool_calls') return 'tool_calls';
  if (reason === 'eos' || reason === 'stop_string') return 'stop';
  if (reason === 'length' || reason === 'max_time') return 'length';
  return reason;
}

/** OpenAI's `usage`, with the cached prompt tokens in `prompt_tokens_details`. */
export function usage(u: GenerationUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedPromptTokens },
  };
}

/** The text and UTF-8 bytes of a token for logprobs (special tokens as their text). */
function tokenInfo(model: Model, token: number, text: string | undefined): { token: string; bytes: number[] } {
  const bytes = Array.from(model.tokenToPiece(token, { special: true }));
  return { token: text ?? Buffer.from(bytes).toString('utf8'), bytes };
}

/** Chat completions' `logprobs.content` entries. */
export function chatLogprobs(model: Model, logprobs: readonly TokenLogprob[]): Array<Record<string, unknown>> {
  return logprobs.map((l) => ({
    ...tokenInfo(model, l.token, l.text),
    logprob: l.logprob,
    top_logprobs: (l.topLogprobs ?? []).map((t) => ({ ...tokenInfo(model, t.token, t.text), logprob: t.logprob })),
  }));
}

/** Legacy completions' `logprobs` object; `offset` is where the choice's text starts (after an echoed prompt). */
export function completionLogprobs(model: Model, logprobs: readonly TokenLogprob[], offset: number): Record<string, unknown> {
  const tokens: string[] = [];
  const textOffset: number[] = [];
  let at = offset;
  for (const l of logprobs) {
    const text = tokenInfo(model, l.token, l.text).token;
    tokens.push(text);
    textOffset.push(at);
    at += text.length;
  }
  return {
    tokens,
    token_logprobs: logprobs.map((l) => l.logprob),
    top_logprobs: logprobs.map((l) => Object.fromEntries((l.topLogprobs ?? []).map((t) => [tokenInfo(model, t.token, t.text).token, t.logprob]))),
    text_offset: textOffset,
  };
}
