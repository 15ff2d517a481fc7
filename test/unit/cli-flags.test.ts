/** The CLI's argument parsing and the config flags made from the field table. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configFlags, configFromFlags, unescape } from '../../lib/cli/configFlags';
import { parseFlags, type Flag } from '../../lib/cli/flags';
import { benchFlags } from '../../lib/cli/commands/bench';
import { infoFlags } from '../../lib/cli/commands/info';
import { runFlags } from '../../lib/cli/commands/run';
import { tokenizeFlags } from '../../lib/cli/commands/tokenize';
import { renderHelp } from '../../lib/cli/help';
import { Progress } from '../../lib/cli/progress';
import { UsageError } from '../../lib/cli/usageError';
import { FIELD_NAMES, VALUE_KINDS } from '../../lib/config';

const FLAGS: Flag[] = [
  { name: 'threads', short: 't', type: 'string', help: '' },
  { name: 'json', type: 'boolean', help: '' },
  ...configFlags(),
];
const parse = (...argv: string[]) => parseFlags(argv, FLAGS);
const config = (...argv: string[]) => configFromFlags(parse(...argv));

describe('parseFlags', () => {
  it('reads long, short, = and snake_case spellings', () => {
    const p = parse('model.gguf', '--max_new_tokens', '5', '-t', '2', '--top-p=0.9', 'more', 'words');
    expect(p.positionals).toEqual(['model.gguf', 'more', 'words']);
    expect(p.values).toEqual({ 'max-new-tokens': '5', threads: '2', 'top-p': '0.9' });
    expect(parse('-t3').values.threads).toBe('3');
    expect(parse('-n', '7').values['max-new-tokens']).toBe('7');
  });

  it('booleans take an optional value and a --no- form', () => {
    expect(parse('--do-sample', 'prompt').values['do-sample']).toBe('true');
    expect(parse('--do-sample', 'prompt').positionals).toEqual(['prompt']);
    expect(parse('--do-sample', 'false').values['do-sample']).toBe('false');
    expect(parse('--do-sample=no').values['do-sample']).toBe('no');
    expect(parse('--no-do-sample').values['do-sample']).toBe('false');
    expect(parse('--json').values.json).toBe('true');
  });

  it('a value may start with a dash; -- ends the flags', () => {
    expect(parse('--top-n-sigma', '-1').values['top-n-sigma']).toBe('-1');
    expect(parse('--', '--not-a-flag').positionals).toEqual(['--not-a-flag']);
    expect(parse('-5').positionals).toEqual(['-5']);
  });

  it('repeatable flags collect their values', () => {
    expect(parse('--stop-strings', 'a', '--stop-strings', 'b').values['stop-strings']).toEqual(['a', 'b']);
  });

  it('unknown flags and missing values are usage errors naming the flag', () => {
    expect(() => parse('--tpo-k', '3')).toThrow(new UsageError('unknown flag --tpo-k; did you mean --top-k?'));
    expect(() => parse('--frobnicate')).toThrow(new UsageError('unknown flag --frobnicate'));
    expect(() => parse('--top-k')).toThrow(new UsageError('--top-k needs a value'));
    expect(() => parse('-x')).toThrow(UsageError);
    expect(() => parse('--no-json=1')).toThrow(new UsageError('--no-json takes no value'));
  });
});

describe('config flags', () => {
  it('there is a flag for every field settable from text, and the OpenAI aliases', () => {
    const names = new Set(configFlags().map((f) => f.name));
    for (const field of FIELD_NAMES) {
      expect(names.has(field.replace(/_/g, '-')), field).toBe(VALUE_KINDS[field] !== 'call-only');
    }
    expect(names.has('max-tokens')).toBe(true);
    expect(names.has('stop')).toBe(true);
  });

  it('reads each kind of value', () => {
    expect(config('--max-new-tokens', '12', '--do-sample', '--temperature', '0.5', '--top-k', '0')).toEqual({
      max_new_tokens: 12, do_sample: true, temperature: 0.5, top_k: 0,
    });
    expect(config('--stop-strings', '\\n\\n', '--stop', 'END')).toEqual({ stop_strings: ['\n\n', 'END'] });
    expect(config('--suppress-tokens', '1,2,3')).toEqual({ suppress_tokens: [1, 2, 3] });
    expect(config('--eos-token-id', '2')).toEqual({ eos_token_id: 2 });
    expect(config('--eos-token-id', '2,3')).toEqual({ eos_token_id: [2, 3] });
    expect(config('--logit-bias', '{"15": -100}')).toEqual({ logit_bias: { 15: -100 } });
    expect(config('--early-stopping', 'never', '--mirostat', '2', '--do-sample')).toEqual({ early_stopping: 'never', mirostat: 2, do_sample: true });
    expect(config('--samplers', 'top_k;top_p')).toEqual({ samplers: 'top_k;top_p' });
    expect(config('--max-tokens', '4')).toEqual({ max_new_tokens: 4 });
  });

  it('checks each value with the library rule, naming the flag', () => {
    expect(() => config('--top-p', '7')).toThrow(/^--top-p: top_p must be/);
    expect(() => config('--do-sample=maybe')).toThrow(/^--do-sample: do_sample must be/);
    expect(parse('--do-sample', 'maybe').positionals).toEqual(['maybe']); // a bare boolean flag, then a positional
    expect(() => config('--max-new-tokens', '1.5')).toThrow(/^--max-new-tokens: /);
    expect(() => config('--mirostat', '3')).toThrow(/^--mirostat: /);
    expect(() => config('--json-schema', '{')).toThrow(/^--json-schema must be JSON/);
    expect(() => config('--json-schema', '@/nonexistent/schema.json')).toThrow(/^--json-schema: cannot read/);
  });

  it('unescape reads the usual escapes and leaves others alone', () => {
    expect(unescape('a\\nb\\tc\\\\d\\x41\\u00e9\\q')).toBe('a\nb\tc\\dAé\\q');
  });
});

describe('progress bar', () => {
  it('draws on a terminal and stays silent elsewhere', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let drawn = '';
    tty.on('data', (d: Buffer) => (drawn += d.toString()));
    const bar = new Progress({ stderr: tty, stderrIsTTY: true }, 'prompt', 'tokens');
    bar.update(256, 1024);
    bar.stop();
    expect(drawn).toContain('prompt [');
    expect(drawn).toContain('256/1024 tokens');
    const pipe = new PassThrough();
    let written = '';
    pipe.on('data', (d: Buffer) => (written += d.toString()));
    const silent = new Progress({ stderr: pipe, stderrIsTTY: false }, 'prompt', 'tokens');
    silent.update(1, 2);
    silent.stop();
    expect(written).toBe('');
  });
});

describe('help', () => {
  it("every command's help shows every flag with its default", () => {
    for (const flags of [runFlags(), infoFlags(), benchFlags(), tokenizeFlags()]) {
      const text = renderHelp({ usage: 'x', description: 'y' }, flags);
      // the entries: a flag at the start of a line, its text up to the next entry
      const entries = text.split(/\n(?=\s{2}(?:-\w, )?\s*--)/);
      for (const flag of flags) {
        if (flag.name === 'help') continue;
        const entry = entries.find((e) => new RegExp(`^\\s*(-\\w, )?\\s*--${flag.name}\\b`).test(e.replace(/^[^\n]*:\n/, '')));
        expect(entry, flag.name).toBeDefined();
        expect(entry, flag.name).toMatch(/\(default: [^)]/);
      }
    }
  });
});
