/**
 * Every case of the chat-template oracle (../shared/golden/chat-templates-public.jsonl:
 * renders by Python's jinja2 configured as transformers' apply_chat_template, see
 * CHAT-README.md there) renders byte for byte, or fails as the oracle does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlamaError } from '../../lib/errors';
import { renderChat } from '../../lib/chat/render';
import { TemplateFailure } from '../../lib/chat/jinja';
import type { ChatMessage } from '../../lib/chat/types';
import { ROOT } from '../support/models';
import { NO_MODEL, ORACLE_NOW } from './golden-cases';

const GOLDEN = join(ROOT, '..', 'shared', 'golden', 'chat-templates-public.jsonl');

interface GoldenCase {
  id: string;
  template_name: string;
  template: string;
  messages: ChatMessage[];
  tools: Record<string, unknown>[] | null;
  add_generation_prompt: boolean;
  extra_kwargs: Record<string, unknown>;
  bos_token: string;
  eos_token: string;
  expected?: string;
  expected_error?: string;
}

/** Renders one case as transformers would: `documents` in the extra kwargs is apply_chat_template's own parameter. */
function renderCase(c: GoldenCase): string {
  const { documents, ...kwargs } = c.extra_kwargs;
  return renderChat(NO_MODEL, c.messages, {
    chatTemplate: c.template,
    addGenerationPrompt: c.add_generation_prompt,
    tools: c.tools ?? undefined,
    documents: (documents ?? undefined) as Record<string, unknown>[] | undefined,
    templateKwargs: kwargs,
    bosToken: c.bos_token,
    eosToken: c.eos_token,
    now: ORACLE_NOW,
  }).text;
}

const cases: GoldenCase[] = existsSync(GOLDEN)
  ? readFileSync(GOLDEN, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as GoldenCase)
  : [];

describe.skipIf(cases.length === 0)('chat templates: the public golden renders', () => {
  it('has all 335 cases (311 renders, 24 errors)', () => {
    expect(cases).toHaveLength(335);
    expect(cases.filter((c) => c.expected_error !== undefined)).toHaveLength(24);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    if (c.expected !== undefined) {
      expect(renderCase(c)).toBe(c.expected);
      return;
    }
    const expected = c.expected_error as string;
    const pythonType = expected.slice(0, expected.indexOf(':'));
    let error: unknown;
    try {
      renderCase(c);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LlamaError);
    const e = error as LlamaError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    // The Python exception type matches too (the golden file only requires a refusal).
    expect((e.cause as TemplateFailure).pythonType).toBe(pythonType);
    // raise_exception(...) keeps the template's own message.
    if (pythonType === 'TemplateError') expect(e.message).toBe(expected.slice('TemplateError: '.length));
  });
});
