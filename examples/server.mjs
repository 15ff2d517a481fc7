#!/usr/bin/env node
// An HTTP server that streams generations as server-sent events, with
// node:http only. One context serves every request: up to --parallel
// generations run together (continuous batching), --queue more wait for a
// free sequence, and beyond that the server answers 503. A client that goes
// away aborts its generation (AbortSignal), which frees its sequence at once.
//
// Usage: node examples/server.mjs [--model path.gguf] [--port 8080] [--host 127.0.0.1]
//                                 [--parallel 2] [--queue 8] [--context-size N]
//                                 [--max-tokens 2048] [--context-shift] [--threads N]
// --port 0 picks a free port; the server prints the URL it listens on.
// The model defaults to $LLAMA_MODEL, then to the bundled models/stories260K.gguf.
//
// Requests (the config fields are transformers/llama.cpp ones, see CONFIG_FIELDS):
//   curl -N localhost:8080/generate -d '{"prompt": "Once upon a time", "max_new_tokens": 100}'
//   curl -N 'localhost:8080/generate?prompt=Once%20upon%20a%20time&temperature=0.8&do_sample=true'
//   curl -N localhost:8080/generate -d '{"messages": [{"role": "user", "content": "Hi"}]}'   (models with a chat template)
//   curl localhost:8080/health
// The GET form suits the browser's EventSource. The response is a stream of
//   data: {"text": "...", "tokens": [...]}          one per chunk, as generated
//   event: done / data: {"finishReason": ..., "usage": ..., "timings": ...}
//   event: error / data: {"code": ..., "message": ...}   (a failure after the stream started)
// Invalid requests get a 4xx JSON error before any event.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel } from 'llama-generate';

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || fileURLToPath(new URL('../models/stories260K.gguf', import.meta.url)) },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: process.env.PORT || '8080' },
      parallel: { type: 'string', default: '2' },
      queue: { type: 'string', default: '8' },
      'context-size': { type: 'string' },
      'max-tokens': { type: 'string', default: '2048' },
      'context-shift': { type: 'boolean', default: false },
    threads: { type: 'string' },
    },
  }));
} catch (err) {
  console.error(err.message); // a bad flag
  process.exit(2);
}
const parallel = Number(args.parallel);
const maxWaiting = Number(args.queue);
const maxTokens = Number(args['max-tokens']);

/** The generation config fields a client may set. */
const CONFIG_FIELDS = new Set([
  'max_new_tokens', 'max_tokens', 'min_new_tokens', 'do_sample', 'temperature', 'top_k', 'top_p', 'min_p', 'typical_p',
  'repetition_penalty', 'presence_penalty', 'frequency_penalty', 'no_repeat_ngram_size', 'seed', 'stop_strings', 'stop',
  'ignore_eos', 'json_schema', 'grammar', 'logit_bias',
]);
/** Library errors that mean "bad request". */
const CLIENT_ERRORS = new Set(['INVALID_ARGUMENT', 'CONTEXT_OVERFLOW', 'NOT_IMPLEMENTED', 'UNSUPPORTED']);

let model, context;
try {
  model = await loadModel(args.model);
  const perSequence = Number(args['context-size'] ?? Math.min(model.trainContextSize, 4096));
  // A KV cache of its own for each sequence: a request can use perSequence
  // tokens whatever the others do.
  context = await model.createContext({ contextSize: parallel * perSequence, sequences: parallel, unifiedKvCache: false, threads: args.threads === undefined ? undefined : Number(args.threads) });
} catch (err) {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
}

let running = 0; // requests holding or waiting for a sequence
let nextId = 1;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health' && req.method === 'GET') {
    return sendJson(res, 200, { model: model.name ?? model.path, parallel, queue: maxWaiting, running: Math.min(running, parallel), waiting: Math.max(0, running - parallel) });
  }
  if (url.pathname !== '/generate') return sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${url.pathname}` });
  if (req.method === 'GET') return handleGenerate(req, res, Object.fromEntries([...url.searchParams].map(([k, v]) => [k, k === 'prompt' ? v : parseValue(v)])));
  if (req.method !== 'POST') return sendJson(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'GET or POST /generate' });
  readJson(req).then(
    (body) => handleGenerate(req, res, body),
    (err) => sendJson(res, err.status ?? 400, { code: 'BAD_REQUEST', message: err.message }),
  );
});

async function handleGenerate(req, res, body) {
  const id = nextId++;
  if (running >= parallel + maxWaiting) {
    res.setHeader('Retry-After', '1');
    return sendJson(res, 503, { code: 'BUSY', message: `${running} requests in progress; try again later` });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'the body must be a JSON object' });
  const { prompt, messages, ...rest } = body;
  const unknown = Object.keys(rest).filter((key) => !CONFIG_FIELDS.has(key));
  if (unknown.length > 0) return sendJson(res, 400, { code: 'BAD_REQUEST', message: `unknown or disallowed fields: ${unknown.join(', ')}` });
  if ((typeof prompt === 'string') === (messages !== undefined)) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'give either "prompt" (a string) or "messages"' });
  const config = { ...rest, max_new_tokens: Math.min(rest.max_new_tokens ?? rest.max_tokens ?? 256, maxTokens) };
  delete config.max_tokens;

  // The client going away aborts the generation; its sequence is then free for the next request.
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });

  let generation;
  try {
    // Throws at once for an invalid config or input, before anything runs.
    generation = context.generate(messages ?? prompt, config, { signal: controller.signal, contextShift: args['context-shift'] });
  } catch (err) {
    return sendJson(res, CLIENT_ERRORS.has(err.code) ? 400 : 500, { code: err.code ?? 'INTERNAL', message: err.message });
  }
  running++;
  log(`[#${id}] ${req.method} ${JSON.stringify(String(prompt ?? `${messages.length} messages`).slice(0, 40))}, max_new_tokens ${config.max_new_tokens}`);
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  try {
    for await (const chunk of generation) {
      // Backpressure: a slow client makes the loop wait here, and the
      // generation pauses once its buffer is full (bufferSize).
      if (!res.write(`data: ${JSON.stringify({ text: chunk.text, tokens: chunk.tokens })}\n\n`)) {
        await once(res, 'drain', { signal: controller.signal });
      }
    }
    const { finishReason, stopString, usage, timings } = await generation.result;
    log(`[#${id}] ${finishReason} after ${usage.completionTokens} tokens${controller.signal.aborted ? ' (client disconnected)' : ''}`);
    if (!controller.signal.aborted) res.end(`event: done\ndata: ${JSON.stringify({ finishReason, stopString, usage, timings })}\n\n`);
  } catch (err) {
    if (controller.signal.aborted) {
      // Stopped waiting for 'drain': wait for the generation to end too.
      const result = await generation.result.catch(() => null);
      log(`[#${id}] ${result?.finishReason ?? 'failed'} after ${result?.usage.completionTokens ?? '?'} tokens (client disconnected)`);
    } else {
      log(`[#${id}] error ${err.code ?? ''} ${err.message}`);
      res.end(`event: error\ndata: ${JSON.stringify({ code: err.code ?? 'INTERNAL', message: err.message })}\n\n`);
    }
  } finally {
    running--;
  }
}

/** A query parameter: JSON when it parses (numbers, booleans, arrays), else the string. */
function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function readJson(req, limit = 1 << 20) {
  let size = 0;
  const parts = [];
  for await (const part of req) {
    size += part.length;
    if (size > limit) throw Object.assign(new Error(`the body is over ${limit} bytes`), { status: 413 });
    parts.push(part);
  }
  return JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

function log(line) {
  console.error(`${new Date().toISOString()} ${line}`);
}

function shutdown() {
  log('shutting down');
  server.close();
  server.closeAllConnections();
  model.dispose(); // disposes the context: running generations end with DISPOSED
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  console.log(`listening on http://${args.host}:${port}/`);
});
