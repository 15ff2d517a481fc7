/** What every endpoint handler works with: the model, its context, the config layers, the limits. @internal */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatTemplateOptions } from '../chat/types';
import type { ConfigLayer, GenerationConfigInput } from '../config';
import type { Context } from '../context';
import type { Model } from '../model';
import type { Admission } from './admission';

/** The server's shared state. */
export interface ServerState {
  /** The model served. */
  readonly model: Model;
  /** The generation context: `parallel` sequences shared by concurrent requests. */
  readonly context: Context;
  /** The model's id in `/v1/models` and in responses. */
  readonly modelId: string;
  /** When the server started (seconds since the epoch). */
  readonly created: number;
  /** Config layers under every request, over OpenAI's defaults: the GGUF's recommendations, the server's config. */
  readonly layers: ReadonlyArray<ConfigLayer | GenerationConfigInput>;
  /** Chat template options of every chat request. */
  readonly chat: ChatTemplateOptions;
  /** The bounded queue of generation requests. */
  readonly admission: Admission;
  /** Aborts when the server closes: in-flight generations stop. */
  readonly shutdown: AbortSignal;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Milliseconds between a streamed generation's chunks after the first. */
  readonly chunkInterval: number;
  /** The context embeddings run on (created on first use), or null when the server serves no embeddings. */
  embeddingContext(): Promise<Context> | null;
}

/** One request being handled. */
export interface RequestContext {
  readonly state: ServerState;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}
