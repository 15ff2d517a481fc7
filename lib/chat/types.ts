/** The public shapes of chat: messages, tools, and the options of a chat template render. */

/**
 * Which engine turns messages into the prompt text:
 * - `'jinja'` (default): the model's Jinja chat template rendered as
 *   transformers' `apply_chat_template` renders it (jinja2 semantics);
 * - `'llama.cpp'`: llama.cpp's built-in `llama_chat_apply_template`, which
 *   recognises a template by its fragments and only knows `role` / `content`.
 */
export type ChatRenderer = 'jinja' | 'llama.cpp';

/** A tool call in an assistant message (OpenAI's shape). */
export interface ChatToolCall {
  /** The call's id (some templates require one, e.g. 9 alphanumerics for Mistral). */
  id?: string;
  /** `'function'`. */
  type?: string;
  /** The function called. */
  function: {
    /** The function's name. */
    name: string;
    /** Its arguments: an object, or a JSON string (OpenAI); templates differ in which they expect. */
    arguments: string | Record<string, unknown>;
  };
  /** Any other field, passed to the template as is. */
  [field: string]: unknown;
}

/**
 * A chat message, rendered with the model's chat template. Any field besides
 * `role` and `content` (`tool_calls`, `tool_call_id`, `name`,
 * `reasoning_content`...) is passed to the template as is; with the
 * `'llama.cpp'` renderer only `role` and a string `content` are used.
 */
export interface ChatMessage {
  /** `'system'`, `'user'`, `'assistant'`, `'tool'`, or any role the template knows. */
  role: string;
  /** The message's text, `null` (an assistant message with only tool calls), or content parts (`[{ type: 'text', text }]`). */
  content?: string | null | ReadonlyArray<Record<string, unknown>>;
  /** An assistant's tool calls. */
  tool_calls?: readonly ChatToolCall[];
  /** Any other field the template reads. */
  [field: string]: unknown;
}

/** A tool definition in OpenAI's shape (`{ type: 'function', function: { name, description, parameters } }`), a JSON schema. */
export type ChatTool = Readonly<Record<string, unknown>>;

/** A document for retrieval-augmented generation, usually `{ title, text }`. */
export type ChatDocument = Readonly<Record<string, unknown>>;

/** Options of a chat template render: {@link Model.applyChatTemplate}, and chat input to {@link Context.generate}. */
export interface ChatTemplateOptions {
  /**
   * The template: the name of one of the GGUF's templates
   * (`tokenizer.chat_template.<name>`, e.g. `'tool_use'`; `'default'` is
   * `tokenizer.chat_template`), else the Jinja text of a template. Text with
   * no Jinja tag (`{{`, `{%`, `{#`) is a llama.cpp built-in template name
   * (`'chatml'`, `'llama2'`...) and renders with the `'llama.cpp'` renderer.
   * Default: the model's template, or its `tool_use` template when `tools`
   * are given and it has one (as transformers picks).
   */
  chatTemplate?: string;
  /**
   * `'jinja'` (default) or `'llama.cpp'`; see {@link ChatRenderer}. `'jinja'`
   * falls back to llama.cpp for a built-in template name.
   */
  renderer?: ChatRenderer;
  /** End the prompt with the assistant turn's opening (default `true`, unless `continueFinalMessage`). */
  addGenerationPrompt?: boolean;
  /**
   * Leave the last message open, so the model continues it (a prefilled
   * answer): the render is cut right after the last message's content, as
   * transformers does. Cannot be combined with `addGenerationPrompt: true`.
   * Default `false`.
   */
  continueFinalMessage?: boolean;
  /** Tool definitions the template can present to the model (the template variable `tools`; `None` when absent). */
  tools?: readonly ChatTool[];
  /** Documents for retrieval-augmented generation (the template variable `documents`; `None` when absent). */
  documents?: readonly ChatDocument[];
  /**
   * More template variables, as transformers' extra keyword arguments
   * (`{ enable_thinking: false }`, `{ reasoning_effort: 'low' }`). They
   * override `bos_token` / `eos_token`; `messages`, `tools`, `documents` and
   * `add_generation_prompt` are set through their own options.
   */
  templateKwargs?: Readonly<Record<string, unknown>>;
  /** The text of the BOS token the template sees as `bos_token` (default: the model's). */
  bosToken?: string;
  /** The text of the EOS token the template sees as `eos_token` (default: the model's). */
  eosToken?: string;
  /** The time `strftime_now()` formats, in local time (default: now; pin it for reproducible renders). */
  now?: Date;
}

/** How chat messages became the prompt: in {@link GenerationResult.chat}. */
export interface ChatPromptInfo {
  /** The renderer that ran. */
  renderer: ChatRenderer;
  /** The rendered text, before tokenization. */
  text: string;
  /** The GGUF template used, by name (`'default'` for `tokenizer.chat_template`, `'tool_use'`...); absent for a template passed as text or a llama.cpp built-in name. */
  templateName?: string;
}

/** Every key of {@link ChatTemplateOptions}. @internal */
export const CHAT_TEMPLATE_OPTION_KEYS = [
  'chatTemplate',
  'renderer',
  'addGenerationPrompt',
  'continueFinalMessage',
  'tools',
  'documents',
  'templateKwargs',
  'bosToken',
  'eosToken',
  'now',
] as const satisfies ReadonlyArray<keyof ChatTemplateOptions>;
