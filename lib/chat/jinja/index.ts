/**
 * A Jinja engine that renders chat templates byte for byte as Python's jinja2
 * does under transformers' `apply_chat_template` settings: the template is
 * lexed here with jinja2's whitespace rules (lexer.ts), parsed by
 * @huggingface/jinja, and evaluated with Python semantics (interpreter.ts).
 * See docs/generation.md ("Chat templates") for where it still differs. @internal
 */
import { parse } from './library';
import type { Node, ProgramNode } from './ast';
import { TemplateFailure } from './errors';
import { makeGlobals, type GlobalOptions } from './globals';
import { Interpreter, Scope } from './interpreter';
import { lex } from './lexer';
import { fromJs } from './values';

export { TemplateFailure } from './errors';
export type { PythonErrorType } from './errors';

/** A parsed template, ready to render any number of times. */
export class CompiledTemplate {
  readonly #body: Node[];

  /** Parses `source`; throws a `TemplateFailure` (`TemplateSyntaxError`) when it does not parse. */
  constructor(source: string) {
    const tokens = lex(source);
    let program: ProgramNode;
    try {
      program = parse(tokens) as ProgramNode;
    } catch (err) {
      if (err instanceof TemplateFailure) throw err;
      throw new TemplateFailure('TemplateSyntaxError', (err as Error).message, { cause: err });
    }
    this.#body = program.body;
  }

  /**
   * Renders with `variables` (JSON-like JavaScript values, converted to their
   * Python counterparts). Throws a `TemplateFailure` named after the Python
   * exception jinja2 would raise.
   */
  render(variables: Record<string, unknown>, options: GlobalOptions): string {
    const globals = new Scope(null);
    for (const [k, v] of makeGlobals(options)) globals.vars.set(k, v);
    const scope = new Scope(globals);
    for (const [k, v] of Object.entries(variables)) if (v !== undefined) scope.vars.set(k, fromJs(v));
    return new Interpreter().render(this.#body, scope);
  }
}

const cache = new Map<string, CompiledTemplate>();
const CACHE_SIZE = 16;

/** Parses a template, reusing the last few parses (a model's template is rendered on every chat turn). */
export function compileTemplate(source: string): CompiledTemplate {
  const hit = cache.get(source);
  if (hit !== undefined) {
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const compiled = new CompiledTemplate(source);
  cache.set(source, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}
