/**
 * Runs a context's native operations one at a time, in call order. A failed
 * operation does not stop the ones queued after it. @internal
 */
export class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Queues `operation`; resolves or rejects with its result. */
  run<T>(operation: () => T | Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(operation);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }

  /** Number of operations queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Resolves once everything queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
