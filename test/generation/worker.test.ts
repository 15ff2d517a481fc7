/** generate() inside worker_threads, and a process that exits with a generation running. */
import { describe, expect, it } from 'vitest';
import { runChild } from '../support/child';
import { STORIES_MODEL } from '../support/models';

const lib = JSON.stringify(require.resolve('../../dist/index.js'));

describe('threads and processes', () => {
  it('streams inside worker threads, two at once', () => {
    const { status, stdout, stderr } = runChild(`
      const { Worker } = require('node:worker_threads');
      const code = \`
        const { parentPort } = require('node:worker_threads');
        const { loadModel } = require(${lib});
        (async () => {
          const model = await loadModel(${JSON.stringify(STORIES_MODEL)});
          const context = await model.createContext({ contextSize: 256, threads: 1 });
          let text = '';
          for await (const chunk of context.generate('Once upon a time', { max_new_tokens: 30 })) text += chunk.text;
          parentPort.postMessage(text);
          model.dispose();
        })();
      \`;
      const run = () => new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true });
        w.on('message', resolve);
        w.on('error', reject);
      });
      Promise.all([run(), run()]).then(([a, b]) => console.log(JSON.stringify({ a, b })));
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const { a, b } = JSON.parse(stdout) as { a: string; b: string };
    expect(a).toBe(b);
    expect(a).toContain('Lily');
  });

  it('exits cleanly when nobody reads a running generation', () => {
    const { status, stderr } = runChild(`
      const { loadModel } = require(${lib});
      (async () => {
        const model = await loadModel(${JSON.stringify(STORIES_MODEL)});
        const context = await model.createContext({ contextSize: 256 });
        const g = context.generate('Once upon a time', { max_new_tokens: 1000000, ignore_eos: true }, { contextShift: true });
        const it = g[Symbol.asyncIterator]();
        await it.next();
        console.log('left running');
      })();
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('never aborts when the process dies while workers load models and generate', () => {
    // Regression: node-addon-api aborted the process ("terminate called after throwing
    // an instance of 'Napi::Error'") when a worker was torn down with native work pending.
    for (const delay of [20, 45, 70, 100, 140]) {
      const { status, stderr } = runChild(`
        const { Worker } = require('node:worker_threads');
        const code = \`
          const { loadModel } = require(${lib});
          (async () => {
            const model = await loadModel(${JSON.stringify(STORIES_MODEL)});
            const context = await model.createContext({ contextSize: 256, threads: 1 });
            for await (const c of context.generate('Once', { max_new_tokens: 1000000, ignore_eos: true }, { contextShift: true })) {}
          })();
        \`;
        new Worker(code, { eval: true });
        new Worker(code, { eval: true });
        setTimeout(() => { console.error('main dies'); process.exit(3); }, ${delay});
      `);
      expect(stderr.trim(), `delay ${delay}`).toBe('main dies');
      expect(status, `delay ${delay}`).toBe(3);
    }
  });

  it('survives workers terminated one after another while they generate on two sequences', () => {
    // Regression: the engine thread called a generation's thread-safe function after Node had
    // finalized it (Job::Notify from Engine::Retire), and a worker that was the addon's only user
    // unloaded libggml, whose next load asserted on its own stale terminate handler: SIGABRT in
    // 13 of 100 terminations. Now the notifier is checked under the job's lock and the addon is pinned.
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const code = \`
        const { loadModel } = require(${lib});
        (async () => {
          const m = await loadModel(${JSON.stringify(STORIES_MODEL)});
          const c = await m.createContext({ contextSize: 512, threads: 1, sequences: 2 });
          const loop = async (sequence) => {
            for (;;) for await (const x of c.generate('Once', { max_new_tokens: 100000, ignore_eos: true }, { contextShift: true, sequence })) void x;
          };
          await Promise.all([loop(0), loop(1)]);
        })();
      \`;
      (async () => {
        for (let i = 0; i < 12; i++) {
          const w = new Worker(code, { eval: true });
          w.on('error', () => {});
          await new Promise((r) => setTimeout(r, 150 + i * 13));
          await w.terminate();
        }
        console.log('survived');
      })();
    `);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout.trim()).toBe('survived');
  });
});
