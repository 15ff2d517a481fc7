import { describe, expect, it } from 'vitest';
import { OperationQueue } from '../../lib/operationQueue';

describe('OperationQueue', () => {
  it('runs operations one at a time in call order, past failures', async () => {
    const queue = new OperationQueue();
    const log: string[] = [];
    let running = 0;
    const op = (name: string, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run(op('a')), queue.run(op('b', true)), queue.run(op('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(queue.size).toBe(0);
  });

  it('idle() waits for everything queued so far', async () => {
    const queue = new OperationQueue();
    let done = false;
    void queue.run(() => new Promise<void>((r) => setTimeout(() => ((done = true), r()), 10)));
    expect(queue.size).toBe(1);
    await queue.idle();
    expect(done).toBe(true);
  });
});
