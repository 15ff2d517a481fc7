/**
 * Command-line flags: their table, and the parser that turns argv into
 * values with node:util's parseArgs. Long flags are kebab-case; snake_case
 * spellings (`--max_new_tokens`) are accepted; a boolean flag takes an
 * optional `true`/`false` (`--do-sample`, `--do-sample false`,
 * `--no-do-sample`); a flag's value may start with `-` (`--top-n-sigma -1`).
 */
import { parseArgs } from 'node:util';
import { closest } from '../config/suggest';
import { UsageError } from './usageError';

/** How a flag's text is read. */
export type FlagType = 'string' | 'integer' | 'number' | 'boolean';

/** One flag of a command. */
export interface Flag {
  /** Long name, kebab-case, without `--`. */
  name: string;
  /** One-letter alias, without `-`. */
  short?: string;
  type: FlagType;
  /** May be given several times (the values are collected). */
  multiple?: boolean;
  /** Placeholder shown in the help, e.g. `n` for `--threads <n>`. */
  value?: string;
  /** Default, as shown in the help. */
  defaultText?: string;
  /** One line of help. */
  help: string;
  /** Section heading in the help. */
  group?: string;
}

/** What the parser returns: the raw text of every flag given, and the positionals. */
export interface ParsedArgs {
  /** Flag values by long name: a string, or a list for `multiple` flags. */
  values: Record<string, string | string[]>;
  positionals: string[];
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Reads a boolean word; undefined when `text` is not one. */
export function booleanWord(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  return undefined;
}

function unknownFlag(token: string, flags: readonly Flag[]): UsageError {
  const name = token.replace(/^-+/, '').split('=')[0];
  const guess = closest(name.replace(/-/g, '_'), flags.map((f) => f.name.replace(/-/g, '_')));
  const hint = guess ? `; did you mean --${guess.replace(/_/g, '-')}?` : '';
  return new UsageError(`unknown flag ${token.split('=')[0]}${hint}`);
}

/**
 * Splits argv into positionals and flags, every flag as `--long-name=value`: shorts expanded,
 * snake_case turned to kebab-case, booleans given their value, a value that
 * starts with `-` attached. Throws a UsageError naming an unknown flag or a
 * flag missing its value.
 */
function normalize(argv: readonly string[], flags: readonly Flag[]): { out: string[]; positionals: string[] } {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const out: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-' || /^-\d/.test(token)) {
      positionals.push(token); // a negative number is a positional, e.g. a prompt "-5 degrees"
      continue;
    }
    let flag: Flag | undefined;
    let value: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = (eq < 0 ? token.slice(2) : token.slice(2, eq)).replace(/_/g, '-');
      if (eq >= 0) value = token.slice(eq + 1);
      flag = byName.get(name);
      if (!flag && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
        if (value !== undefined) throw new UsageError(`--${name} takes no value`);
        flag = byName.get(name.slice(3));
        value = 'false';
      }
    } else {
      flag = byShort.get(token.slice(1, 2));
      if (token.length > 2) value = token.slice(2).replace(/^=/, '');
    }
    if (!flag) throw unknownFlag(token, flags);
    if (value === undefined) {
      const next = argv[i + 1];
      if (flag.type === 'boolean') {
        if (next !== undefined && booleanWord(next) !== undefined) {
          value = next;
          i++;
        } else {
          value = 'true';
        }
      } else {
        if (next === undefined) throw new UsageError(`--${flag.name} needs a value`);
        value = next;
        i++;
      }
    }
    out.push(`--${flag.name}=${value}`);
  }
  return { out, positionals };
}

/**
 * Parses `argv` against `flags`. `positionals` names the positional
 * arguments in order (a trailing `...` makes the last one take the rest).
 */
export function parseFlags(argv: readonly string[], flags: readonly Flag[]): ParsedArgs {
  const { out, positionals } = normalize(argv, flags);
  const options = Object.fromEntries(flags.map((f) => [f.name, { type: 'string' as const, multiple: f.multiple ?? false }]));
  let parsed;
  try {
    parsed = parseArgs({ args: out, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const values: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value !== undefined) values[name] = value as string | string[];
  }
  return { values, positionals };
}

/** The last value of a flag (a repeated single-value flag keeps the last). */
export function flagText(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.values[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A boolean flag's value (`false` when absent). */
export function flagBoolean(parsed: ParsedArgs, name: string): boolean {
  const text = flagText(parsed, name);
  if (text === undefined) return false;
  const b = booleanWord(text);
  if (b === undefined) throw new UsageError(`--${name} must be true or false, got '${text}'`);
  return b;
}

/** An integer flag's value, checked against [min, max]; undefined when absent. */
export function flagInteger(parsed: ParsedArgs, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = flagText(parsed, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be ${range}, got '${text}'`);
  }
  return n;
}

/** A comma-separated list of integers (`-t 1,2`), each checked against [min, max]. */
export function flagIntegerList(parsed: ParsedArgs, name: string, min: number, fallback: number[]): number[] {
  const text = flagText(parsed, name);
  if (text === undefined) return fallback;
  return text.split(',').map((part) => {
    const n = Number(part);
    if (part.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be integers >= ${min} separated by commas, got '${text}'`);
    return n;
  });
}

/** A flag whose value must be one of `choices`. */
export function flagChoice<T extends string>(parsed: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const text = flagText(parsed, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${text}'`);
  return text as T;
}
