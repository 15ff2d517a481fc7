/**
 * `llama-generate serve` as users run it (node dist/cli/main.js in a child
 * process; dist is built by `npm test`'s pretest): it prints the URL, answers
 * the openai client, and closes cleanly on SIGTERM and on Ctrl-C (SIGINT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ROOT, STORIES_MODEL } from '../support/models';

const BIN = join(ROOT, 'dist', 'cli', 'main.js');

interface Served {
  child: ChildProcess;
  url: string;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `serve` and resolves once it has printed its URL. */
function serve(args: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', STORIES_MODEL, '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
      child.on('close', (code) => done({ code, stdout, stderr })),
    );
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /Listening on (http:\/\/\S+) /.exec(stdout);
      if (m) resolve({ child, url: m[1], exit });
    });
    void exit.then(({ code }) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}

describe('llama-generate serve', () => {
  it('prints the URL, serves the openai client, and exits 0 on SIGTERM', async () => {
    const { child, url, exit } = await serve(['--parallel', '2', '--api-key', 'k', '--alias', 'stories', '--temperature', '0']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 });
    expect((await client.models.list()).data[0].id).toBe('stories');
    // --temperature 0 is a server default: greedy unless a request says otherwise
    const a = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 12 });
    const b = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 12 });
    expect(a.choices[0].text).toBe(b.choices[0].text);
    await expect(new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
    child.kill('SIGTERM');
    const { code, stderr } = await exit;
    expect(code).toBe(0);
    expect(stderr).toMatch(/SIGTERM, closing/);
  });

  it('aborts a running stream and exits 0 on SIGINT', async () => {
    const { child, url, exit } = await serve([]);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], stream: true, ...({ max_tokens: 100_000, ignore_eos: true } as object) });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    child.kill('SIGINT');
    await expect((async () => { for (let r = await it.next(); !r.done; r = await it.next()); })()).rejects.toThrow(/shutting down/);
    expect((await exit).code).toBe(0);
  });

  it('lists its flags in --help, the model and generation flags included', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--help'], { cwd: ROOT });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    for (const flag of ['--host', '--port', '--parallel', '--api-key', '--threads', '--context-size', '--gpu-layers', '--temperature', '--max-new-tokens']) {
      expect(out).toContain(flag);
    }
  });
});
