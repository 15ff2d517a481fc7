/** The public shapes of tool calling: tool choice, parsed tool calls, and the tool-call formats. */

/** A tool call parsed out of a generation (`result.toolCalls`, `chunk.toolCalls`). */
export interface ToolCall {
  /**
   * The call's id: the one the model wrote where its format has ids
   * (Mistral), else one made up (`call_` and 24 hex digits; 9 alphanumerics
   * for Mistral's formats, which require that shape back).
   */
  id: string;
  /** The function called: one of the `tools`' names. */
  name: string;
  /**
   * The arguments as JSON text (compact `JSON.stringify` of the value the
   * model wrote), as OpenAI's `tool_calls[].function.arguments`. Under a
   * tools grammar the value always parses and matches the tool's
   * `parameters` schema.
   */
  arguments: string;
}

/**
 * Which tools the model may or must call (OpenAI's `tool_choice`):
 * - `'auto'` (default): free text, or tool calls; the calls are constrained
 *   by a lazy grammar that starts at the format's tool-call opening;
 * - `'none'`: no tool call is constrained or parsed (the tools are still
 *   rendered into the prompt, as llama.cpp's server does);
 * - `'required'`: the output is tool calls (after the reasoning of a model
 *   that thinks first);
 * - `{ type: 'function', function: { name } }`: one call of that tool.
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/**
 * The tool-call formats the library knows, detected from the chat template's
 * text (see docs/tools.md):
 * - `'hermes'`: `<tool_call>{"name", "arguments"}</tool_call>` (Qwen 2.5 / 3, QwQ, Hermes 2 Pro / 3);
 * - `'llama3'`: the whole answer is `{"name", "parameters"}` (Llama 3.1 / 3.2 / 3.3);
 * - `'mistral'`: `[TOOL_CALLS][{"name", "arguments", "id"}]` (Mistral Nemo);
 * - `'mistral-args'`: `[TOOL_CALLS]name[CALL_ID]id[ARGS]{...}` (Mistral Small 3.2, Devstral, Ministral 3);
 * - `'deepseek-r1'`: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>name` + a fenced JSON block (DeepSeek R1 and its distills);
 * - `'deepseek-v3'`: `<｜tool▁call▁begin｜>name<｜tool▁sep｜>{...}<｜tool▁call▁end｜>` (DeepSeek V3.1);
 * - `'gpt-oss'`: harmony's `to=functions.name ... <|message|>{...}` (gpt-oss);
 * - `'functionary-v3.1'`: `<function=name>{...}</function>` (Functionary 3.1);
 * - `'functionary-v3.2'`: `>>>name\n{...}` (Functionary 3.2);
 * - `'generic'`: any other template: the whole answer is `{"name", "arguments"}`.
 */
export type ToolCallFamily =
  | 'hermes'
  | 'llama3'
  | 'mistral'
  | 'mistral-args'
  | 'deepseek-r1'
  | 'deepseek-v3'
  | 'gpt-oss'
  | 'functionary-v3.1'
  | 'functionary-v3.2'
  | 'generic';

/** A tool as the tool-call formats use it: its name and its parameters' JSON Schema. @internal */
export interface ToolSpec {
  name: string;
  /** The `parameters` schema (`{ type: 'object' }`, any object, when the tool has none). */
  parameters: Record<string, unknown>;
}

/** What a format's parser found in a whole output (or, partial, in the output so far). @internal */
export interface ParsedOutput {
  /** The answer: the text outside reasoning and tool calls. */
  content: string;
  /** Reasoning text, when the format separates it here (gpt-oss's analysis channel). */
  reasoning?: string;
  /** The calls, in order. */
  calls: Array<{ name: string; arguments: unknown; id?: string }>;
}

/** How a format's calls are constrained: GBNF pieces and the regex of its opening. @internal */
export interface ToolGrammarParts {
  /** GBNF rules (besides `root`) the calls need. */
  rules: string[];
  /** The GBNF expression of the tool-call section (one call, or several with `parallel`). */
  calls: string;
}

/**
 * One tool-call format: how the template shows calls, how the output is
 * constrained, and how calls are read back. @internal
 */
export interface ToolFormat {
  readonly family: ToolCallFamily;
  /** Whether the format can hold several calls in one answer. */
  readonly parallel: boolean;
  /**
   * The regular expression (ECMAScript, as std::regex runs it) of the
   * opening of the tool-call section, where the lazy grammar starts.
   */
  readonly opening: string;
  /** The opening for these tool names, when it depends on them (instead of {@link ToolFormat.opening}). */
  openingFor?(names: readonly string[]): string;
  /** Whether the tool-call section is the whole answer (it must open the answer), not text among text. */
  readonly atStart: boolean;
  /** Literal markers whose prefix at the end of streamed text is held back (it may open a call). */
  readonly markers: readonly string[];
  /** The grammar of the tool-call section for `tools`, several calls when `parallel`. */
  grammar(tools: readonly ToolSpec[], parallel: boolean): ToolGrammarParts;
  /** Reads the answer (reasoning already taken out): content and calls. Throws nothing; malformed calls stay content. */
  parse(text: string): ParsedOutput;
  /**
   * The content that can be shown of a partial answer while streaming (its
   * own headers left out), when the default (the text before the opening,
   * less a partial marker at its end) does not fit the format.
   */
  visible?(answer: string): string;
  /** A made-up call id in the shape the template takes back. */
  makeId?(): string;
}
