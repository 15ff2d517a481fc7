/**
 * `llama-generate serve <model.gguf>`: the OpenAI-compatible HTTP server
 * (lib/server/) on one model. Prints the URL once it listens; Ctrl-C or
 * SIGTERM closes it (running requests are aborted, the context disposed).
 */
import { generationConfigLayer, resolveConfig, type ConfigLayer, type GenerationConfigInput } from '../../config';
import { isLlamaError } from '../../errors';
import { createServer } from '../../server';
import { configFlags, configFromFlags, unescape } from '../configFlags';
import { parseCommand, standardFlags } from '../command';
import { flagBoolean, flagInteger, flagText, type Flag } from '../flags';
import type { CommandIo } from '../io';
import { contextOptions, loadOptions, modelFlags } from '../modelFlags';
import { openModel } from '../openModel';
import { UsageError } from '../usageError';

const SERVE = 'Server';

/** The flags of `serve`: its own, the model and context flags `run` has, and the generation flags as server defaults. */
export function serveFlags(): Flag[] {
  return [
    { name: 'host', type: 'string', value: 'address', defaultText: '127.0.0.1', help: 'address to listen on (0.0.0.0: every interface)', group: SERVE },
    { name: 'port', type: 'string', value: 'n', defaultText: '8080', help: 'port to listen on (0: a free one)', group: SERVE },
    { name: 'parallel', type: 'string', value: 'n', defaultText: '4', help: 'requests generated at once, batched together (one sequence each)', group: SERVE },
    { name: 'max-queue', type: 'string', value: 'n', defaultText: '64', help: 'requests that may wait for a free sequence; more get 429', group: SERVE },
    { name: 'api-key', type: 'string', value: 'key', defaultText: 'none', help: 'require Authorization: Bearer <key> (also LLAMA_GENERATE_API_KEY)', group: SERVE },
    { name: 'alias', type: 'string', value: 'id', defaultText: 'the file name', help: 'the model id in /v1/models and responses', group: SERVE },
    { name: 'config', type: 'string', value: 'file', defaultText: 'none', help: 'a generation_config.json under every request (generation flags override it)', group: SERVE },
    { name: 'chat-template', type: 'string', value: 'name|template', defaultText: "the model's, else chatml", help: 'a llama.cpp template name or a Jinja template', group: SERVE },
    { name: 'no-embeddings', type: 'boolean', help: 'do not serve /v1/embeddings', group: SERVE },
    { name: 'chunk-interval', type: 'string', value: 'ms', defaultText: '16', help: "a streamed response's chunks after the first at most this often (0: every token)", group: SERVE },
    ...standardFlags(SERVE),
    ...modelFlags(),
    ...configFlags(),
  ];
}

const HELP = {
  usage: 'llama-generate serve <model.gguf> [flags]',
  description: [
    'Serves the model over an OpenAI-compatible HTTP API: POST /v1/chat/completions,',
    '/v1/completions (streaming or not), /v1/embeddings, GET /v1/models. Concurrent',
    'requests share one context, --parallel of them batched together. Request fields',
    "are OpenAI's plus any transformers or llama.cpp generation field; the generation",
    'flags below set server-wide defaults under them. See docs/server.md.',
  ].join('\n'),
  examples: [
    'llama-generate serve model.gguf --port 8080 --parallel 4',
    'llama-generate serve model.gguf --host 0.0.0.0 --api-key secret --context-size 16384',
    'llama-generate serve model.gguf --temperature 0.7 --top-p 0.9 --max-new-tokens 512',
  ],
};

/** The server-wide config: --config's file under the generation flags. */
function serverConfig(parsed: Parameters<typeof configFromFlags>[0]): ConfigLayer | GenerationConfigInput | undefined {
  const flags = configFromFlags(parsed);
  const file = flagText(parsed, 'config');
  try {
    if (file === undefined) return Object.keys(flags).length > 0 ? flags : undefined;
    const values = generationConfigLayer(file).values;
    const merged = { ...values, ...flags } as GenerationConfigInput;
    resolveConfig(merged);
    return merged;
  } catch (err) {
    if (isLlamaError(err, 'INVALID_ARGUMENT')) throw new UsageError(file !== undefined ? `--config: ${err.message}` : err.message);
    throw err;
  }
}

/** Resolves on the first Ctrl-C or SIGTERM. */
function untilStopped(io: CommandIo): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => (): void => {
      io.offSigint(onSigint);
      process.off('SIGTERM', onSigterm);
      resolve(signal);
    };
    const onSigint = stop('SIGINT');
    const onSigterm = stop('SIGTERM');
    io.onSigint(onSigint);
    process.on('SIGTERM', onSigterm);
  });
}

/** Runs `serve`; returns the exit code once the server has closed. */
export async function serve(argv: readonly string[], io: CommandIo): Promise<number> {
  const line = parseCommand(argv, serveFlags(), HELP, io, 0);
  if (!line) return 0;
  const { parsed, modelPath } = line;
  const port = flagInteger(parsed, 'port', 0, 65535) ?? 8080;
  const parallel = flagInteger(parsed, 'parallel', 1, 256) ?? 4;
  const maxQueue = flagInteger(parsed, 'max-queue', 0) ?? 64;
  const chunkInterval = flagInteger(parsed, 'chunk-interval', 0, 3_600_000);
  const host = flagText(parsed, 'host') ?? '127.0.0.1';
  const apiKey = flagText(parsed, 'api-key') ?? (process.env.LLAMA_GENERATE_API_KEY || undefined);
  const chatTemplate = flagText(parsed, 'chat-template');
  const config = serverConfig(parsed);
  const loadOpts = loadOptions(parsed);
  const ctxOpts = contextOptions(parsed);

  const model = await openModel(modelPath, loadOpts, io);
  try {
    const server = createServer({
      model,
      parallel,
      maxQueue,
      ...(chunkInterval !== undefined ? { chunkInterval } : {}),
      contextOptions: ctxOpts,
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(flagText(parsed, 'alias') !== undefined ? { modelId: flagText(parsed, 'alias') } : {}),
      ...(config !== undefined ? { config } : {}),
      ...(chatTemplate !== undefined ? { chat: { chatTemplate: unescape(chatTemplate) } } : {}),
      embeddings: !flagBoolean(parsed, 'no-embeddings'),
    });
    const { url } = await server.listen(port, host);
    const stopped = untilStopped(io);
    const context = server.context!;
    io.stderr.write(
      `llama-generate serve: ${server.modelId} (${context.sequences} parallel, ${context.contextSize} tokens of context` +
        `${apiKey !== undefined ? ', API key required' : ''})\n`,
    );
    io.stdout.write(`Listening on ${url} (OpenAI API: ${url}/v1)\n`);
    const signal = await stopped;
    io.stderr.write(`llama-generate serve: ${signal}, closing\n`);
    await server.close();
    return 0;
  } finally {
    await model.disposeAsync();
  }
}
