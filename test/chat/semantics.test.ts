/**
 * jinja2's semantics under transformers' settings, probe by probe
 * (fixtures/jinja2-semantics.json, made by tools/semantics.py with Python's
 * jinja2): Python's operators and reprs, undefined values, filters, tests,
 * string and dict methods, scoping, macros, loop controls, the sandbox, and
 * whitespace control (trim_blocks, lstrip_blocks, -, +, raw, comments).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemplateFailure, compileTemplate } from '../../lib/chat/jinja';
import { ORACLE_NOW } from './golden-cases';

type Case = [template: string, result: string | { error: string }];
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'jinja2-semantics.json'), 'utf8')) as { variables: Record<string, unknown>; cases: Case[] };

describe('jinja2 semantics', () => {
  it.each(fixture.cases.map(([template, result], i) => [i, template.slice(0, 80).replace(/\s+/g, ' '), template, result] as const))(
    '#%i %s',
    (_i, _title, template, result) => {
      // As tools/oracle.py renders: transformers' variables, then the probe's.
      const variables = { messages: [], tools: null, documents: null, add_generation_prompt: false, bos_token: '<s>', eos_token: '</s>', ...fixture.variables };
      const render = (): string => compileTemplate(template).render(variables, { now: () => ORACLE_NOW });
      if (typeof result === 'string') {
        expect(render()).toBe(result);
        return;
      }
      let error: unknown;
      try {
        render();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TemplateFailure);
      expect((error as TemplateFailure).pythonType).toBe(result.error);
    },
  );
});
