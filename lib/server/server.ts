/**
 * The server object: node:http bound to the routes, the context its
 * requests share, listen() and a close() that refuses new requests, aborts
 * the running ones, waits for their handlers and disposes what it created.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generationConfigLayer, modelConfigLayer, resolveConfig, type ConfigLayer, type GenerationConfigInput } from '../config';
import type { Context } from '../context';
import { embeddingContextOptions } from '../embed/contextOptions';
import { LlamaError } from '../errors';
import type { Model } from '../model';
import { Admission } from './admission';
import { authenticator } from './auth';
import { HttpError } from './errors';
import { sendError } from './http';
import { resolveServerOptions, serverContextOptions, type ResolvedServerOptions, type ServerOptions } from './options';
import { zeroTemperatureIsGreedy } from './requestConfig';
import { route } from './router';
import type { ServerState } from './state';

/** The server's config as a layer: a ConfigLayer as is, an object checked as strictly as a call (unknown keys are errors). */
function serverConfigLayer(config: ConfigLayer | GenerationConfigInput): ConfigLayer | GenerationConfigInput {
  const layer = config as Partial<ConfigLayer>;
  if (typeof layer.source === 'string' && typeof layer.values === 'object' && Array.isArray(layer.warnings)) return config;
  const greedy = zeroTemperatureIsGreedy(config as GenerationConfigInput);
  resolveConfig(greedy); // throws INVALID_ARGUMENT for unknown or invalid fields
  return generationConfigLayer(greedy as Record<string, unknown>);
}

/** Where a server listens. */
export interface ServerAddress {
  /** The bound address (`127.0.0.1`, `::`...). */
  host: string;
  /** The bound port. */
  port: number;
  /** `http://host:port`, the base URL of the API is this plus `/v1`. */
  url: string;
}

/** Requests of a server right now. */
export interface ServerStats {
  /** Generation and embedding requests admitted and not finished. */
  active: number;
  /** Of those, the ones beyond `parallel` (waiting for a sequence). */
  queued: number;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * An OpenAI-compatible HTTP server over one model; see {@link createServer}
 * and docs/server.md.
 */
export class LlamaServer {
  /** The node:http server (for its events, or to attach it elsewhere). */
  readonly httpServer: Server;
  readonly #options: ResolvedServerOptions;
  readonly #admission: Admission;
  readonly #shutdown = new AbortController();
  readonly #handlers = new Set<Promise<void>>();
  readonly #checkKey: (req: IncomingMessage) => void;
  #state: ServerState | null = null;
  #ownContext: Context | null = null;
  #embedding: Promise<Context> | null = null;
  #closing: Promise<void> | null = null;

  /** @hidden use {@link createServer}. */
  constructor(options: ServerOptions) {
    this.#options = resolveServerOptions(options);
    this.#admission = new Admission(this.#options.parallel, this.#options.maxQueue);
    this.#checkKey = authenticator(this.#options.apiKey);
    this.httpServer = createHttpServer((req, res) => this.#track(this.#handle(req, res)));
  }

  /** The model served. */
  get model(): Model {
    return this.#options.model;
  }

  /** The context requests share (after `listen()` when the server creates it). */
  get context(): Context | undefined {
    return this.#options.context ?? this.#ownContext ?? undefined;
  }

  /** The model's id in the API. */
  get modelId(): string {
    return this.#options.modelId;
  }

  /** Where it listens, or null before `listen()` / after `close()`. */
  get address(): ServerAddress | null {
    const a = this.httpServer.address();
    if (a === null || typeof a === 'string') return null;
    return { host: a.address, port: a.port, url: urlOf(a) };
  }

  /** Requests running or queued now. */
  stats(): ServerStats {
    return { active: this.#admission.active, queued: this.#admission.queued };
  }

  /**
   * Creates the context (when given a model) and starts listening on `port`
   * and `host` (default: the options', else 8080 on 127.0.0.1). Resolves
   * with the address.
   */
  async listen(port = this.#options.port, host = this.#options.host): Promise<ServerAddress> {
    if (this.#closing) throw new Error('the server is closed');
    if (this.#state === null) this.#state = await this.#createState();
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, host, () => {
        this.httpServer.off('error', reject);
        resolve();
      });
    });
    return this.address!;
  }

  /**
   * Stops: new requests get 503 and new connections are refused, running
   * generations are aborted (a stream ends with a 503 error event), the
   * handlers are awaited, and the contexts the server created are disposed.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#admission.close();
    const closed = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.#shutdown.abort(new HttpError(503, 'the server is shutting down', 'server_error', null, 'shutting_down'));
    while (this.#handlers.size > 0) await Promise.allSettled([...this.#handlers]);
    this.httpServer.closeAllConnections();
    if (this.httpServer.listening) await closed;
    const embedding = this.#embedding;
    this.#embedding = null;
    if (embedding) await embedding.then((c) => c.dispose(), () => undefined);
    this.#ownContext?.dispose();
  }

  /** `await using server = createServer(...)` */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(handler: Promise<void>): void {
    this.#handlers.add(handler);
    void handler.finally(() => this.#handlers.delete(handler));
  }

  async #createState(): Promise<ServerState> {
    const o = this.#options;
    const layers: Array<ConfigLayer | GenerationConfigInput> = [modelConfigLayer(o.model.samplingMetadata)];
    if (o.config !== undefined) layers.push(serverConfigLayer(o.config));
    try {
      o.model.applyChatTemplate([{ role: 'user', content: 'Hi' }], o.chat); // a template that cannot render fails here, not per request
    } catch (err) {
      throw new LlamaError('INVALID_ARGUMENT', `the chat template cannot render a user message: ${(err as Error).message}`, { cause: err });
    }
    const context = o.context ?? (this.#ownContext = await o.model.createContext(serverContextOptions(o.model, o)));
    return {
      model: o.model,
      context,
      modelId: o.modelId,
      created: Math.floor(Date.now() / 1000),
      layers,
      chat: o.chat,
      admission: this.#admission,
      shutdown: this.#shutdown.signal,
      maxBodyBytes: o.maxBodyBytes,
      chunkInterval: o.chunkInterval,
      embeddingContext: () => (o.embeddings ? this.#embeddingContext(context) : null),
    };
  }

  #embeddingContext(context: Context): Promise<Context> {
    this.#embedding ??= this.model.createContext(embeddingContextOptions(this.model, Math.max(this.#options.parallel, 8), { threads: context.threads }));
    this.#embedding.catch(() => (this.#embedding = null)); // a failure is not cached
    return this.#embedding;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const { route: r, params } = route(req);
      if (r.auth) this.#checkKey(req);
      if (this.#state === null) throw new HttpError(503, 'the server is starting', 'server_error', null, 'starting');
      await r.handler({ state: this.#state, req, res }, ...params);
    } catch (err) {
      sendError(res, this.#shutdown.signal.aborted && !(err instanceof HttpError) ? this.#shutdown.signal.reason : err);
    }
  }
}

/**
 * An OpenAI-compatible HTTP server over a model (or one of its contexts):
 * `POST /v1/chat/completions`, `POST /v1/completions` (streamed with
 * server-sent events or not), `GET /v1/models`, `POST /v1/embeddings`,
 * `POST /v1/rerank` (reranker GGUFs) and `GET /health`. Concurrent requests
 * share one context, batched together (`parallel` at a time; more wait, up to
 * `maxQueue`, then 429). Request fields go through the library's generation
 * config: OpenAI's names and every transformers / llama.cpp field. See
 * docs/server.md.
 *
 * ```ts
 * const server = createServer({ model, parallel: 4, apiKey: 'secret' });
 * const { url } = await server.listen(8080);
 * // new OpenAI({ baseURL: `${url}/v1`, apiKey: 'secret' })
 * await server.close();
 * ```
 */
export function createServer(options: ServerOptions): LlamaServer {
  return new LlamaServer(options);
}
