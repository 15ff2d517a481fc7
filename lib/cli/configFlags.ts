/**
 * The generation-config flags, made from the library's own field table
 * (FIELD_INFO for the help line and stage, DEFAULTS for the default,
 * VALUE_KINDS for how the text is read), so flags and validation never
 * drift apart: each value is checked by the same rule generate() uses.
 */
import { readFileSync } from 'node:fs';
import { ALIASES, DEFAULTS, FIELD_INFO, FIELD_NAMES, VALUE_CHOICES, VALUE_KINDS } from '../config';
import { RULES } from '../config/rules';
import type { CanonicalField, ExplainStage, GenerationConfigInput } from '../config';
import { isLlamaError } from '../errors';
import { booleanWord, type Flag, type ParsedArgs } from './flags';
import { UsageError } from './usageError';

/** Help sections, in the order shown, for each stage of the chain. */
const GROUPS: ReadonlyArray<readonly [ExplainStage, string]> = [
  ['stop', 'Generation: length and stop conditions'],
  ['7. draw', 'Generation: greedy or sampling'],
  ['5. warpers', 'Generation: warpers (with --do-sample)'],
  ['2. processors', "Generation: transformers' logits processors"],
  ['4. penalties', "Generation: llama.cpp's penalties"],
  ['3. grammar', 'Generation: grammar and JSON schema'],
  ['1. logit bias', 'Generation: logit bias'],
  ['6. renormalize', 'Generation: renormalization'],
  ['output', 'Generation: outputs'],
  ['none', 'Generation: not implemented (accepted with their default values only)'],
];

/** `max_new_tokens` → `max-new-tokens`. */
export const kebab = (field: string): string => field.replace(/_/g, '-');

const PLACEHOLDER: Record<string, string> = {
  integer: 'int', number: 'x', boolean: 'bool', string: 'text', strings: 'text', ids: 'ids', 'id-or-ids': 'ids', json: 'json',
};

function defaultText(field: CanonicalField): string {
  if (field === 'eos_token_id') return "the model's end-of-generation tokens";
  const value = (DEFAULTS as Readonly<Record<string, unknown>>)[field];
  if (value === undefined) return 'unset';
  return JSON.stringify(value);
}

function placeholder(field: CanonicalField): string {
  const kind = VALUE_KINDS[field];
  if (kind === 'choice') return Object.keys(VALUE_CHOICES[field] ?? {}).join('|');
  if (field === 'json_schema' || field === 'grammar') return `${PLACEHOLDER[kind]}|@file`;
  return PLACEHOLDER[kind];
}

const ESCAPE_NOTE = ' (backslash escapes \\n \\t \\\\ are read)';

/** One flag per field settable from text, grouped by stage; the OpenAI aliases --max-tokens and --stop too. */
export function configFlags(): Flag[] {
  const flags: Flag[] = [];
  for (const [stage, group] of GROUPS) {
    for (const field of FIELD_NAMES) {
      const kind = VALUE_KINDS[field];
      const info = FIELD_INFO[field];
      if (info.stage !== stage || kind === 'call-only') continue;
      flags.push({
        name: kebab(field),
        short: field === 'max_new_tokens' ? 'n' : undefined,
        type: kind === 'boolean' ? 'boolean' : 'string',
        multiple: kind === 'strings',
        value: placeholder(field),
        defaultText: defaultText(field),
        help: info.note + (kind === 'strings' ? `; repeat for several${ESCAPE_NOTE}` : ''),
        group,
      });
    }
  }
  for (const [alias, field] of Object.entries(ALIASES)) {
    if (alias === 'n') continue; // `--n` reads badly; --num-return-sequences
    if (alias === 'response_format') continue; // an API request's shape; --json-schema '{"type":"object"}' is JSON mode
    flags.push({
      name: kebab(alias),
      type: 'string',
      multiple: VALUE_KINDS[field] === 'strings',
      value: placeholder(field),
      defaultText: defaultText(field),
      help: `alias of --${kebab(field)} (OpenAI)`,
      group: 'Generation: OpenAI aliases',
    });
  }
  return flags;
}

/** Reads `\n`, `\t`, `\r`, `\0`, `\\`, `\"`, `\'`, `\xHH` and `\uHHHH` in a flag value. */
export function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/gs, (whole, c: string) => {
    if (c.length > 1) return String.fromCharCode(parseInt(c.slice(1), 16));
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };
    return simple[c] ?? whole;
  });
}

function readAt(flag: string, text: string): string {
  if (!text.startsWith('@')) return text;
  try {
    return readFileSync(text.slice(1), 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${text.slice(1)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function numberOrText(text: string): unknown {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function idList(flag: string, text: string): unknown {
  const t = text.trim();
  if (t.startsWith('[')) return json(flag, t);
  return t.split(',').map((part) => numberOrText(part.trim()));
}

function json(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${flag} must be JSON: ${(err as Error).message}`);
  }
}

/** The value a flag's text stands for; the field's rule checks it afterwards. */
function convert(field: CanonicalField, flag: string, raw: string | string[]): unknown {
  const kind = VALUE_KINDS[field];
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  switch (kind) {
    case 'integer':
    case 'number':
      return numberOrText(text);
    case 'boolean': {
      const b = booleanWord(text);
      return b === undefined ? text : b;
    }
    case 'choice': {
      const choices = VALUE_CHOICES[field] ?? {};
      return Object.hasOwn(choices, text) ? choices[text] : text;
    }
    case 'strings':
      return (Array.isArray(raw) ? raw : [raw]).map(unescape);
    case 'ids':
      return idList(flag, text);
    case 'id-or-ids': {
      const list = idList(flag, text) as unknown[];
      return list.length === 1 && !text.trim().startsWith('[') ? list[0] : list;
    }
    case 'json':
      return json(flag, readAt(flag, text));
    case 'string':
      return readAt(flag, text);
    case 'call-only':
      throw new UsageError(`--${flag} cannot be set from the command line`);
  }
}

/**
 * The generation config the flags in `parsed` set. Each value is validated
 * by the field's own rule in the library, so an error names the flag:
 * `--top-p: top_p must be in [0, 1], got 7`.
 */
export function configFromFlags(parsed: ParsedArgs): GenerationConfigInput {
  const config: Record<string, unknown> = {};
  const fieldOf = (name: string): CanonicalField | undefined => {
    const snake = name.replace(/-/g, '_');
    if ((FIELD_NAMES as readonly string[]).includes(snake)) return snake as CanonicalField;
    if (Object.hasOwn(ALIASES, snake)) return ALIASES[snake as keyof typeof ALIASES];
    return undefined;
  };
  for (const [name, raw] of Object.entries(parsed.values)) {
    const field = fieldOf(name);
    // Call-only fields (assistant_model) are a command's own flags: `run` loads --assistant-model itself.
    if (!field || VALUE_KINDS[field] === 'call-only') continue;
    const value = convert(field, name, raw);
    try {
      (RULES[field] as (v: unknown, name: string) => unknown)(value, field); // the value's own rule; cross-field checks come when the config resolves
    } catch (err) {
      if (isLlamaError(err, 'INVALID_ARGUMENT')) throw new UsageError(`--${name}: ${err.message}`);
      throw err;
    }
    if (config[field] !== undefined && VALUE_KINDS[field] === 'strings') {
      config[field] = [...(config[field] as string[]), ...(value as string[])];
    } else {
      config[field] = value;
    }
  }
  return config as GenerationConfigInput;
}
