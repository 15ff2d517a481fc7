/**
 * llama-generate's side of the throughput runs of bench/peers.ts, in a process
 * of its own as node-llama-cpp's worker is (bench/peers/node-llama-cpp/worker.js)
 * and llama-bench is: bench/peers.ts starts a fresh one for every run, so that
 * no tool keeps one process (one placement of its buffers in memory) for all
 * the runs of a row. It runs as plain CommonJS (bench/.peers/js/, transpiled
 * by bench/peers.ts) on plain `node`, driven over IPC:
 *
 *   { id, cmd: 'load', modelPath }            -> { bos, vocabSize }
 *   { id, cmd: 'createContext', threads, flashAttention } -> {}
 *   { id, cmd: 'pp' | 'ttft', tokens }        -> runOursPp / runOursTtft (bench/common.ts)
 *   { id, cmd: 'tg', tokens, n }              -> runOursTg
 *   { id, cmd: 'exit' }
 *
 * It sends { id: 0, ok: true, result: { ready: true } } once it listens.
 */
import { loadModel, type Context, type Model } from '../../lib';
import { contextOptions, runOursPp, runOursTg, runOursTtft } from '../common';

let model: Model | undefined;
let context: Context | undefined;

function current<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what} yet`);
  return value;
}

type Message = { id: number; cmd: string; modelPath?: string; threads?: number; flashAttention?: boolean; tokens?: number[]; n?: number };

const handlers: Record<string, (m: Message) => Promise<unknown>> = {
  load: async (m) => {
    model = await loadModel(current(m.modelPath, 'modelPath'));
    return { bos: model.specialTokens.bos, vocabSize: model.vocabSize };
  },
  createContext: async (m) => {
    context = await current(model, 'model').createContext({ ...contextOptions(current(m.threads, 'threads')), flashAttention: m.flashAttention });
    return {};
  },
  pp: async (m) => runOursPp(current(context, 'context'), current(m.tokens, 'tokens')),
  ttft: async (m) => runOursTtft(current(context, 'context'), current(m.tokens, 'tokens')),
  tg: async (m) => runOursTg(current(context, 'context'), current(m.tokens, 'tokens'), m.n),
};

const send = (message: object, then: () => void = () => undefined): void => {
  process.send!(message, undefined, {}, then);
};

if (!process.send) throw new Error('ours-worker must be started with child_process.fork');
process.on('message', (m: Message) => {
  if (m.cmd === 'exit') {
    context?.dispose();
    model?.dispose();
    send({ id: m.id, ok: true, result: null }, () => process.exit(0));
    return;
  }
  const handler = handlers[m.cmd];
  const run = handler ? handler(m) : Promise.reject(new Error(`unknown command ${m.cmd}`));
  run.then(
    (result) => send({ id: m.id, ok: true, result }),
    (error: unknown) => send({ id: m.id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
send({ id: 0, ok: true, result: { ready: true } });
