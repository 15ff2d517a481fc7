/** The options of {@link createServer}, checked and defaulted. @internal */
import { basename } from 'node:path';
import { argumentError, integer, optionalBoolean, optionalString, optionsObject } from '../arguments';
import type { ChatTemplateOptions } from '../chat/types';
import type { ConfigLayer, GenerationConfigInput } from '../config';
import { Context, type ContextOptions } from '../context';
import { invalidArgument } from '../errors';
import { chunkIntervalUs } from '../generation/request';
import { Model } from '../model';

/** Options of {@link createServer}. Give `model` or `context`. */
export interface ServerOptions {
  /**
   * The model to serve. The server creates its context on `listen()`
   * (`parallel` sequences; `contextOptions`) and disposes it on `close()`;
   * the model stays yours.
   */
  model?: Model;
  /** Or a context to serve, shared by `context.sequences` concurrent requests; it stays yours (never disposed by the server). */
  context?: Context;
  /** Requests generated at once, one sequence each, batched together (default 4; with `context`, its `sequences`). */
  parallel?: number;
  /**
   * Options of the context created from `model` (`sequences` is `parallel`).
   * Default `contextSize`: `parallel` × the model's training context (at
   * most 4096 per sequence), so each request can use a full window.
   */
  contextOptions?: ContextOptions;
  /** Requests (`Authorization: Bearer <apiKey>`) without this key get 401. Default: none needed. */
  apiKey?: string;
  /** Requests that may wait for a free sequence beyond the `parallel` running ones; more get 429 (default 64). */
  maxQueue?: number;
  /** The model's id in `/v1/models` and in responses (default: the file name without `.gguf`). */
  modelId?: string;
  /** A generation config under every request (a `generation_config.json` layer or an object); requests override it. */
  config?: GenerationConfigInput | ConfigLayer;
  /**
   * Chat template options for every chat request (`chatTemplate`,
   * `templateKwargs`...). Default: the model's template, or llama.cpp's
   * `chatml` for a GGUF without one (as llama.cpp's server does).
   */
  chat?: ChatTemplateOptions;
  /** Serve `/v1/embeddings` (and `/v1/rerank` for a reranker) on a second context created on first use (default `true`). */
  embeddings?: boolean;
  /** Largest request body in bytes (default 16 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /**
   * A streamed response's chunks after the first come at most this often, in
   * milliseconds, each with every token generated since (default 16; `0`: an
   * event for every step). See `GenerateOptions.chunkInterval`: on a machine
   * whose cores all run the model, fewer wake-ups of the JS thread leave
   * them to it.
   */
  chunkInterval?: number;
  /** Address `listen()` binds by default (default `'127.0.0.1'`). */
  host?: string;
  /** Port `listen()` binds by default (default 8080; 0 picks a free one). */
  port?: number;
}

const KEYS: ReadonlyArray<keyof ServerOptions> = [
  'model', 'context', 'parallel', 'contextOptions', 'apiKey', 'maxQueue', 'modelId', 'config', 'chat', 'embeddings', 'maxBodyBytes', 'chunkInterval', 'host', 'port',
];

/** Server options with defaults filled. */
export interface ResolvedServerOptions {
  model: Model;
  context: Context | undefined;
  parallel: number;
  contextOptions: ContextOptions;
  apiKey: string | undefined;
  maxQueue: number;
  modelId: string;
  config: GenerationConfigInput | ConfigLayer | undefined;
  chat: ChatTemplateOptions;
  embeddings: boolean;
  maxBodyBytes: number;
  chunkInterval: number;
  host: string;
  port: number;
}

/** Checks {@link ServerOptions} and fills in the defaults. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const o = optionsObject(options, 'server options', KEYS);
  if ((o.model === undefined) === (o.context === undefined)) throw invalidArgument('server options need exactly one of model and context');
  if (o.model !== undefined && !(o.model instanceof Model)) argumentError('model', 'be a Model from loadModel()', o.model);
  if (o.context !== undefined && !(o.context instanceof Context)) argumentError('context', 'be a Context from model.createContext()', o.context);
  const model = o.model ?? o.context!.model;
  if (o.context !== undefined && o.parallel !== undefined && o.parallel !== o.context.sequences) {
    throw invalidArgument(`parallel (${o.parallel}) must be the context's sequences (${o.context.sequences}) when a context is given`);
  }
  if (o.context !== undefined && o.contextOptions !== undefined) throw invalidArgument('contextOptions cannot be used with a context');
  const parallel = o.context?.sequences ?? (o.parallel === undefined ? 4 : integer(o.parallel, 'parallel', 1, 256));
  const apiKey = optionalString(o.apiKey, 'apiKey', true);
  const modelId = optionalString(o.modelId, 'modelId', true) ?? basename(model.path).replace(/\.gguf$/i, '');
  const chat = optionsObject(o.chat, 'chat');
  const hasTemplate = model.chatTemplate !== undefined || Object.keys(model.metadata).some((k) => k.startsWith('tokenizer.chat_template.'));
  return {
    model,
    context: o.context,
    parallel,
    contextOptions: { ...optionsObject(o.contextOptions, 'contextOptions') },
    apiKey,
    maxQueue: o.maxQueue === undefined ? 64 : integer(o.maxQueue, 'maxQueue', 0, 1 << 20),
    modelId,
    config: o.config,
    chat: chat.chatTemplate === undefined && !hasTemplate ? { ...chat, chatTemplate: 'chatml' } : chat,
    embeddings: optionalBoolean(o.embeddings, 'embeddings') ?? true,
    maxBodyBytes: o.maxBodyBytes === undefined ? 16 << 20 : integer(o.maxBodyBytes, 'maxBodyBytes', 1, 1 << 30),
    chunkInterval: chunkIntervalUs(o.chunkInterval) / 1000,
    host: optionalString(o.host, 'host', true) ?? '127.0.0.1',
    port: o.port === undefined ? 8080 : integer(o.port, 'port', 0, 65535),
  };
}

/** The context options of a server's context created from its model. */
export function serverContextOptions(model: Model, o: ResolvedServerOptions): ContextOptions {
  const perSequence = Math.min(model.trainContextSize > 0 ? model.trainContextSize : 4096, 4096);
  return { contextSize: perSequence * o.parallel, ...o.contextOptions, sequences: o.parallel };
}
