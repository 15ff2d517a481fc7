/**
 * The bounded queue of generation requests: up to `running` run at once (the
 * context's sequences) and `maxQueue` more wait for a sequence; beyond that a
 * request is refused at once with 429, and with 503 once the server is
 * closing. @internal
 */
import { HttpError } from './errors';

/** Counts admitted generation requests. */
export class Admission {
  #active = 0;
  #closing = false;

  constructor(
    readonly running: number,
    readonly maxQueue: number,
  ) {}

  /** Requests admitted and not finished (running or waiting). */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for a sequence (an estimate: admitted beyond `running`). */
  get queued(): number {
    return Math.max(0, this.#active - this.running);
  }

  /** Admits a request or throws 429 / 503; call the returned function once it has finished. */
  enter(): () => void {
    if (this.#closing) throw new HttpError(503, 'the server is shutting down', 'server_error', null, 'shutting_down');
    if (this.#active >= this.running + this.maxQueue) {
      throw new HttpError(
        429,
        `the server is busy: ${this.#active} requests are running or queued (limit ${this.running} running + ${this.maxQueue} queued); retry later`,
        'rate_limit_error',
        null,
        'queue_full',
      );
    }
    this.#active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#active--;
    };
  }

  /** Refuses every later request with 503. */
  close(): void {
    this.#closing = true;
  }

  /** Whether {@link Admission.close} was called. */
  get closing(): boolean {
    return this.#closing;
  }
}
