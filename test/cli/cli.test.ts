/**
 * The `llama-generate` command, run as users run it: `node dist/cli/main.js`
 * in a child process (dist is built by `npm test`'s pretest), checked against
 * the library's own results.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_NAMES, VALUE_KINDS } from '../../lib/config';
import { loadModel, type Context, type Model } from '../../lib/index';
import { ROOT, STORIES_MODEL } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';

const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `stdin` is piped in (or left empty); `onStdout` sees output as it comes. */
function cli(args: string[], options: { stdin?: string; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(d, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const PROMPT = 'Once upon a time';
let stories: Model;
let context: Context;
let chatModelPath: string;
let tmp: string;

beforeAll(async () => {
  stories = await loadModel(STORIES_MODEL);
  context = await stories.createContext({ contextSize: 512 });
  chatModelPath = await getTinyModelPath({ chatTemplate: CHATML, samplingDefaults: { top_k: 40, temp: 0.7 } });
  tmp = mkdtempSync(join(tmpdir(), 'llama-generate-cli-'));
});
afterAll(() => stories?.dispose());

describe('llama-generate run', () => {
  it('streams what generate() produces for the same config', async () => {
    const expected = await context.generate(PROMPT, { max_new_tokens: 24 }).result;
    const r = await cli(['run', STORIES_MODEL, PROMPT, '--max-new-tokens', '24']);
    expect(r.stderr).toBe(''); // no progress bar, no noise when stderr is not a terminal
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected.text + '\n');
  });

  it('takes kebab-case and snake_case flags alike, and sampling flags with a seed', async () => {
    const config = { max_new_tokens: 16, do_sample: true, temperature: 0.9, top_p: 0.9, repetition_penalty: 1.2, seed: 7 };
    const expected = await context.generate(PROMPT, config).result;
    const kebab = await cli(['run', STORIES_MODEL, PROMPT, '--max-new-tokens', '16', '--do-sample', '--temperature', '0.9', '--top-p', '0.9', '--repetition-penalty', '1.2', '--seed', '7']);
    const snake = await cli(['run', STORIES_MODEL, PROMPT, '--max_new_tokens=16', '--do_sample', 'true', '--temperature=0.9', '--top_p', '0.9', '--repetition_penalty', '1.2', '--seed', '7']);
    expect(kebab.stdout).toBe(expected.text + '\n');
    expect(snake.stdout).toBe(kebab.stdout);
    const greedy = await cli(['run', STORIES_MODEL, PROMPT, '--max-new-tokens', '16', '--do-sample', 'false', '--temperature', '0.9']);
    expect(greedy.stdout).toBe((await context.generate(PROMPT, { max_new_tokens: 16 }).result).text + '\n');
    expect(greedy.stderr).toMatch(/^llama-generate: warning: .*temperature/); // no effect without sampling
  });

  it('--json prints the result: text, tokens, finish reason, usage, timings', async () => {
    const expected = await context.generate(PROMPT, { max_new_tokens: 10 }).result;
    const r = await cli(['run', STORIES_MODEL, PROMPT, '-n', '10', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.text).toBe(expected.text);
    expect(json.tokens).toEqual(expected.tokens);
    expect(json.finishReason).toBe('length');
    expect(json.usage).toEqual({ promptTokens: expected.prompt.length, cachedPromptTokens: 0, completionTokens: 10 });
    expect(json.timings.promptMs).toBeGreaterThan(0);
    expect(json.timings.tokensPerSecond).toBeGreaterThan(0);
    expect(json.prompt).toEqual([...expected.prompt]);
    expect(json.config).toEqual({ max_new_tokens: 10 });
  });

  it('reads a generation_config.json, which flags override', async () => {
    const file = join(tmp, 'generation_config.json');
    writeFileSync(file, JSON.stringify({ max_new_tokens: 9, repetition_penalty: 1.3, transformers_version: '4.46.0' }));
    const fromFile = JSON.parse((await cli(['run', STORIES_MODEL, PROMPT, '--config', file, '--json'])).stdout);
    expect(fromFile.tokens).toHaveLength(9);
    expect(fromFile.text).toBe((await context.generate(PROMPT, { max_new_tokens: 9, repetition_penalty: 1.3 }).result).text);
    const overridden = JSON.parse((await cli(['run', STORIES_MODEL, PROMPT, '--config', file, '--max-new-tokens', '3', '--json'])).stdout);
    expect(overridden.tokens).toHaveLength(3);
    expect(overridden.config.repetition_penalty).toBe(1.3);
  });

  it('stops at stop strings, read with backslash escapes, and repeatable', async () => {
    const r = JSON.parse((await cli(['run', STORIES_MODEL, PROMPT, '-n', '200', '--stop-strings', 'zzz', '--stop-strings', '.', '--json'])).stdout);
    expect(r.finishReason).toBe('stop_string');
    expect(r.stopString).toBe('.');
    expect(r.text.endsWith('.')).toBe(true);
    expect(r.text.indexOf('.')).toBe(r.text.length - 1);
    const nl = JSON.parse((await cli(['run', STORIES_MODEL, PROMPT, '-n', '300', '--stop', '\\n', '--json'])).stdout);
    const direct = await context.generate(PROMPT, { max_new_tokens: 300, stop_strings: ['\n'] }).result;
    expect(nl.text).toBe(direct.text);
    expect(nl.finishReason).toBe(direct.finishReason);
  });

  it('takes the prompt from stdin when piped', async () => {
    const fromArg = await cli(['run', STORIES_MODEL, PROMPT, '-n', '12']);
    const fromStdin = await cli(['run', STORIES_MODEL, '-n', '12'], { stdin: `${PROMPT}\n` });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromArg.stdout);
    const empty = await cli(['run', STORIES_MODEL, '-n', '12'], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('llama-generate run: no prompt: give one after the model file, or on stdin\n');
  });

  it('--chat formats the prompt with the chat template; a model without one gets a one-line error', async () => {
    const chatModel = await loadModel(chatModelPath);
    try {
      const ctx = await chatModel.createContext({ contextSize: 256 });
      const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }];
      const expected = await ctx.generate(messages, { max_new_tokens: 6, do_sample: false }).result;
      const r = JSON.parse((await cli(['run', chatModelPath, 'Hello there', '--chat', '--system', 'Be brief.', '-n', '6', '--do-sample', 'false', '--json'])).stdout);
      expect(r.prompt).toEqual([...expected.prompt]);
      expect(r.tokens).toEqual(expected.tokens);
    } finally {
      chatModel.dispose();
    }
    const none = await cli(['run', STORIES_MODEL, 'Hello', '--chat']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/chat template/);
  });

  it('interactive chat answers each line and keeps the conversation', async () => {
    const r = await cli(['run', chatModelPath, '--interactive', '-n', '4', '--do-sample', 'false'], { stdin: 'Hello\nHow are you?\n/exit\nignored\n' });
    expect(r.code).toBe(0);
    const replies = r.stdout.split('\n').filter((l) => l.length > 0);
    expect(replies).toHaveLength(2);
    const chatModel = await loadModel(chatModelPath);
    try {
      const ctx = await chatModel.createContext({ contextSize: 256 });
      const first = await ctx.generate([{ role: 'user', content: 'Hello' }], { max_new_tokens: 4, do_sample: false }).result;
      const second = await ctx.generate(
        [{ role: 'user', content: 'Hello' }, { role: 'assistant', content: first.text }, { role: 'user', content: 'How are you?' }],
        { max_new_tokens: 4, do_sample: false },
      ).result;
      expect(r.stdout).toBe(`${first.text}\n${second.text}\n`);
    } finally {
      chatModel.dispose();
    }
  });

  it('Ctrl-C stops the generation: what was generated is printed, exit code 130', async () => {
    let sent = false;
    const r = await cli(['run', STORIES_MODEL, PROMPT, '-n', '1000000', '--ignore-eos', '-c', '256', '--context-shift', '4'], {
      onStdout: (_text, child) => {
        if (!sent) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
  });
});

describe('errors: one line on stderr, no stack trace, non-zero exit', () => {
  const oneLine = (r: Run): string => {
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return lines[0];
  };

  it('an unknown flag, with a suggestion', async () => {
    const r = await cli(['run', STORIES_MODEL, PROMPT, '--tpo-p', '0.5']);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toBe('llama-generate run: unknown flag --tpo-p; did you mean --top-p?');
  });

  it('a value out of range, checked by the library rule', async () => {
    const r = await cli(['run', STORIES_MODEL, PROMPT, '--top-p', '7']);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/^llama-generate run: --top-p: top_p must be .*7/);
    const kind = await cli(['run', STORIES_MODEL, PROMPT, '--max-new-tokens', 'many']);
    expect(kind.code).toBe(2);
    expect(oneLine(kind)).toMatch(/^llama-generate run: --max-new-tokens: max_new_tokens must be/);
    const missing = await cli(['run', STORIES_MODEL, PROMPT, '--top-k']);
    expect(missing.code).toBe(2);
    expect(oneLine(missing)).toBe('llama-generate run: --top-k needs a value');
    const json = await cli(['run', STORIES_MODEL, PROMPT, '--logit-bias', '{oops']);
    expect(json.code).toBe(2);
    expect(oneLine(json)).toMatch(/^llama-generate run: --logit-bias must be JSON/);
    const threads = await cli(['run', STORIES_MODEL, PROMPT, '--threads', '0']);
    expect(threads.code).toBe(2);
    expect(oneLine(threads)).toBe(`llama-generate run: --threads must be an integer in [1, ${availableParallelism()}], got '0'`);
  });

  it('a missing model file', async () => {
    for (const command of ['run', 'info', 'tokenize', 'bench']) {
      const r = await cli([command, join(tmp, 'missing.gguf'), 'x'].slice(0, command === 'run' || command === 'tokenize' ? 3 : 2));
      expect(r.code).toBe(1);
      expect(oneLine(r)).toBe(`llama-generate ${command}: model file not found: ${join(tmp, 'missing.gguf')} (MODEL_NOT_FOUND)`);
    }
  });

  it('an unknown command, a missing argument', async () => {
    const r = await cli(['rnu', STORIES_MODEL]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toBe("llama-generate: unknown command 'rnu'; did you mean 'run'? (see llama-generate --help)");
    const noModel = await cli(['info']);
    expect(noModel.code).toBe(2);
    expect(oneLine(noModel)).toMatch(/missing the model file/);
  });

  it('--verbose adds the stack trace', async () => {
    const r = await cli(['run', STORIES_MODEL, PROMPT, '--top-p', '7', '--verbose']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('--help', () => {
  it('run lists every generation-config field as a flag, with its default', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    for (const field of FIELD_NAMES) {
      if (VALUE_KINDS[field] === 'call-only') continue;
      const line = r.stdout.split('\n').findIndex((l) => l.includes(`--${field.replace(/_/g, '-')} `) || l.endsWith(`--${field.replace(/_/g, '-')}`));
      expect(line, field).toBeGreaterThanOrEqual(0);
    }
    expect(r.stdout).toMatch(/--top-k <int> +keeps the k best tokens .*\(default: 50\)/);
    expect(r.stdout).toMatch(/--do-sample .*\(default: false\)/);
    for (const flag of ['--config', '--chat', '--json', '--seed', '--threads', '--context-size', '--gpu-layers', '--interactive']) expect(r.stdout).toContain(flag);
  });

  it('every command has a help, and the top level lists the commands', async () => {
    for (const command of ['info', 'bench', 'tokenize']) {
      const r = await cli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: llama-generate ${command}`));
      expect(r.stdout).toContain('--help');
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['run', 'info', 'bench', 'tokenize']) expect(top.stdout).toContain(`  ${command} `);
  });
});

describe('llama-generate info, tokenize, bench', () => {
  it('info describes the model; --json has the same facts', async () => {
    const r = await cli(['info', STORIES_MODEL, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      architecture: 'llama',
      parameters: stories.parameterCount,
      sizeBytes: stories.sizeBytes,
      quantization: 'F32',
      contextLength: stories.trainContextSize,
      layers: stories.layerCount,
      vocabulary: { size: 512, type: 'spm' },
      chatTemplate: null,
    });
    expect(info.specialTokens.bos).toEqual({ id: 1, text: '<s>' });
    expect(info.endOfGenerationTokens).toEqual([{ id: 2, text: '</s>' }]);
    expect(info.tensorTypes).toEqual([{ type: 'F32', parameters: stories.parameterCount, share: 1 }]);
    const text = await cli(['info', STORIES_MODEL]);
    expect(text.stdout).toMatch(/^file +.*stories260K\.gguf$/m);
    expect(text.stdout).toMatch(/^parameters +292\.80K \(292,800\)$/m);
    expect(text.stdout).toMatch(/^chat template +none$/m);
  });

  it('info shows a chat template and the recommended sampling', async () => {
    const info = JSON.parse((await cli(['info', chatModelPath, '--json'])).stdout);
    expect(info.chatTemplate).toBe(CHATML);
    expect(info.recommendedSampling).toEqual({ top_k: 40, temp: 0.7 });
    expect(info.generationDefaults).toMatchObject({ top_k: 40, temperature: 0.7 });
    const text = (await cli(['info', chatModelPath])).stdout;
    expect(text).toMatch(/^recommended sampling +top_k 40, temp 0\.7$/m);
    expect(text).toContain("  {% for message in messages %}");
  });

  it('tokenize prints the ids and pieces of the model tokenizer', async () => {
    const ids = [...stories.tokenize('Hello world')];
    const r = await cli(['tokenize', STORIES_MODEL, 'Hello', 'world', '--ids']);
    expect(JSON.parse(r.stdout)).toEqual(ids);
    const noBos = await cli(['tokenize', STORIES_MODEL, 'Hello world', '--ids', '--add-special', 'false']);
    expect(JSON.parse(noBos.stdout)).toEqual([...stories.tokenize('Hello world', { addSpecial: false })]);
    const lines = (await cli(['tokenize', STORIES_MODEL, 'Hello world'])).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(ids.length);
    expect(lines[0]).toMatch(/^ +1 "<s>"$/);
    const json = JSON.parse((await cli(['tokenize', STORIES_MODEL, 'Hello world', '--json'])).stdout);
    expect(json.map((t: { id: number }) => t.id)).toEqual(ids);
    expect(json.slice(1).map((t: { piece: string }) => t.piece).join('')).toBe(' Hello world');
  });

  it('bench times pp and tg for each thread count', async () => {
    const r = await cli(['bench', STORIES_MODEL, '-p', '32', '-n', '8', '-t', '1,2', '-r', '2', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.rows.map((row: { test: string; threads: number }) => `${row.test}/t${row.threads}`)).toEqual(['pp32/t1', 'tg8/t1', 'pp32/t2', 'tg8/t2']);
    for (const row of json.rows) {
      expect(row.samples).toHaveLength(2);
      expect(row.mean).toBeGreaterThan(0);
    }
    const table = await cli(['bench', STORIES_MODEL, '-p', '16', '-n', '0', '-r', '1']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^\| model .*\| test \| +t\/s \|$/m);
    expect(table.stdout).toMatch(/\| pp16 \| +[\d.]+ ± [\d.]+ \|/);
    const nothing = await cli(['bench', STORIES_MODEL, '-p', '0', '-n', '0']);
    expect(nothing.code).toBe(2);
  });
});
