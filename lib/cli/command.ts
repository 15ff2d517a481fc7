/** What every command does first: its standard flags, --help, the model argument. */
import { flagBoolean, parseFlags, type Flag, type ParsedArgs } from './flags';
import { renderHelp, type CommandHelp } from './help';
import type { CommandIo } from './io';
import { UsageError } from './usageError';

/** --verbose and --help, which every command has. */
export function standardFlags(group?: string): Flag[] {
  return [
    { name: 'verbose', type: 'boolean', help: "llama.cpp's log on stderr, stack traces on errors", group },
    { name: 'help', short: 'h', type: 'boolean', help: 'this help', group },
  ];
}

/** A command line after parsing: the flags, the model file, the other positionals. */
export interface CommandLine {
  parsed: ParsedArgs;
  modelPath: string;
  rest: string[];
}

/**
 * Parses `argv` against `flags`. With --help, prints the help and returns
 * null. Otherwise the first positional is the model file (a usage error when
 * missing); `maxRest` bounds the positionals after it.
 */
export function parseCommand(argv: readonly string[], flags: readonly Flag[], help: CommandHelp, io: CommandIo, maxRest = Infinity): CommandLine | null {
  const parsed = parseFlags(argv, flags);
  if (flagBoolean(parsed, 'help')) {
    io.stdout.write(renderHelp(help, flags));
    return null;
  }
  const [modelPath, ...rest] = parsed.positionals;
  if (modelPath === undefined) throw new UsageError(`missing the model file: ${help.usage}`);
  if (rest.length > maxRest) throw new UsageError(`unexpected argument '${rest[maxRest]}'`);
  return { parsed, modelPath, rest };
}
