/** The public shapes of generation: input, options, chunks, results. */
import type { ChatMessage, ChatPromptInfo, ChatTemplateOptions } from '../chat/types';
import type { ResolvedGenerationConfig } from '../config';
import type { Tokens } from '../tokens';
import type { ToolCall, ToolChoice } from '../chat/tools/types';
import type { JsonSchemaToType } from './jsonResult';

/**
 * Why an output ended: an end-of-generation token (`'eos'`), a stop string,
 * `max_new_tokens` or a full sequence (`'length'`), `max_time`, an abort, or
 * (chat with `tools`) an end-of-generation token after tool calls
 * (`'tool_calls'`: the output has {@link GenerationOutput.toolCalls}).
 */
export type FinishReason = 'eos' | 'stop_string' | 'length' | 'max_time' | 'abort' | 'tool_calls';

export type { ChatMessage } from '../chat/types';

/** What {@link Context.generate} accepts: text, token ids, or chat messages. */
export type GenerationInput = string | Tokens | readonly ChatMessage[];

/** The log-probability of a token under the model's raw (unprocessed) distribution. */
export interface TokenLogprob {
  /** The token id. */
  token: number;
  /**
   * The token's text (special tokens as their text, e.g. `</s>`). A token
   * holding part of a multi-byte character shows U+FFFD for the missing part;
   * `model.tokenToPiece(token, { special: true })` gives its exact bytes.
   */
  text: string;
  /** Its natural-log probability (≤ 0). */
  logprob: number;
  /** With `top_logprobs: n`: the n most likely tokens of this step, most likely first. */
  topLogprobs?: ReadonlyArray<{
    /** A candidate token id. */
    token: number;
    /** Its text, as {@link TokenLogprob.text}. */
    text: string;
    /** Its natural-log probability. */
    logprob: number;
  }>;
}

/** Tokens produced since the previous chunk, with their text. */
export interface GenerationChunk {
  /** Text of `tokens`; never splits a character (a token ending inside one waits for the next). */
  text: string;
  /** The token ids of this chunk. */
  tokens: number[];
  /** Which output it belongs to (0 unless `num_return_sequences` > 1). */
  index: number;
  /** With `logprobs` / `top_logprobs`: one entry per token. */
  logprobs?: TokenLogprob[];
  /**
   * Chat with a reasoning template (`<think>`...): reasoning text of this
   * chunk (then `text` holds only answer text). Absent when there is none.
   */
  reasoning?: string;
  /**
   * Set on the last chunk of each output (which may have no tokens): why it
   * ended, as the result's {@link GenerationOutput.finishReason}.
   */
  finishReason?: FinishReason;
  /** On the last chunk of an output that made tool calls: the calls, as the result's {@link GenerationOutput.toolCalls}. */
  toolCalls?: ToolCall[];
}

/** Progress of the prompt evaluation. */
export interface PromptProgress {
  /** Prompt tokens in the cache so far (reused ones included). */
  evaluated: number;
  /** Prompt length in tokens. */
  total: number;
}

/**
 * Options of {@link Context.generate} besides the generation config. The
 * chat template options ({@link ChatTemplateOptions}: `chatTemplate`,
 * `renderer`, `tools`, `templateKwargs`...) apply to chat input.
 */
export interface GenerateOptions extends ChatTemplateOptions {
  /** Stops the generation; the result then has `finishReason: 'abort'` and what was generated so far. */
  signal?: AbortSignal;
  /**
   * Sequence (KV cache slot) to use. Default: the free sequence whose cache
   * shares the longest prefix with the prompt.
   */
  sequence?: number;
  /** Called as the prompt is evaluated (once per batch). */
  onProgress?: (progress: PromptProgress) => void;
  /**
   * With `stop_strings`: `true` (default, transformers' behaviour) keeps the
   * whole token that completed the stop string in the text; `false` cuts the
   * text right before the stop string (OpenAI's behaviour), holding back text
   * that could be the start of one until it is sure. `tokens` always has
   * every generated token.
   */
  includeStopString?: boolean;
  /**
   * When the sequence is full: `false` (default) ends with `finishReason:
   * 'length'`; `true` or `{ keep }` drops the oldest half of the tokens after
   * the first `keep` (default 0) and goes on, as llama.cpp does.
   */
  contextShift?: boolean | {
    /** Tokens at the start of the sequence that are never dropped (default 0). */
    keep?: number;
  };
  /**
   * Add BOS/EOS as the vocabulary asks (default `true`). For chat input, a
   * BOS the template already wrote is not added again.
   */
  addSpecial?: boolean;
  /** Text input: parse special tokens such as `<|im_start|>` in the text (default `false`; `true` for chat). */
  parseSpecial?: boolean;
  /** Render special tokens (e.g. `<|im_end|>` under `ignore_eos`) in the text (default `false`). */
  renderSpecialTokens?: boolean;
  /**
   * Tokens the native loop may get ahead of the reader before it pauses this
   * generation (default 64): a consumer that stops reading costs bounded memory.
   */
  bufferSize?: number;
  /**
   * How often, at most, a `for await` reader is handed the tokens generated
   * since the last chunk, in milliseconds (default 16, about one display
   * frame; up to an hour). The first chunk always comes at once, and a
   * model slower than this streams every token as it comes. `0`: a chunk
   * for every step. Each hand-over wakes the JS thread, which takes a core
   * from llama.cpp's threads when they occupy all of them (2 ms cost 6–7 %
   * of the generation speed on 2 cores). Readers of `result` only are not
   * affected: they are told when `bufferSize` tokens wait and at the end.
   */
  chunkInterval?: number;
  /**
   * Chat with `tools`: which tools the model may or must call (OpenAI's
   * `tool_choice`, default `'auto'`); see {@link ToolChoice} and docs/tools.md.
   * Calls are constrained by a grammar (so a tools grammar cannot be combined
   * with `grammar` or `json_schema`) and parsed into
   * {@link GenerationOutput.toolCalls}.
   */
  toolChoice?: ToolChoice;
  /**
   * Chat with `tools`: allow several calls in one answer where the template's
   * format holds several (default `true`, as OpenAI); `false`: at most one.
   */
  parallelToolCalls?: boolean;
  /**
   * Chat input: separate the reasoning of a template that has reasoning
   * sections (`<think>`...`</think>`, gpt-oss's analysis channel, Command
   * R7B's thinking) into {@link GenerationOutput.reasoning} and
   * `chunk.reasoning` (default `true`). `false`: the text is the output as
   * generated.
   */
  parseReasoning?: boolean;
}

/**
 * One generated sequence. `J`: the type of its {@link GenerationOutput.json}
 * value (inferred from a `json_schema` written `as const`).
 */
export interface GenerationOutput<J = unknown> {
  /** 0 unless `num_return_sequences` > 1 (with beam search: the rank, 0 for the best). */
  index: number;
  /** The generated text (cut before the stop string with `includeStopString: false`). */
  text: string;
  /** The generated tokens; an end-of-generation token that stopped it is not included. */
  tokens: number[];
  /** Why it ended. */
  finishReason: FinishReason;
  /**
   * Chat with a reasoning template: the reasoning (the text of its
   * `<think>` section or equivalent, trimmed); `text` is then the answer
   * only. Absent when the output had no reasoning section.
   */
  reasoning?: string;
  /**
   * Chat with `tools`: the tool calls parsed out of the output (then
   * `finishReason` is `'tool_calls'` and `text` holds only the text around
   * them). Absent when there were none.
   */
  toolCalls?: ToolCall[];
  /**
   * Chat whose output is read for reasoning or tool calls: the output text
   * as generated (special tokens as text), before `text`, `reasoning` and
   * `toolCalls` were taken out of it.
   */
  rawText?: string;
  /** The stop string that ended it (`finishReason: 'stop_string'`). */
  stopString?: string;
  /**
   * Beam search (`num_beams` > 1) only: transformers' `sequences_scores`
   * entry, the sum of the processed log-probabilities of its tokens (an EOS
   * that ended it included) divided by its length (EOS included) to the
   * power `length_penalty`.
   */
  score?: number;
  /**
   * With `json_schema` or `response_format` JSON mode: the text parsed as
   * JSON, typed from the schema when it is written `as const` (see
   * {@link JsonSchemaToType}). Parsed when first read; reading it throws
   * `LlamaError` `INCOMPLETE_OUTPUT` when the generation stopped
   * (`max_new_tokens`, a stop string, `max_time`, an abort) before the value
   * was complete. Absent without a JSON schema. Not enumerable.
   */
  readonly json?: J;
  /** With speculative decoding (`prompt_lookup_num_tokens`, `assistant_model`): what the drafts did. */
  speculative?: SpeculativeStats;
  /** With `logprobs` / `top_logprobs`. */
  logprobs?: TokenLogprob[];
  /** With `output_scores` and `return_dict_in_generate`: the processed scores of each step. */
  scores?: Float32Array[];
  /** With `output_logits` and `return_dict_in_generate`: the raw logits of each step. */
  logits?: Float32Array[];
}

/**
 * What speculative decoding did for one output. The output itself is what
 * plain decoding gives (greedy: the same tokens; sampling: the same
 * distribution); these say how much work the drafts saved.
 */
export interface SpeculativeStats {
  /** Tokens proposed by the drafter (n-gram lookup or draft model). */
  drafted: number;
  /** Proposals the model kept. */
  accepted: number;
  /** `accepted / drafted` (0 when nothing was drafted). */
  acceptanceRate: number;
  /** Decode steps of the model that verified at least one proposal. */
  verifySteps: number;
  /**
   * Tokens per decode step of the model (1 for plain decoding): the speed-up
   * the drafts allow when a step of k+1 tokens costs what a step of one does
   * and drafting is free. The measured speed-up is in BENCHMARKS.md.
   */
  tokensPerDecode: number;
  /** Proposals allowed per step at the end (`num_assistant_tokens` after its schedule; `prompt_lookup_num_tokens`). */
  numAssistantTokens: number;
}

/** Token counts. */
export interface GenerationUsage {
  /** Prompt length in tokens. */
  promptTokens: number;
  /** Prompt tokens found in the KV cache and not evaluated again. */
  cachedPromptTokens: number;
  /** Generated tokens, over all outputs. */
  completionTokens: number;
}

/** Where the time went, in milliseconds. */
export interface GenerationTimings {
  /** Time evaluating the prompt (the part not cached). */
  promptMs: number;
  /** From the end of the prompt to the last token. */
  generationMs: number;
  /** From the call to the result, waiting for a free sequence included. */
  totalMs: number;
  /** Evaluated prompt tokens per second. */
  promptTokensPerSecond: number;
  /** Generated tokens per second (all outputs together). */
  tokensPerSecond: number;
}

/** Everything a generation produced: output 0's fields at the top, every output in `sequences`. */
export interface GenerationResult<J = unknown> extends GenerationOutput<J> {
  /** Every output (`num_return_sequences` of them; with beam search the best hypotheses, best first). */
  sequences: GenerationOutput<J>[];
  /** The prompt tokens, as evaluated. */
  prompt: Int32Array;
  /** The sequence output 0 used. */
  sequence: number;
  /** Token counts. */
  usage: GenerationUsage;
  /** Where the time went. */
  timings: GenerationTimings;
  /** The configuration it ran with. */
  config: ResolvedGenerationConfig;
  /** Configuration warnings (fields with no effect). */
  warnings: readonly string[];
  /** Chat input only: which renderer turned the messages into the prompt, and the rendered text. */
  chat?: ChatPromptInfo;
}
