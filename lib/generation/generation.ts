/**
 * Generation: the object context.generate() returns, an async iterable of
 * chunks with a `result` promise. It reads the native queue only when
 * someone is waiting (an iterator's next(), or `result`), which is what lets
 * the native loop pause behind a slow consumer.
 */
import type { ChatPromptInfo } from '../chat/types';
import { ChatOutputParser, type OutputFinal, type OutputSpec } from '../chat/tools';
import type { ResolvedGenerationConfig } from '../config';
import { LlamaError } from '../errors';
import { addJsonGetter } from './jsonResult';
import type { NativeChunk, NativeDelivery, NativeGeneration, NativeSpeculativeStats, NativeTokenLogprob } from '../native';
import { speculativeStats } from './speculative';
import type {
  FinishReason,
  GenerationChunk,
  GenerationOutput,
  GenerationResult,
  PromptProgress,
  TokenLogprob,
} from './types';

/** What a Generation needs from its context once it runs. @internal */
export interface GenerationStart {
  handle: NativeGeneration;
  sequences: number[];
  prompt: Int32Array;
  /** Warnings about this call beyond the config's (the length transformers would warn about). */
  warnings: readonly string[];
  /** Called once with the tokens each sequence now caches (null: unknown). */
  release: (cached: Array<Int32Array | null>) => void;
}

interface Accumulator {
  text: string[];
  tokens: number[];
  logprobs: TokenLogprob[];
  scores: Float32Array[];
  logits: Float32Array[];
  finishReason: FinishReason;
  stopString?: string;
  cachedTokens: number;
  score?: number;
  speculative?: NativeSpeculativeStats;
  /** Chat output read for reasoning / tool calls. */
  parser?: ChatOutputParser;
  /** The parser's reading, once the output ended. */
  final?: OutputFinal;
  /** Whether the output ended and its last chunk carries the finish reason. */
  ended: boolean;
  /** The last chunk made for this output. */
  lastChunk?: GenerationChunk;
}

function toLogprob(l: NativeTokenLogprob, top: boolean, text: (token: number) => string): TokenLogprob {
  const entry: TokenLogprob = { token: l.token, text: text(l.token), logprob: l.logprob };
  if (top) entry.topLogprobs = l.top.map((t) => ({ token: t.token, text: text(t.token), logprob: t.logprob }));
  return entry;
}

/**
 * A running generation: `for await (const chunk of generation)` streams its
 * chunks; `await generation.result` gives everything at the end. Breaking
 * out of the loop (or `abort()`) stops it and frees its sequence.
 */
export class Generation<J = unknown> implements AsyncIterable<GenerationChunk> {
  /** The configuration it runs with. */
  readonly config: ResolvedGenerationConfig;
  /** @internal chat input: how the messages became the prompt (the result's `chat`). */
  chatPrompt: ChatPromptInfo | undefined;

  /** @internal chat input whose output is read for reasoning and tool calls: set before it starts. */
  set outputSpec(spec: OutputSpec | undefined) {
    for (const out of this.#outputs) out.parser = spec === undefined ? undefined : new ChatOutputParser(spec);
  }

  #handle: NativeGeneration | null = null;
  #sequences: number[] = [];
  #prompt: Int32Array = new Int32Array(0);
  #release: GenerationStart['release'] | null = null;
  #lengthWarnings: readonly string[] = [];
  readonly #outputs: Accumulator[];
  readonly #chunks: GenerationChunk[] = [];
  readonly #startedAt = performance.now();
  readonly #onProgress: ((p: PromptProgress) => void) | undefined;
  readonly #topLogprobs: boolean;
  readonly #tokenText: (token: number) => string;

  readonly #bufferSize: number;
  #bufferedTokens = 0;
  #readable = false;
  #draining = false;
  #waiter: (() => void) | null = null;
  #settled = false;
  #error: Error | null = null;
  #value: GenerationResult<J> | null = null;
  #abortRequested = false;
  #result: Promise<GenerationResult<J>> | null = null;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  /** @internal created by {@link Context.generate}. */
  constructor(
    config: ResolvedGenerationConfig,
    onProgress: ((p: PromptProgress) => void) | undefined,
    bufferSize: number,
    tokenText: (token: number) => string = String,
  ) {
    this.config = config;
    this.#tokenText = tokenText;
    this.#bufferSize = bufferSize;
    this.#onProgress = onProgress;
    this.#topLogprobs = config.values.top_logprobs !== undefined;
    this.#outputs = Array.from({ length: config.values.num_return_sequences }, () => ({
      text: [],
      tokens: [],
      logprobs: [],
      scores: [],
      logits: [],
      finishReason: 'abort' as FinishReason,
      cachedTokens: -1,
      ended: false,
    }));
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /**
   * Everything generated, once it ends. Resolves also when aborted (with
   * `finishReason: 'abort'`); rejects on errors (`DISPOSED`,
   * `CONTEXT_OVERFLOW`, `DECODE_FAILED`...).
   */
  get result(): Promise<GenerationResult<J>> {
    if (!this.#iterated) this.#setStreaming(false); // nobody streams: the native loop need not wake JS for every chunk
    if (!this.#result) {
      this.#result = this.#done.then(() => {
        if (this.#error) throw this.#error;
        return this.#value!;
      });
      this.#draining = true;
      this.#pump();
    }
    return this.#result;
  }

  /**
   * Tokens received from the native loop so far, over all outputs (read ones
   * and buffered ones). While only {@link Generation.result} is awaited (no
   * iterator), the loop hands tokens over when `bufferSize` of them are
   * waiting and at the end, not as they come.
   */
  get receivedTokens(): number {
    return this.#outputs.reduce((n, o) => n + o.tokens.length, 0);
  }

  /** Whether it has ended (finished, aborted or failed) and its result is known. */
  get done(): boolean {
    return this.#settled;
  }

  /** @internal whether abort() was called. */
  get abortRequested(): boolean {
    return this.#abortRequested;
  }

  /** @internal resolves when the generation has ended, however it ended. */
  whenDone(): Promise<void> {
    return this.#done;
  }

  /** Stops the generation; `result` then resolves with `finishReason: 'abort'`. */
  abort(): void {
    if (this.#settled) return;
    this.#abortRequested = true;
    this.#draining = true; // read to the end so the sequence is freed
    this.#handle?.abort();
    this.#pump();
    if (!this.#handle) this.#cancelWait?.();
  }

  /** The last next() handed out: a next() called before it settles waits for it (the async-iterator protocol allows several pending calls). */
  #lastNext: Promise<unknown> = Promise.resolve();

  /** Whether an iterator was asked for: chunks are then announced as they come. */
  #iterated = false;
  #streaming = true;

  #setStreaming(streaming: boolean): void {
    if (this.#streaming === streaming) return;
    this.#streaming = streaming;
    this.#handle?.setStreaming(streaming);
  }

  /** Yields chunks as they come. */
  [Symbol.asyncIterator](): AsyncIterator<GenerationChunk> {
    this.#iterated = true;
    this.#setStreaming(true);
    return {
      next: () => {
        const next = this.#lastNext.then(
          () => this.#next(),
          () => this.#next(),
        );
        this.#lastNext = next;
        return next;
      },
      return: async () => {
        this.abort();
        await this.#done; // the sequence is free when the loop has exited
        return { done: true, value: undefined };
      },
    };
  }

  // ---- wiring (called by Context) ----

  /** @internal while waiting for a sequence: how to give up the wait. */
  #cancelWait: (() => void) | null = null;

  /** @internal */
  waitingFor(cancel: () => void): void {
    this.#cancelWait = cancel;
    if (this.#abortRequested) cancel();
  }

  /** @internal the native job is running. */
  started(start: GenerationStart): void {
    this.#cancelWait = null;
    this.#handle = start.handle;
    this.#sequences = start.sequences;
    this.#prompt = start.prompt;
    this.#lengthWarnings = start.warnings;
    this.#release = start.release;
    if (!this.#streaming) start.handle.setStreaming(false);
    if (this.#abortRequested) start.handle.abort();
    this.#pump();
  }

  /** @internal the native side has something to read. */
  readable(): void {
    this.#readable = true;
    this.#pump();
  }

  /** @internal it never started (aborted while queued, or failed before running). */
  failedToStart(error: Error): void {
    if (error instanceof LlamaError && error.code === 'ABORTED') {
      this.#finish(0, 0, 0, 0, null);
    } else {
      this.#finish(0, 0, 0, 0, error);
    }
  }

  // ---- internals ----

  #next(): Promise<IteratorResult<GenerationChunk>> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#bufferedTokens -= chunk.tokens.length;
      if (this.#readable) this.#pump();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#settled) {
      if (this.#error) {
        const error = this.#error;
        return Promise.reject(error);
      }
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise<void>((resolve) => {
      this.#waiter = resolve;
      this.#pump();
    }).then(() => this.#next());
  }

  /** Whether the native handle keeps Node alive (it does from the start). */
  #referenced = true;

  /**
   * Reads what the native loop queued while someone waits for it or the
   * buffer has room; past `bufferSize` unread tokens the loop pauses. Keeps
   * Node alive only while someone waits.
   */
  #pump(): void {
    const handle = this.#handle;
    if (!handle || this.#settled) return;
    const awaited = this.#draining || this.#waiter !== null;
    if (awaited !== this.#referenced) {
      this.#referenced = awaited;
      if (awaited) handle.ref();
      else handle.unref();
    }
    if (!this.#readable || (!awaited && this.#bufferedTokens >= this.#bufferSize)) return;
    this.#readable = false;
    const delivery = handle.read();
    if (delivery) this.#take(delivery);
    const waiter = this.#waiter;
    if (waiter && (this.#chunks.length > 0 || this.#settled)) {
      this.#waiter = null;
      waiter();
    }
  }

  #take(d: NativeDelivery): void {
    for (const c of d.chunks) this.#addChunk(c);
    for (const end of d.ends) {
      const out = this.#outputs[end.index];
      out.finishReason = end.finishReason === 'error' ? 'abort' : end.finishReason;
      out.stopString = end.stopString;
      out.cachedTokens = end.cachedTokens;
      if (end.score !== undefined) out.score = end.score;
      if (end.speculative !== undefined) out.speculative = end.speculative;
    }
    if (d.progress && this.#onProgress) {
      try {
        this.#onProgress(d.progress);
      } catch {
        // a throwing progress callback must not break the generation
      }
    }
    if (d.finish) {
      const f = d.finish;
      this.#finish(f.promptTokens, f.cachedPromptTokens, f.promptMs, f.generationMs, f.error ?? null);
    }
  }

  #addChunk(c: NativeChunk): void {
    const out = this.#outputs[c.index];
    const tokens = c.tokens;
    out.text.push(c.text);
    out.tokens.push(...tokens);
    const chunk: GenerationChunk = { text: c.text, tokens, index: c.index };
    if (out.parser) {
      const shown = out.parser.push(c.text);
      chunk.text = shown.text;
      if (shown.reasoning !== '') chunk.reasoning = shown.reasoning;
    }
    out.lastChunk = chunk;
    if (c.logprobs) {
      const logprobs = c.logprobs.map((l) => toLogprob(l, this.#topLogprobs, this.#tokenText));
      out.logprobs.push(...logprobs);
      chunk.logprobs = logprobs;
    }
    if (c.scores) out.scores.push(...c.scores);
    if (c.logits) out.logits.push(...c.logits);
    this.#chunks.push(chunk);
    this.#bufferedTokens += tokens.length;
  }

  /**
   * An output ended: its reading is finished (tool calls, the text streaming
   * held back) and its last chunk, or a new empty one when the reader already
   * has the last, carries the finish reason.
   */
  #endOutput(index: number): void {
    const out = this.#outputs[index];
    if (out.ended) return;
    out.ended = true;
    let rest = { text: '', reasoning: '' };
    if (out.parser) {
      out.final = out.parser.finish();
      rest = out.final.delta;
      if (out.final.toolCalls.length > 0 && (out.finishReason === 'eos' || out.finishReason === 'stop_string')) out.finishReason = 'tool_calls';
    }
    let chunk = out.lastChunk;
    if (chunk === undefined || this.#chunks.lastIndexOf(chunk) === -1) {
      chunk = { text: '', tokens: [], index };
      this.#chunks.push(chunk);
    }
    chunk.text += rest.text;
    if (rest.reasoning !== '') chunk.reasoning = (chunk.reasoning ?? '') + rest.reasoning;
    chunk.finishReason = out.finishReason;
    if (out.final && out.final.toolCalls.length > 0) chunk.toolCalls = out.final.toolCalls;
  }

  #finish(promptTokens: number, cachedPromptTokens: number, promptMs: number, generationMs: number, error: Error | null): void {
    if (this.#settled) return;
    if (!error) this.#outputs.forEach((_, i) => this.#endOutput(i));
    this.#settled = true;
    this.#handle = null;
    if (this.#release) {
      const prompt = this.#prompt;
      this.#release(
        this.#outputs.map((o) => {
          if (o.cachedTokens < 0) return null;
          const all = new Int32Array(prompt.length + o.tokens.length);
          all.set(prompt);
          all.set(o.tokens, prompt.length);
          return all.slice(0, o.cachedTokens);
        }),
      );
      this.#release = null;
    }
    if (error) {
      this.#error = error;
    } else {
      this.#value = this.#buildResult(promptTokens, cachedPromptTokens, promptMs, generationMs);
    }
    this.#resolveDone();
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  #buildResult(promptTokens: number, cachedPromptTokens: number, promptMs: number, generationMs: number): GenerationResult<J> {
    const v = this.config.values;
    const sequences: Array<GenerationOutput<J>> = this.#outputs.map((o, index) => {
      const out: GenerationOutput<J> = { index, text: o.text.join(''), tokens: o.tokens, finishReason: o.finishReason };
      if (o.final) {
        out.rawText = out.text;
        out.text = o.final.text;
        if (o.final.reasoning !== undefined) out.reasoning = o.final.reasoning;
        if (o.final.toolCalls.length > 0) out.toolCalls = o.final.toolCalls;
      }
      if (o.stopString !== undefined) out.stopString = o.stopString;
      if (o.score !== undefined) out.score = o.score;
      if (o.speculative !== undefined) out.speculative = speculativeStats(o.speculative, o.tokens.length);
      if (v.logprobs || v.top_logprobs !== undefined) out.logprobs = o.logprobs;
      if (v.return_dict_in_generate && v.output_scores) out.scores = o.scores;
      if (v.return_dict_in_generate && v.output_logits) out.logits = o.logits;
      return out;
    });
    const completionTokens = sequences.reduce((n, s) => n + s.tokens.length, 0);
    const evaluated = promptTokens - cachedPromptTokens;
    const result: GenerationResult<J> = {
      ...sequences[0],
      sequences,
      prompt: this.#prompt,
      sequence: this.#sequences[0] ?? -1,
      usage: { promptTokens, cachedPromptTokens, completionTokens },
      timings: {
        promptMs,
        generationMs,
        totalMs: performance.now() - this.#startedAt,
        promptTokensPerSecond: promptMs > 0 ? (evaluated * 1000) / promptMs : 0,
        tokensPerSecond: generationMs > 0 ? (completionTokens * 1000) / generationMs : 0,
      },
      config: this.config,
      warnings: [...this.config.warnings, ...this.#lengthWarnings],
      ...(this.chatPrompt === undefined ? {} : { chat: this.chatPrompt }),
    };
    if (v.json_schema !== null && v.json_schema !== undefined) {
      // JSON mode: each output's `json`, and output 0's at the top (getters: see GenerationOutput.json)
      for (const out of sequences) addJsonGetter(out, out);
      if (sequences[0]) addJsonGetter(result, sequences[0]);
    }
    return result;
  }
}
