/**
 * Request fields of OpenAI's API (and a few of llama.cpp's server) that are
 * not generation config fields, with what to use instead: the one table of
 * their names. A call that passes one gets an INVALID_ARGUMENT naming the
 * equivalent (validate.ts); the server drops the bookkeeping ones
 * (`serverIgnores`) and answers the others with a 400 carrying the same
 * message; docs/generation-config.md lists the table (npm run docs:config).
 *
 * OpenAI names that are generation config fields are not here: the aliases
 * (`max_tokens`, `max_completion_tokens`, `stop`, `n`, `response_format`:
 * ALIASES in fields.ts) and the fields OpenAI shares (`temperature`, `top_p`,
 * `seed`, `logit_bias`, `logprobs`, `top_logprobs`, `frequency_penalty`,
 * `presence_penalty`).
 */

/** Where a foreign field comes from. */
export type ForeignApi = 'OpenAI' | "llama.cpp's server";

/** One foreign request field. */
export interface ForeignField {
  readonly api: ForeignApi;
  /** The name to use instead, when there is an equivalent (a generation option, or a field or option elsewhere when it is the same name). */
  readonly use?: string;
  /** One sentence: what it is and how to get it here (or why there is nothing to get). */
  readonly note: string;
  /** The server accepts it in a request and drops it: bookkeeping with no effect on a local model. */
  readonly serverIgnores?: true;
}

const BOOKKEEPING = "bookkeeping of OpenAI's service, with no effect on a local model: leave it out (the server drops it)";

/** Every foreign field, by name. */
export const FOREIGN_FIELDS: Readonly<Record<string, ForeignField>> = {
  // OpenAI, renamed or moved here
  functions: {
    api: 'OpenAI',
    use: 'tools',
    note: "OpenAI's deprecated form of tools: pass the functions as tools ({ type: 'function', function }), in a chat request to the server or in generate()'s options",
  },
  function_call: {
    api: 'OpenAI',
    use: 'tool_choice',
    note: "OpenAI's deprecated form of tool_choice: a field of a chat request to the server, or generate()'s toolChoice option",
  },
  max_output_tokens: { api: 'OpenAI', use: 'max_new_tokens', note: "the Responses API's name for the output length: max_new_tokens (or its aliases max_tokens, max_completion_tokens)" },
  tools: { api: 'OpenAI', use: 'tools', note: "not a generation config field: a field of a chat request to the server, or generate()'s tools option (its third argument)" },
  tool_choice: { api: 'OpenAI', use: 'toolChoice', note: "not a generation config field: a field of a chat request to the server, or generate()'s toolChoice option" },
  parallel_tool_calls: {
    api: 'OpenAI',
    use: 'parallelToolCalls',
    note: "not a generation config field: a field of a chat request to the server, or generate()'s parallelToolCalls option",
  },
  reasoning_effort: {
    api: 'OpenAI',
    use: 'templateKwargs',
    note: "a chat template variable: generate()'s templateKwargs: { reasoning_effort }, or the field of a chat request to the server",
  },
  stream: { api: 'OpenAI', note: 'generate() always streams: iterate the Generation (for await), or await its result; the server reads stream itself' },
  stream_options: { api: 'OpenAI', note: "generate() always streams, and its result has the token counts; the server's endpoints read stream_options themselves" },
  prediction: {
    api: 'OpenAI',
    use: 'prompt_lookup_num_tokens',
    note: 'predicted outputs are not supported; prompt lookup decoding (prompt_lookup_num_tokens) drafts tokens from n-grams of the prompt and the output instead, so text the answer repeats from the prompt comes faster',
  },
  best_of: { api: 'OpenAI', use: 'num_beams', note: 'not supported (except 1, by the completions endpoint); beam search (num_beams, with num_return_sequences) keeps the most likely sequences' },
  // OpenAI, nothing to use instead
  modalities: { api: 'OpenAI', note: 'text output only: leave it out' },
  audio: { api: 'OpenAI', note: 'no audio output: text only' },
  web_search_options: { api: 'OpenAI', note: 'no web search: a local model sees only its prompt' },
  verbosity: { api: 'OpenAI', note: 'no equivalent: bound the length with max_new_tokens, or ask for brevity in the prompt' },
  // OpenAI bookkeeping, dropped by the server
  user: { api: 'OpenAI', note: BOOKKEEPING, serverIgnores: true },
  store: { api: 'OpenAI', note: BOOKKEEPING, serverIgnores: true },
  metadata: { api: 'OpenAI', note: BOOKKEEPING, serverIgnores: true },
  service_tier: { api: 'OpenAI', note: BOOKKEEPING, serverIgnores: true },
  safety_identifier: { api: 'OpenAI', note: BOOKKEEPING, serverIgnores: true },
  prompt_cache_key: { api: 'OpenAI', note: 'prompt prefixes are reused automatically (the longest cached prefix): leave it out (the server drops it)', serverIgnores: true },
  // llama.cpp's server
  n_predict: { api: "llama.cpp's server", use: 'max_new_tokens', note: "llama.cpp's name for max_new_tokens" },
  repeat_last_n: { api: "llama.cpp's server", use: 'penalty_last_n', note: "llama.cpp's name for penalty_last_n" },
  n_probs: { api: "llama.cpp's server", use: 'top_logprobs', note: 'top_logprobs (with logprobs: true) gives the n most likely tokens of each step' },
  t_max_predict_ms: { api: "llama.cpp's server", use: 'max_time', note: 'max_time bounds the generation time, in seconds' },
  cache_prompt: { api: "llama.cpp's server", note: 'prompt prefixes are reused automatically (the longest cached prefix): leave it out (the server drops it)', serverIgnores: true },
};

/** The foreign field `key`, if it is one. */
export function foreignField(key: string): ForeignField | undefined {
  return Object.hasOwn(FOREIGN_FIELDS, key) ? FOREIGN_FIELDS[key] : undefined;
}

/** The fields the server accepts in a request and drops. */
export const SERVER_IGNORED_FIELDS: readonly string[] = Object.freeze(
  Object.keys(FOREIGN_FIELDS).filter((key) => FOREIGN_FIELDS[key]!.serverIgnores === true),
);

/**
 * The message for foreign field `key` passed as a generation option:
 * "unsupported generation option 'functions' (OpenAI): use 'tools'; …".
 */
export function foreignFieldMessage(key: string, field: ForeignField): string {
  const use = field.use !== undefined && field.use !== key ? `use '${field.use}'; ` : '';
  return `unsupported generation option '${key}' (${field.api}): ${use}${field.note}`;
}
