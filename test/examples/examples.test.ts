/**
 * Every runnable example in examples/, run as users run it (`node examples/x.js`,
 * a child process importing the package by name), checked against what the
 * library produces directly.
 *
 * The examples that take `--threads` run with one thread, and so do the
 * direct generations: on a machine whose cores are shared with other jobs, a
 * thread pool that waits for all its threads at every step gets very slow
 * (seconds per example instead of milliseconds). greedy.js, which has no such
 * flag, runs with the default.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type GenerationConfigInput, type GenerationInput, type GenerateOptions, type Model } from '../../lib/index';
import { ROOT, STORIES_MODEL } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';

const EXAMPLES = join(ROOT, 'examples');
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node examples/<file> ...args` from the repository root. */
function runExample(file: string, args: string[] = [], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const threads = file === 'greedy.js' ? [] : ['--threads', '1'];
    const child = spawn(process.execPath, [join('examples', file), ...args, ...threads], {
      cwd: ROOT,
      env: { ...process.env, LLAMA_MODEL: '', ...options.env },
      timeout: 90_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs an example that must succeed; returns its stdout. */
async function output(file: string, args: string[] = [], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await runExample(file, args, options);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

let stories: Model;
let tmp: string;

beforeAll(async () => {
  stories = await loadModel(STORIES_MODEL);
  tmp = mkdtempSync(join(tmpdir(), 'llama-generate-examples-'));
});
afterAll(() => {
  stories?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The library's own result for the same request, on a fresh context. */
async function direct(model: Model, input: GenerationInput, config: GenerationConfigInput, options: GenerateOptions = {}) {
  return model.generateText(input, config, { ...options, context: { contextSize: 1024, threads: 1 } });
}

describe('examples/greedy.js', () => {
  it("prints the prompt and the library's greedy continuation (the README demo)", async () => {
    const stdout = await output('greedy.js', ['Once upon a time']);
    const { text } = await direct(stories, 'Once upon a time', { max_new_tokens: 32 });
    expect(stdout).toBe(`Once upon a time${text}\n`);
    // What README.md says `npm run demo -- "Once upon a time"` prints.
    expect(stdout).toBe('Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw\n');
  });

  it('takes the model from $LLAMA_MODEL, and --tokens', async () => {
    const tiny = await loadModel(await getTinyModelPath());
    try {
      const stdout = await output('greedy.js', ['The', 'little', 'dog', '--tokens', '12'], { env: { LLAMA_MODEL: tiny.path } });
      const { text, tokens } = await direct(tiny, 'The little dog', { max_new_tokens: 12 });
      expect(tokens.length).toBe(12);
      expect(stdout).toBe(`The little dog${text}\n`);
    } finally {
      tiny.dispose();
    }
  });
});

describe('examples/stream.js', () => {
  const SAMPLING = { do_sample: true, temperature: 0.8, top_p: 0.95, repetition_penalty: 1.1 };

  it('samples reproducibly with a seed, as the library does with the same config', async () => {
    const args = ['The little dog', '--tokens', '80', '--seed', '42'];
    const first = await runExample('stream.js', args);
    expect(first.code).toBe(0);
    expect(await output('stream.js', args)).toBe(first.stdout);
    const { text, usage } = await direct(stories, 'The little dog', { ...SAMPLING, max_new_tokens: 80, seed: 42 });
    expect(first.stdout).toBe(`The little dog${text}\n`);
    expect(first.stderr).toContain(`[${usage.completionTokens} tokens, finish: `);

    const other = await output('stream.js', ['The little dog', '--tokens', '80', '--seed', '43']);
    expect(other).not.toBe(first.stdout);
    const { text: otherText } = await direct(stories, 'The little dog', { ...SAMPLING, max_new_tokens: 80, seed: 43 });
    expect(other).toBe(`The little dog${otherText}\n`);
  });

  it('applies flags over the built-in settings', async () => {
    const stdout = await output('stream.js', ['--tokens', '40', '--seed', '5', '--temperature', '1.5', '--top-p', '1', '--repetition-penalty', '1']);
    const { text } = await direct(stories, 'Once upon a time', { do_sample: true, temperature: 1.5, top_p: 1, repetition_penalty: 1, max_new_tokens: 40, seed: 5 });
    expect(stdout).toBe(`Once upon a time${text}\n`);
  });

  it('takes a transformers generation_config.json instead (top_k 1 sampling is greedy)', async () => {
    const file = join(tmp, 'generation_config.json');
    writeFileSync(file, JSON.stringify({ _from_model_config: true, transformers_version: '4.44.0', bos_token_id: 1, do_sample: true, top_k: 1, temperature: 1.3 }));
    const stdout = await output('stream.js', ['--config', file, '--tokens', '48', '--seed', '9']);
    const { text } = await direct(stories, 'Once upon a time', { max_new_tokens: 48 });
    expect(stdout).toBe(`Once upon a time${text}\n`);
  });

  it('reports invalid settings with their error code', async () => {
    const r = await runExample('stream.js', ['--temperature=-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: temperature/m);
  });
});

describe('examples/chat.js', () => {
  interface Turn {
    prompt: number;
    cached: number;
    evaluated: number;
    generated: number;
  }
  function turns(stdout: string): Turn[] {
    return [...stdout.matchAll(/^\[turn (\d+): prompt (\d+) tokens, (\d+) cached, (\d+) evaluated, (\d+) generated \(\w+\), \d+ tokens\/s\]$/gm)].map((m, i) => {
      expect(Number(m[1])).toBe(i + 1);
      return { prompt: Number(m[2]), cached: Number(m[3]), evaluated: Number(m[4]), generated: Number(m[5]) };
    });
  }
  const USER = ['Hi! Who are you?', 'Tell me a story about a cat.', 'What happened next?'];

  it('keeps the history in the KV cache: later turns evaluate only the new messages (stories260K, chatml fallback)', async () => {
    const r = await runExample('chat.js', ['--seed', '7', '--tokens', '24'], { input: `${USER.join('\n')}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('chat template: chatml (the model has none)');
    const t = turns(r.stdout);
    expect(t).toHaveLength(3);
    expect(t[0].cached).toBe(0);
    for (let i = 1; i < t.length; i++) {
      // The whole previous prompt and the reply come from the cache (the reply's last token is evaluated with the new turn).
      expect(t[i].cached).toBeGreaterThanOrEqual(t[i - 1].prompt + t[i - 1].generated - 1);
      expect(t[i].evaluated).toBe(t[i].prompt - t[i].cached);
      expect(t[i].evaluated).toBeLessThan(t[i].prompt / 2);
    }
    // The first reply is what the library gives for the same message, template and seed.
    const first = await direct(stories, [{ role: 'user', content: USER[0] }], { do_sample: true, temperature: 0.7, top_p: 0.9, seed: 7, max_new_tokens: 24 }, { chatTemplate: 'chatml' });
    expect(r.stdout).toContain(`> ${USER[0]}\nassistant: ${first.text}\n[turn 1: prompt ${first.usage.promptTokens} tokens`);
  });

  it("uses the model's own chat template when it has one", async () => {
    const path = await getTinyModelPath({ chatTemplate: CHATML });
    const r = await runExample('chat.js', ['--model', path, '--temperature', '0', '--tokens', '16', '--system', 'You are terse.'], { input: `${USER[0]}\n\n${USER[1]}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("chat template: the model's");
    const t = turns(r.stdout);
    expect(t).toHaveLength(2); // the empty line is skipped
    expect(t[1].cached).toBeGreaterThanOrEqual(t[0].prompt);
    const tiny = await loadModel(path);
    try {
      const first = await direct(tiny, [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: USER[0] }], { max_new_tokens: 16 });
      expect(r.stdout).toContain(`assistant: ${first.text}\n[turn 1: prompt ${first.usage.promptTokens} tokens`);
    } finally {
      tiny.dispose();
    }
  });

  it('--chat-template takes a llama.cpp template name, and rejects unknown ones', async () => {
    const r = await runExample('chat.js', ['--chat-template', 'llama2', '--temperature', '0', '--tokens', '8'], { input: 'Hello\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('chat template: llama2 (--chat-template)');
    const messages = [{ role: 'user', content: 'Hello' }];
    const first = await direct(stories, messages, { max_new_tokens: 8 }, { chatTemplate: 'llama2' });
    expect(r.stdout).toContain(`assistant: ${first.text}\n[turn 1: prompt ${first.usage.promptTokens} tokens`);
    // ...which is not the chatml fallback's prompt.
    expect(first.usage.promptTokens).not.toBe((await direct(stories, messages, { max_new_tokens: 1 }, { chatTemplate: 'chatml' })).usage.promptTokens);

    const bad = await runExample('chat.js', ['--chat-template', 'no-such-template'], { input: 'Hello\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^UNSUPPORTED: /m);
  });
});

describe('examples/json.mjs', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const characterSchema = JSON.parse(readFileSync(join(EXAMPLES, 'character.schema.json'), 'utf8')) as Record<string, unknown>;

  it('prints JSON that matches the default schema, as the library generates it', async () => {
    const stdout = await output('json.mjs');
    const value: unknown = JSON.parse(stdout);
    const validate = ajv.compile(characterSchema);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    const { text } = await direct(stories, 'Once upon a time, there was a character:', { json_schema: characterSchema, max_new_tokens: 256 });
    expect(value).toEqual(JSON.parse(text));
  });

  it('follows a schema given with --schema, also when sampling', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', maxLength: 30 },
        mood: { enum: ['happy', 'sad', 'brave'] },
        pages: { type: 'integer', minimum: 1, maximum: 500 },
        tags: { type: 'array', items: { type: 'string', maxLength: 10 }, minItems: 1, maxItems: 3 },
        hero: { type: 'object', properties: { name: { type: 'string', maxLength: 16 }, friendly: { type: 'boolean' } }, required: ['name', 'friendly'], additionalProperties: false },
      },
      required: ['title', 'mood', 'pages', 'tags', 'hero'],
      additionalProperties: false,
    };
    const file = join(tmp, 'book.schema.json');
    writeFileSync(file, JSON.stringify(schema));
    const validate = ajv.compile(schema);
    const seen = new Set<string>();
    for (const seed of ['1', '2', '3']) {
      const stdout = await output('json.mjs', ['A book:', '--schema', file, '--temperature', '1.2', '--seed', seed]);
      const value: unknown = JSON.parse(stdout);
      expect(validate(value), `${stdout}\n${JSON.stringify(validate.errors)}`).toBe(true);
      seen.add(stdout);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('fails clearly when the output is cut short', async () => {
    const r = await runExample('json.mjs', ['--tokens', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('generation ended by length after 5 tokens');
    expect(r.stdout).toBe('');
  });
});

describe('examples/concurrent.js', () => {
  const DEFAULT_PROMPTS = ['Once upon a time', 'The little dog', 'Lily and Ben went to the', 'One day, a bird'];

  function results(stdout: string): Array<{ index: number; sequence: number; prompt: string; text: string; tokens: number }> {
    return [...stdout.matchAll(/^\[(\d+)\] sequence (\d+): ("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*") \((\d+) tokens, /gm)].map((m) => ({
      index: Number(m[1]),
      sequence: Number(m[2]),
      prompt: JSON.parse(m[3]) as string,
      text: JSON.parse(m[4]) as string,
      tokens: Number(m[5]),
    }));
  }

  it('runs the requests together, each giving what it gives alone (greedy)', async () => {
    const stdout = await output('concurrent.js');
    const r = results(stdout);
    expect(r.map((x) => x.prompt)).toEqual(DEFAULT_PROMPTS);
    expect(new Set(r.map((x) => x.sequence))).toEqual(new Set([0, 1, 2, 3]));
    let total = 0;
    for (const x of r) {
      const solo = await direct(stories, x.prompt, { max_new_tokens: 64 });
      expect(x.text).toBe(solo.text);
      expect(x.tokens).toBe(solo.usage.completionTokens);
      total += solo.usage.completionTokens;
    }
    expect(stdout).toMatch(new RegExp(`^total: 4 requests on 4 sequences, \\d+ prompt tokens \\(\\d+ cached\\), ${total} generated tokens in \\d+ ms`, 'm'));
  });

  it('queues requests beyond the sequences', async () => {
    const prompts = ['Tom had a big red ball', 'The sun', 'Lily and Ben went to the', 'A cat sat', 'The little dog'];
    const stdout = await output('concurrent.js', [...prompts, '--sequences', '2', '--tokens', '30']);
    const r = results(stdout);
    expect(r.map((x) => x.prompt)).toEqual(prompts);
    for (const x of r) {
      expect(x.sequence).toBeLessThan(2);
      expect(x.text).toBe((await direct(stories, x.prompt, { max_new_tokens: 30 })).text);
    }
    expect(stdout).toMatch(/^total: 5 requests on 2 sequences, /m);
  });
});

describe('examples/beam-search.js', () => {
  function lines(stdout: string): Array<{ index: number; score: number; text: string }> {
    return [...stdout.matchAll(/^\[(\d+)\] score (-?[\d.]+) \((\w+)\): ("(?:[^"\\]|\\.)*")$/gm)].map((m) => ({
      index: Number(m[1]),
      score: Number(m[2]),
      text: JSON.parse(m[4]) as string,
    }));
  }

  it("prints the library's best hypotheses, best first, with their scores", async () => {
    const stdout = await output('beam-search.js', ['The little dog', '--beams', '4', '--return', '3', '--tokens', '16']);
    const context = await stories.createContext({ contextSize: 1024, sequences: 4, threads: 1 });
    const expected = await context.generate('The little dog', { num_beams: 4, num_return_sequences: 3, max_new_tokens: 16, length_penalty: 1, early_stopping: true }).result;
    context.dispose();
    const got = lines(stdout);
    expect(got.map((l) => l.index)).toEqual([0, 1, 2]);
    expect(got.map((l) => l.text)).toEqual(expected.sequences.map((s) => s.text));
    got.forEach((l, i) => expect(l.score).toBeCloseTo(expected.sequences[i].score!, 3));
  });

  it('forces a word into the output (constrained beam search)', async () => {
    const got = lines(await output('beam-search.js', ['Once upon a time', '--force', 'ball', '--beams', '6', '--return', '1', '--tokens', '20']));
    expect(got.length).toBe(1);
    expect(got[0].text).toContain(' ball');
  });
});

describe('examples/speculative.js', () => {
  const STORY = 'Once upon a time, there was a little girl named Lily. She loved to play outside. Once upon a time, there was a little';

  it('prints plain greedy\'s text and what the drafts did (prompt lookup)', async () => {
    const [text, stats] = (await output('speculative.js', ['--lookup', '8', '--tokens', '40'])).trim().split('\n');
    const context = await stories.createContext({ threads: 1 });
    const expected = await context.generate(STORY, { max_new_tokens: 40, do_sample: false }).result;
    context.dispose();
    expect(JSON.parse(text)).toBe(expected.text);
    const m = /^drafted (\d+), accepted (\d+) \((\d+)%\), ([\d.]+) tokens per model step/.exec(stats);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeLessThanOrEqual(Number(m![1]));
  });

  it('drafts with another model of the same tokenizer (--draft)', async () => {
    const [text, stats] = (await output('speculative.js', ['--draft', STORIES_MODEL, '--tokens', '20'])).trim().split('\n');
    const context = await stories.createContext({ threads: 1 });
    const expected = await context.generate(STORY, { max_new_tokens: 20, do_sample: false }).result;
    context.dispose();
    expect(JSON.parse(text)).toBe(expected.text);
    expect(stats).toMatch(/^drafted \d+, accepted \d+/);
  });
});

describe('examples/server.mjs', () => {
  let server: ChildProcessWithoutNullStreams;
  let base: string;
  let log = '';

  beforeAll(async () => {
    server = spawn(process.execPath, [join('examples', 'server.mjs'), '--port', '0', '--parallel', '1', '--queue', '0', '--context-shift', '--max-tokens', '1000000', '--threads', '1'], {
      cwd: ROOT,
      env: { ...process.env, LLAMA_MODEL: '' },
    });
    server.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on (http:\/\/[^\s]+?)\/?$/m.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
    });
  });
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
  });

  interface SseEvent {
    event: string;
    data: unknown;
  }
  function parseEvents(text: string): SseEvent[] {
    return text
      .split('\n\n')
      .filter((block) => block.trim() !== '')
      .map((block) => {
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        return { event, data: JSON.parse(data) as unknown };
      });
  }

  /** Sends a request and reads the whole response. */
  function fetchAll(path: string, body?: unknown): Promise<{ status: number; type: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { method: body === undefined ? 'GET' : 'POST' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  function chunksOf(events: SseEvent[]): Array<{ text: string; tokens: number[] }> {
    return events.filter((e) => e.event === 'message').map((e) => e.data as { text: string; tokens: number[] });
  }

  it('streams chunks as data: events whose concatenation is what generate() gives (POST)', async () => {
    const r = await fetchAll('/generate', { prompt: 'Once upon a time', max_new_tokens: 100 });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/event-stream/);
    const events = parseEvents(r.body);
    const chunks = chunksOf(events);
    const expected = await direct(stories, 'Once upon a time', { max_new_tokens: 100 });
    expect(chunks.map((c) => c.text).join('')).toBe(expected.text);
    expect(chunks.flatMap((c) => c.tokens)).toEqual(expected.tokens);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ finishReason: expected.finishReason, usage: { completionTokens: expected.tokens.length, promptTokens: expected.usage.promptTokens } });
  });

  it('takes the request as query parameters (GET, for EventSource), with config fields', async () => {
    const query = new URLSearchParams({ prompt: 'The little dog', max_new_tokens: '80', stop_strings: JSON.stringify(['.']), do_sample: 'true', seed: '3' });
    const r = await fetchAll(`/generate?${query}`);
    expect(r.status).toBe(200);
    const events = parseEvents(r.body);
    const expected = await direct(stories, 'The little dog', { max_new_tokens: 80, stop_strings: ['.'], do_sample: true, seed: 3 });
    expect(expected.finishReason).toBe('stop_string');
    expect(chunksOf(events).map((c) => c.text).join('')).toBe(expected.text);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { finishReason: 'stop_string', stopString: '.' } });
  });

  it('answers invalid requests with a JSON error before any event', async () => {
    const bad = await fetchAll('/generate', { prompt: 'x', temperature: -1 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('temperature') });
    const unknown = await fetchAll('/generate', { prompt: 'x', logits_processor: 1 });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).message).toContain('logits_processor');
    const noTemplate = await fetchAll('/generate', { messages: [{ role: 'user', content: 'Hi' }] });
    expect(noTemplate.status).toBe(400); // stories260K has no chat template
    expect(JSON.parse(noTemplate.body).code).toBe('INVALID_ARGUMENT');
    expect((await fetchAll('/nowhere')).status).toBe(404);
  });

  it('stops the generation when the client disconnects, and refuses requests beyond its limit meanwhile', async () => {
    // An endless generation: ignore_eos, a huge max_new_tokens, context shift when the sequence is full.
    let response!: IncomingMessage;
    const req = request(`${base}/generate`, { method: 'POST' });
    const gotResponse = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        response = res;
        resolve();
      });
      req.on('error', reject);
    });
    req.end(JSON.stringify({ prompt: 'Once upon a time', ignore_eos: true, max_new_tokens: 1_000_000 }));
    await gotResponse;
    expect(response.statusCode).toBe(200);
    let received = '';
    await new Promise<void>((resolve) => {
      response.setEncoding('utf8').on('data', (d: string) => {
        received += d;
        if (received.split('\n\n').length > 5) resolve();
      });
    });
    response.pause(); // the server's generation goes on or pauses (backpressure); either way it holds the only sequence

    // --parallel 1 --queue 0: a second request is turned away while the first runs.
    const busy = await fetchAll('/generate', { prompt: 'The sun', max_new_tokens: 5 });
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.body).code).toBe('BUSY');

    req.destroy(); // the client goes away
    const aborted = await waitFor(() => /abort after (\d+) tokens \(client disconnected\)/.exec(log), 30_000);
    expect(Number(aborted[1])).toBeGreaterThan(0);
    expect(Number(aborted[1])).toBeLessThan(1_000_000);

    // The sequence is free again: a new request runs at once (it would wait for
    // the million tokens otherwise).
    const next = await fetchAll('/generate', { prompt: 'The sun', max_new_tokens: 5 });
    expect(next.status).toBe(200);
    expect(parseEvents(next.body).at(-1)).toMatchObject({ event: 'done', data: { finishReason: 'length', usage: { completionTokens: 5 } } });
    expect(JSON.parse((await fetchAll('/health')).body)).toMatchObject({ parallel: 1, running: 0, waiting: 0 });
  });

  it('shuts down on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('examples/README.md', () => {
  it('lists every example with the command that runs it, and each example says how to run it', () => {
    const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
    const runnable = readdirSync(EXAMPLES).filter((f) => /\.(c?js|mjs)$/.test(f));
    expect(runnable.length).toBeGreaterThanOrEqual(6);
    for (const file of runnable) {
      expect(readme).toContain(`node examples/${file}`);
      const source = readFileSync(join(EXAMPLES, file), 'utf8');
      expect(source, file).toMatch(/^\/\/ Usage: /m);
      expect(source, file).toMatch(/(require\('llama-generate'\)|from 'llama-generate')/);
    }
    expect(readme).toContain('electron.md');
  });
});

/** Polls `probe` until it returns a value. */
async function waitFor<T>(probe: () => T | null | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
