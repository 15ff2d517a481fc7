#!/usr/bin/env node
/**
 * The `llama-generate` command: run, info, bench, tokenize, serve. Errors print one
 * line on stderr naming the problem (the stack with --verbose); usage
 * errors exit with 2, other failures with 1, a generation stopped by Ctrl-C
 * with 130.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closest } from '../config/suggest';
import { isLlamaError } from '../errors';
import { setLogLevel } from '../logging';
import { bench } from './commands/bench';
import { info } from './commands/info';
import { run } from './commands/run';
import { serve } from './commands/serve';
import { tokenize } from './commands/tokenize';
import { processIo, type CommandIo } from './io';
import { USAGE_EXIT_CODE, UsageError } from './usageError';

type Command = (argv: readonly string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: { run, summary: 'generate from a prompt, streaming the text (or chat interactively)' },
  info: { run: info, summary: 'what a model is: architecture, size, vocabulary, chat template...' },
  bench: { run: bench, summary: 'prompt and generation speed, like llama-bench' },
  tokenize: { run: tokenize, summary: "a text's tokens" },
  serve: { run: serve, summary: 'an OpenAI-compatible HTTP server (chat, completions, embeddings)' },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'Usage: llama-generate <command> [arguments] [flags]',
    '',
    'Runs GGUF language models through llama.cpp with Hugging Face-style generation configs.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    "'llama-generate <command> --help' lists every flag of a command with its default.",
    '--version prints the version.',
    '',
  ].join('\n');
}

/** Runs the command line `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(topHelp());
      return name === undefined ? USAGE_EXIT_CODE : 0;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(version() + '\n');
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) {
      const guess = closest(name, Object.keys(COMMANDS));
      throw new UsageError(`unknown command '${name}'${guess ? `; did you mean '${guess}'?` : ''} (see llama-generate --help)`);
    }
    if (verbose) setLogLevel('info');
    return await command.run(rest, io);
  } catch (err) {
    const where = name !== undefined && Object.hasOwn(COMMANDS, name) ? `llama-generate ${name}` : 'llama-generate';
    if (verbose && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    if (err instanceof UsageError) {
      io.stderr.write(`${where}: ${err.message}\n`);
      return USAGE_EXIT_CODE;
    }
    if (isLlamaError(err)) {
      io.stderr.write(`${where}: ${err.message} (${err.code})\n`);
      return 1;
    }
    io.stderr.write(`${where}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // A closed pipe (`| head`) ends the output quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`llama-generate: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
