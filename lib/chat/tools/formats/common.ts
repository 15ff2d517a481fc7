/** What the tool-call formats share: per-tool grammar alternatives, JSON-object calls, ids. @internal */
import { randomBytes } from 'node:crypto';
import { LlamaError } from '../../../errors';
import { SPACE_RULE, argumentsRules, jsonLit, lit } from '../gbnf';
import { isPlainObject } from '../../../config/checks';
import { tryJson } from '../json';
import type { ParsedOutput, ToolGrammarParts, ToolSpec } from '../types';

/** One alternative per tool, from its name (the GBNF literal of it, unquoted) and its arguments' rule. */
export function perTool(tools: readonly ToolSpec[], alternative: (tool: ToolSpec, args: string) => string): { rules: string[]; alternatives: string } {
  const rules: string[] = [SPACE_RULE];
  const alts: string[] = [];
  tools.forEach((tool, i) => {
    let args: ReturnType<typeof argumentsRules>;
    try {
      args = argumentsRules(tool.parameters, i);
    } catch (err) {
      if (err instanceof LlamaError) throw new LlamaError(err.code, `the parameters of tool '${tool.name}': ${err.message}`, { cause: err });
      throw err;
    }
    rules.push(...args.rules);
    alts.push(alternative(tool, args.root));
  });
  return { rules, alternatives: alts.length === 1 ? alts[0] : `(${alts.join(' | ')})` };
}

/** `first (separator first)*` when parallel, else `first`. */
export function repeated(call: string, parallel: boolean, separator = 'tc-space'): string {
  return parallel ? `${call} (${separator} ${call})*` : call;
}

/**
 * The grammar of `{"name": "<tool>", "<argumentsKey>": <arguments><extra>}`,
 * one alternative per tool, members in that order (as the templates render
 * them), as rule `tc-call`.
 */
export function objectCall(tools: readonly ToolSpec[], argumentsKey: string, extra = ''): ToolGrammarParts {
  const key = (name: string): string => `${jsonLit(name)} tc-space ":" tc-space`;
  const { rules, alternatives } = perTool(
    tools,
    (tool, args) => `"{" tc-space ${key('name')} ${jsonLit(tool.name)} tc-space "," tc-space ${key(argumentsKey)} ${args}${extra} tc-space "}"`,
  );
  return { rules: [...rules, `tc-call ::= ${alternatives}`], calls: 'tc-call' };
}

/** A GBNF literal, re-exported for the formats. */
export { lit };

/** A call read from `{"name", "arguments" | "parameters"}`, or undefined when `value` is not one. */
export function callFromObject(value: unknown): ParsedOutput['calls'][number] | undefined {
  if (!isPlainObject(value) || typeof value.name !== 'string') return undefined;
  const args = value.arguments ?? value.parameters ?? {};
  const parsed = typeof args === 'string' ? tryJson(args) : args;
  if (!isPlainObject(parsed)) return undefined;
  return typeof value.id === 'string' ? { name: value.name, arguments: parsed, id: value.id } : { name: value.name, arguments: parsed };
}

/** An id as OpenAI makes them: `call_` and 24 hex digits. */
export function openAIId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** 9 alphanumerics: the id shape Mistral's templates require. */
export function mistralId(): string {
  return Array.from(randomBytes(9), (b) => ALNUM[b % ALNUM.length]).join('');
}

/** The GBNF of a 9-alphanumeric id in quotes (Mistral Nemo) or bare. */
export const MISTRAL_ID_RULE = 'tc-id ::= [a-zA-Z0-9]{9}';

/** `text` with the spans removed, trimmed (the content around tool calls). */
export function without(text: string, spans: ReadonlyArray<readonly [number, number]>): string {
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start);
    at = end;
  }
  return (out + text.slice(at)).trim();
}

/** A regular expression source matching `text` literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
