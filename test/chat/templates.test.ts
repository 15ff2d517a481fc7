/**
 * All of llama.cpp's real chat templates (vendor/llama.cpp/models/templates,
 * 70 files) against renders by Python's jinja2 with transformers' settings:
 * the golden file's conversations and a few more, on every template, with
 * extra keyword arguments guessed from each template's variables
 * (fixtures/llama-cpp-templates.json, made by tools/oracle.py --fixture;
 * renders are compared by SHA-256). Skipped without the vendored templates.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemplateFailure } from '../../lib/chat/jinja';
import { renderChat } from '../../lib/chat/render';
import type { ChatMessage } from '../../lib/chat/types';
import { LlamaError } from '../../lib/errors';
import { ROOT } from '../support/models';
import { NO_MODEL, ORACLE_NOW } from './golden-cases';

type Result = string | { error: string };
type Case = [template: string, conversation: string, kwargs: Record<string, unknown>, bos: string, eos: string, result: Result];
interface Fixture {
  templates: Record<string, string>;
  conversations: Record<string, [ChatMessage[], Record<string, unknown>[] | null, boolean]>;
  cases: Case[];
}

const TEMPLATES = join(ROOT, 'vendor', 'llama.cpp', 'models', 'templates');
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'llama-cpp-templates.json'), 'utf8')) as Fixture;
const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);

function render(template: string, c: Case): string {
  const [messages, tools, addGenerationPrompt] = fixture.conversations[c[1]];
  const { documents, ...kwargs } = c[2];
  return renderChat(NO_MODEL, messages, {
    chatTemplate: template,
    addGenerationPrompt,
    tools: tools ?? undefined,
    documents: (documents ?? undefined) as Record<string, unknown>[] | undefined,
    templateKwargs: kwargs,
    bosToken: c[3],
    eosToken: c[4],
    now: ORACLE_NOW,
  }).text;
}

describe.skipIf(!existsSync(TEMPLATES))("chat templates: llama.cpp's 70 templates against jinja2", () => {
  const names = Object.keys(fixture.templates);

  it('covers every template', () => {
    expect(names.length).toBeGreaterThanOrEqual(70);
    expect(fixture.cases.length).toBeGreaterThan(4000);
  });

  it.each(names)('%s', (name) => {
    const path = join(TEMPLATES, `${name}.jinja`);
    const template = readFileSync(path, 'utf8');
    // A template updated with llama.cpp needs the fixture made again (tools/oracle.py --fixture).
    expect(digest(template), `${name}.jinja changed since the fixture was made`).toBe(fixture.templates[name]);
    const mismatches: string[] = [];
    for (const c of fixture.cases.filter((x) => x[0] === name)) {
      const label = `${c[1]} ${JSON.stringify(c[2])}`;
      const want = c[5];
      try {
        const got = render(template, c);
        if (typeof want !== 'string') mismatches.push(`${label}: rendered, expected ${want.error}`);
        else if (digest(got) !== want) mismatches.push(`${label}: render differs`);
      } catch (err) {
        if (typeof want === 'string') {
          mismatches.push(`${label}: ${(err as Error).message}`);
          continue;
        }
        const failure = (err as LlamaError).cause as TemplateFailure;
        const type = want.error.split(':')[0];
        if (!(err instanceof LlamaError) || failure.pythonType !== type) mismatches.push(`${label}: ${(err as Error).message}, expected ${want.error}`);
        else if (type === 'TemplateError' && err.message !== want.error.slice('TemplateError: '.length)) mismatches.push(`${label}: message ${err.message}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
