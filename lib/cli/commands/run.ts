/**
 * `llama-generate run <model.gguf> [prompt]`: streams a generation to
 * stdout. The prompt comes from the arguments or, when piped, from stdin;
 * with neither and a terminal on stdin, an interactive chat starts.
 */
import { createInterface } from 'node:readline';
import { generationConfigLayer, modelConfigLayer, resolveConfig, type ResolvedGenerationConfig } from '../../config';
import type { Context } from '../../context';
import { isLlamaError } from '../../errors';
import { sequencesNeeded } from '../../generation/beam';
import type { ChatMessage, GenerateOptions, GenerationInput } from '../../generation/types';
import { configFlags, configFromFlags, unescape } from '../configFlags';
import { parseCommand, standardFlags } from '../command';
import { flagBoolean, flagInteger, flagText, type Flag } from '../flags';
import { contextOptions, loadOptions, modelFlags } from '../modelFlags';
import { openModel } from '../openModel';
import { Progress } from '../progress';
import { resultToJson } from '../resultJson';
import type { CommandIo } from '../io';
import { UsageError } from '../usageError';

const RUN = 'Run';

/** The flags of `run`. */
export function runFlags(): Flag[] {
  return [
    { name: 'config', type: 'string', value: 'file', defaultText: 'none', help: "a transformers generation_config.json (flags override it)", group: RUN },
    { name: 'chat', type: 'boolean', help: "the prompt is a user message, formatted with the model's chat template", group: RUN },
    { name: 'system', type: 'string', value: 'text', defaultText: 'none', help: 'a system message for --chat and interactive chat', group: RUN },
    { name: 'chat-template', type: 'string', value: 'name|template', defaultText: "the model's", help: "a llama.cpp template name (chatml, llama3...) or a template", group: RUN },
    { name: 'interactive', short: 'i', type: 'boolean', help: 'chat turn by turn (the default with no prompt and a terminal on stdin)', group: RUN },
    { name: 'json', type: 'boolean', help: 'print the whole result as JSON instead of streaming the text', group: RUN },
    { name: 'context-shift', type: 'string', value: 'keep', defaultText: 'off: a full context ends the generation', help: 'when the context is full, keep the first <keep> tokens, drop the oldest half of the rest and go on', group: RUN },
    { name: 'assistant-model', type: 'string', value: 'file', defaultText: 'none', help: "a draft model with the same tokenizer for assisted (speculative) decoding: transformers' assistant_model", group: RUN },
    ...standardFlags(RUN),
    ...modelFlags(),
    ...configFlags(),
  ];
}

const HELP = {
  usage: 'llama-generate run <model.gguf> [prompt] [flags]',
  description: [
    'Generates from the prompt and streams the text to stdout as it comes. The prompt',
    'is the arguments after the model, or stdin when it is piped; with neither and a',
    'terminal on stdin, an interactive chat starts. Generation flags take the names of',
    "transformers' GenerationConfig in kebab-case (snake_case accepted); values are",
    'checked by the same rules as the library. Ctrl-C stops the generation.',
  ].join('\n'),
  examples: [
    'llama-generate run model.gguf "Once upon a time" --max-new-tokens 64',
    'llama-generate run model.gguf "Hi" --do-sample --temperature 0.8 --top-p 0.95 --seed 1',
    'echo "Write a haiku" | llama-generate run model.gguf --chat --json',
    'llama-generate run model.gguf --config generation_config.json --stop-strings "\\n\\n" "Q:"',
    'llama-generate run model.gguf "Summarise: ..." --prompt-lookup-num-tokens 10',
    'llama-generate run model.gguf "Once upon a time" --assistant-model draft.gguf --num-assistant-tokens 5',
    'llama-generate run model.gguf "Translate: ..." --num-beams 4 --num-return-sequences 2 --json',
  ],
};

/** Reads stdin to its end. */
async function readStdin(io: CommandIo): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of io.stdin) parts.push(typeof part === 'string' ? Buffer.from(part) : (part as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

/** Runs `run`; returns the exit code. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const line = parseCommand(argv, runFlags(), HELP, io);
  if (!line) return 0;
  const { parsed, modelPath, rest: words } = line;
  const cliConfig = configFromFlags(parsed);
  const configFile = flagText(parsed, 'config');
  let fileLayer;
  if (configFile !== undefined) {
    try {
      fileLayer = generationConfigLayer(configFile);
    } catch (err) {
      if (isLlamaError(err, 'INVALID_ARGUMENT')) throw new UsageError(`--config: ${err.message}`);
      throw err;
    }
  }
  const loadOpts = loadOptions(parsed);
  const ctxOpts = contextOptions(parsed);
  const chat = flagBoolean(parsed, 'chat');
  const json = flagBoolean(parsed, 'json');
  const system = flagText(parsed, 'system');
  const chatTemplate = flagText(parsed, 'chat-template');
  const shiftKeep = flagInteger(parsed, 'context-shift', 0);
  let interactive = flagBoolean(parsed, 'interactive');
  let prompt: string | undefined = words.length > 0 ? words.join(' ') : undefined;
  if (prompt === undefined && !interactive) {
    if (io.stdinIsTTY) interactive = true;
    else prompt = (await readStdin(io)).replace(/\r?\n$/, ''); // `echo text |` adds a newline
  }
  if (!interactive && (prompt === undefined || prompt.length === 0)) {
    throw new UsageError('no prompt: give one after the model file, or on stdin');
  }
  if (interactive && json) throw new UsageError('--json cannot be used with interactive chat');

  const assistantPath = flagText(parsed, 'assistant-model');
  const model = await openModel(modelPath, loadOpts, io);
  const assistant = assistantPath === undefined ? undefined : await openModel(assistantPath, loadOpts, io).catch(async (err: unknown) => {
    await model.disposeAsync();
    throw err;
  });
  try {
    let config: ResolvedGenerationConfig;
    try {
      const callLayer = assistant === undefined ? cliConfig : { ...cliConfig, assistant_model: assistant };
      config = resolveConfig(modelConfigLayer(model.samplingMetadata), fileLayer, callLayer);
    } catch (err) {
      if (isLlamaError(err, 'INVALID_ARGUMENT')) throw new UsageError(err.message);
      throw err;
    }
    for (const warning of config.warnings) io.stderr.write(`llama-generate: warning: ${warning}\n`);
    // one sequence per returned sequence, or per beam for a beam search
    const context = await model.createContext({ ...ctxOpts, sequences: sequencesNeeded(config.values) });
    const options: GenerateOptions = {};
    if (chatTemplate !== undefined) options.chatTemplate = unescape(chatTemplate);
    if (shiftKeep !== undefined) options.contextShift = { keep: shiftKeep };
    if (interactive) return await chatLoop(context, config, options, system, io);
    const input: GenerationInput = chat ? [...(system !== undefined ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt! }] : prompt!;
    return await generateOnce(context, input, config, options, json, io);
  } finally {
    await model.disposeAsync();
    await assistant?.disposeAsync();
  }
}

/** Stops the generation on Ctrl-C (once; a second Ctrl-C is left to the default handler). */
function abortOnSigint(io: CommandIo, controller: AbortController): () => void {
  const onSigint = (): void => {
    controller.abort();
    io.offSigint(onSigint);
  };
  io.onSigint(onSigint);
  return () => io.offSigint(onSigint);
}

async function generateOnce(
  context: Context,
  input: GenerationInput,
  config: ResolvedGenerationConfig,
  options: GenerateOptions,
  json: boolean,
  io: CommandIo,
): Promise<number> {
  const controller = new AbortController();
  const release = abortOnSigint(io, controller);
  const progress = new Progress(io, 'prompt', 'tokens');
  try {
    const generation = context.generate(input, config, {
      ...options,
      signal: controller.signal,
      // the bar only for prompts long enough to take several batches
      onProgress: (p) => (p.total > context.batchSize ? progress.update(p.evaluated, p.total) : undefined),
    });
    let wroteNewline = true;
    for await (const chunk of generation) {
      progress.stop();
      if (json || chunk.index !== 0 || chunk.text.length === 0) continue; // the first (a beam search's best) sequence
      io.stdout.write(chunk.text);
      wroteNewline = chunk.text.endsWith('\n');
    }
    const result = await generation.result;
    if (json) io.stdout.write(JSON.stringify(resultToJson(result), null, 2) + '\n');
    else if (!wroteNewline) io.stdout.write('\n');
    return result.finishReason === 'abort' ? 130 : 0;
  } finally {
    progress.stop();
    release();
  }
}

async function chatLoop(
  context: Context,
  config: ResolvedGenerationConfig,
  options: GenerateOptions,
  system: string | undefined,
  io: CommandIo,
): Promise<number> {
  const history: ChatMessage[] = system !== undefined ? [{ role: 'system', content: system }] : [];
  const rl = createInterface({ input: io.stdin, output: io.stdinIsTTY ? io.stdout : undefined, terminal: io.stdinIsTTY });
  if (io.stdinIsTTY) io.stderr.write('Chat: type a message, /reset to forget the conversation, /exit or Ctrl-D to quit.\n');
  let generating: AbortController | null = null;
  rl.on('SIGINT', () => {
    if (generating) generating.abort();
    else rl.close();
  });
  const prompt = (): void => {
    if (io.stdinIsTTY) rl.prompt();
  };
  rl.setPrompt('> ');
  prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/exit' || text === '/quit') break;
    if (text === '/reset') {
      history.splice(system !== undefined ? 1 : 0);
      prompt();
      continue;
    }
    if (text.length === 0) {
      prompt();
      continue;
    }
    history.push({ role: 'user', content: line });
    generating = new AbortController();
    const release = io.stdinIsTTY ? () => undefined : abortOnSigint(io, generating);
    let reply = '';
    try {
      const generation = context.generate(history, config, { ...options, signal: generating.signal });
      for await (const chunk of generation) {
        io.stdout.write(chunk.text);
        reply += chunk.text;
      }
      await generation.result;
    } finally {
      release();
      generating = null;
    }
    io.stdout.write('\n');
    history.push({ role: 'assistant', content: reply });
    prompt();
  }
  rl.close();
  return 0;
}
