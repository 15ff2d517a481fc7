/**
 * Process-level behaviour, in child processes against dist/: module formats,
 * finalizers, exit with live native objects, worker threads, log routing.
 */
import { describe, expect, it } from 'vitest';
import { runChild } from '../support/child';
import { STORIES_MODEL } from '../support/models';

const MODEL = JSON.stringify(STORIES_MODEL);

describe('module formats', () => {
  it('works with require() and import, sharing one module instance', () => {
    const r = runChild(
      `import('llama-generate').then(async (esm) => {
        const cjs = require('llama-generate');
        if (esm.loadModel !== cjs.loadModel || esm.LlamaError !== cjs.LlamaError) throw new Error('two instances');
        const model = await esm.loadModel(${MODEL});
        console.log(model.architecture, model.tokenize('Hi').length > 0);
        model.dispose();
      })`,
      ['--preserve-symlinks'],
      { NODE_PATH: '' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('llama true');
  });
});

describe('resource safety nets', () => {
  it('finalizers free models and contexts that were never disposed', () => {
    const r = runChild(
      `const { loadModel } = require('./dist');
      const { native } = require('./dist/native');
      async function churn() {
        const model = await loadModel(${MODEL});
        const context = await model.createContext({ contextSize: 256 });
        await context.evaluate(model.tokenize('Hello'));
      }
      (async () => {
        for (let round = 0; round < 5; round++) {
          for (let i = 0; i < 20; i++) await churn();
          global.gc();
          await new Promise((r) => setImmediate(r));
        }
        for (let i = 0; i < 10; i++) {
          global.gc();
          await new Promise((r) => setTimeout(r, 10));
        }
        console.log(JSON.stringify(native().liveObjects()));
      })().catch((e) => { console.error(e); process.exit(1); });`,
      ['--expose-gc'],
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ models: 0, contexts: 0 });
  });

  it('exits cleanly with an evaluation in flight', () => {
    const r = runChild(
      `const { loadModel } = require('./dist');
      (async () => {
        const model = await loadModel(${MODEL});
        const context = await model.createContext({ contextSize: 512 });
        context.evaluate(new Array(400).fill(5)).catch(() => {});
        setTimeout(() => process.exit(0), 1);
      })();`,
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });

  it('exits cleanly when the event loop drains with live objects', () => {
    const r = runChild(
      `const { loadModel } = require('./dist');
      (async () => {
        const model = await loadModel(${MODEL});
        const context = await model.createContext({ contextSize: 256 });
        await context.evaluate(model.tokenize('Hello'));
        console.log('done');
      })();`,
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('done');
  });
});

describe('worker threads', () => {
  it('loads and runs models in workers and the main thread at the same time', () => {
    const r = runChild(
      `const { Worker } = require('node:worker_threads');
      const { loadModel } = require('./dist');
      const workerSource = \`
        const { parentPort } = require('node:worker_threads');
        const { loadModel } = require(\${JSON.stringify(require.resolve('./dist'))});
        (async () => {
          const model = await loadModel(\${JSON.stringify(${MODEL})});
          const context = await model.createContext({ contextSize: 256 });
          const logits = await context.evaluate(model.tokenize('Once upon a time'));
          parentPort.postMessage(Array.from(logits.subarray(0, 8)));
          // leave the model undisposed: the env cleanup must free it
        })();
      \`;
      (async () => {
        const runs = [0, 1].map(() => new Promise((resolve, reject) => {
          const w = new Worker(workerSource, { eval: true });
          w.once('message', resolve);
          w.once('error', reject);
        }));
        const model = await loadModel(${MODEL});
        const context = await model.createContext({ contextSize: 256 });
        const mine = Array.from((await context.evaluate(model.tokenize('Once upon a time'))).subarray(0, 8));
        const theirs = await Promise.all(runs);
        for (const t of theirs) if (JSON.stringify(t) !== JSON.stringify(mine)) throw new Error('worker logits differ');
        // A worker terminated while holding a model must not take the process down.
        const w = new Worker(workerSource, { eval: true });
        await new Promise((resolve) => w.once('message', resolve));
        await w.terminate();
        model.dispose();
        console.log('ok');
      })().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
  });
});

describe('logging', () => {
  it('is silent by default', () => {
    const r = runChild(
      `const { loadModel } = require('./dist');
      loadModel(${MODEL}).then(async (m) => { await m.createContext({ contextSize: 256 }); m.dispose(); });`,
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
  });

  it('writes llama.cpp logs to stderr from setLogLevel, and to a logger from setLogger', () => {
    const r = runChild(
      `const { loadModel, setLogLevel, setLogger } = require('./dist');
      (async () => {
        setLogLevel('info');
        let m = await loadModel(${MODEL});
        m.dispose();
        await new Promise((r) => setTimeout(r, 50));
        const seen = [];
        setLogger((level, text) => seen.push(level));
        setLogLevel('warn');
        m = await loadModel(${MODEL});
        await m.createContext({ contextSize: 256 });
        m.dispose();
        setLogLevel('debug');
        m = await loadModel(${MODEL});
        m.dispose();
        await new Promise((r) => setTimeout(r, 50));
        console.log(JSON.stringify({ debug: seen.includes('debug'), info: seen.includes('info') }));
        setLogger(null);
        setLogLevel('none');
      })();`,
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\[llama\.cpp info\] .*llama_model_loader/);
    expect(JSON.parse(r.stdout)).toEqual({ debug: true, info: true });
  });

  it('survives a logger that throws', () => {
    const r = runChild(
      `const { loadModel, setLogLevel, setLogger } = require('./dist');
      setLogger(() => { throw new Error('logger bug'); });
      setLogLevel('debug');
      loadModel(${MODEL}).then(async (m) => {
        await m.createContext({ contextSize: 256 });
        m.dispose();
        await new Promise((r) => setTimeout(r, 50));
        console.log('alive');
      });`,
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('alive');
  });

  it('rejects unknown levels and non-function loggers', () => {
    const r = runChild(
      `const { setLogLevel, setLogger } = require('./dist');
      for (const f of [() => setLogLevel('loud'), () => setLogger(42)]) {
        try { f(); console.log('no error'); } catch (e) { console.log(e.code); }
      }`,
    );
    expect(r.stdout.trim().split('\n')).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  });
});
