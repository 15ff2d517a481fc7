/**
 * Which chat template a render uses, chosen as transformers'
 * `get_chat_template` does: a GGUF holds its default template in
 * `tokenizer.chat_template` and named ones in `tokenizer.chat_template.<name>`.
 * @internal
 */
import { invalidArgument } from '../errors';
import type { GgufValue } from '../gguf/types';

/** What a chat render needs from a model. */
export interface ChatModel {
  readonly chatTemplate: string | undefined;
  readonly metadata: Readonly<Record<string, GgufValue>>;
  readonly specialTokens: { readonly bos: number | null; readonly eos: number | null };
  tokenToPiece(token: number, options?: { special?: boolean }): Uint8Array;
}

/** The template a render uses. */
export type TemplateChoice =
  /** Jinja text, with the GGUF name it came from (absent for text passed by the caller). */
  | { kind: 'jinja'; source: string; name?: string }
  /** A name of llama.cpp's built-in templates (text without any Jinja tag). */
  | { kind: 'builtin'; name: string };

const NAMED_PREFIX = 'tokenizer.chat_template.';

/** The GGUF's named templates (`tokenizer.chat_template.<name>`), by name. */
export function namedTemplates(metadata: Readonly<Record<string, GgufValue>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith(NAMED_PREFIX) && typeof value === 'string') out.set(key.slice(NAMED_PREFIX.length), value);
  }
  return out;
}

/** Whether `text` is a Jinja template (has a tag); text without one is taken as a llama.cpp built-in template name. */
export function isJinja(text: string): boolean {
  return /\{[{%#]/.test(text);
}

function fromText(source: string, name?: string): TemplateChoice {
  return isJinja(source) ? { kind: 'jinja', source, ...(name === undefined ? {} : { name }) } : { kind: 'builtin', name: source.trim() };
}

/**
 * The template for a render: `requested` by GGUF name or as text; else the
 * `tool_use` template when there are tools and the GGUF has one; else the
 * default. `INVALID_ARGUMENT` when there is none.
 */
export function chooseTemplate(model: ChatModel, requested: string | undefined, hasTools: boolean): TemplateChoice {
  const named = namedTemplates(model.metadata);
  const fallback = model.chatTemplate;
  if (requested !== undefined) {
    const byName = named.get(requested) ?? (requested === 'default' ? fallback : undefined);
    return byName !== undefined ? fromText(byName, requested) : fromText(requested);
  }
  if (hasTools && named.has('tool_use')) return fromText(named.get('tool_use') as string, 'tool_use');
  if (fallback !== undefined && fallback !== '') return fromText(fallback, 'default');
  if (named.size > 0) {
    throw invalidArgument(
      `this model has several chat templates and no default; pass chatTemplate with one of their names: ${[...named.keys()].sort().join(', ')}`,
    );
  }
  throw invalidArgument(
    'this model has no chat template (tokenizer.chat_template); pass options.chatTemplate (a Jinja template, or a llama.cpp built-in name such as "chatml")',
  );
}
