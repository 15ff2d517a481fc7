/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk,
 * `data: [DONE]\n\n` at the end. Writes wait while the socket's buffer is
 * full, so a slow reader pauses its generation (which stops being read). @internal
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { toHttpError } from './errors';

/** One SSE response. */
export class SseStream {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
  }

  /** Whether the client is gone. */
  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** Sends one event; resolves once the socket can take more. */
  async send(data: unknown): Promise<void> {
    if (this.closed) return;
    if (!this.#res.write(`data: ${JSON.stringify(data)}\n\n`)) {
      await Promise.race([once(this.#res, 'drain'), once(this.#res, 'close')]);
    }
  }

  /** Ends the stream with `data: [DONE]`. */
  done(): void {
    if (this.closed) return;
    this.#res.end('data: [DONE]\n\n');
  }

  /** Ends the stream with an error event (the status line is already sent), as llama.cpp's server does. */
  fail(err: unknown): void {
    if (this.closed) return;
    this.#res.end(`data: ${JSON.stringify(toHttpError(err).body())}\n\n`);
  }
}

/**
 * The builder of one streamed response's chunks: OpenAI's envelope (`id`,
 * `object`, `created`, `model`, `usage: null` when usage is sent at the end)
 * around each chunk's choices.
 */
export function chunkEvents(
  id: string,
  object: string,
  created: number,
  model: string,
  includeUsage: boolean,
): (choices: unknown[], extra?: Record<string, unknown>) => Record<string, unknown> {
  return (choices, extra = {}) => ({
    id,
    object,
    created,
    model,
    system_fingerprint: 'llama-generate',
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
}
