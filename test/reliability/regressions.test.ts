/**
 * The fast part of the reliability harness, in the test suite: the bad-input
 * table covers every public function and method, and every GGUF crasher the
 * mutator saved (test/fixtures/reliability/gguf-*.json) is replayed in a
 * child process. A fixture with `"status": "open"` is a crash not fixed yet:
 * its test is expected to fail, and starts failing (telling you to set
 * `"status": "fixed"`) once the crash is gone. The whole harness is
 * `npm run test:reliability -- --quick`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../lib/index';
import { ROOT } from '../support/models';
import { getTinyModelPath } from '../support/random-llama';
import { coverageGaps } from './bad-input';
import { applyRecipe, loadBase, STORIES_PATH, TINY_BPE_OPTIONS } from './gguf-codec';
import { readFixtures } from './gguf-mutator';

describe('bad-input matrix', () => {
  it('covers every public function and method (add a row to test/reliability/bad-input.ts for a new one)', () => {
    expect(coverageGaps(api as unknown as Record<string, unknown>)).toEqual({ missing: [], stale: [] });
  });
});

/** Loads `file` in a fresh Node process through dist/, as the harness does, and says how it ended. */
function replay(file: string): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const source = `
    require('./dist').loadModel(${JSON.stringify(file)}).then(async (m) => {
      const c = await m.createContext({ contextSize: 64, threads: 1 });
      await c.evaluate(m.tokenize('Once upon a time'));
      await c.generate('Once', { max_new_tokens: 4 }).result;
      m.dispose();
    }).then(() => console.log('loaded'), (e) => console.log(e.name === 'LlamaError' ? 'LlamaError ' + e.code : 'untyped ' + e));
  `;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', source], { cwd: ROOT, timeout: 60_000, env: { ...process.env, GGML_NO_BACKTRACE: '1' } }, (error, stdout, stderr) => {
      resolve({ signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null, stdout, stderr });
    });
  });
}

describe('saved GGUF crashers load without killing the process', () => {
  const fixtures = readFixtures();
  const scratch = mkdtempSync(join(tmpdir(), 'llama-generate-crashers-'));
  const results = new Map<string, Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }>>();
  beforeAll(async () => {
    // a few children at once (GGML_NO_BACKTRACE: ggml's assert would attach gdb for a backtrace, seconds per crash)
    const queue = [...fixtures];
    const run = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { file, fixture } = next;
        const base = fixture.base === 'stories260K' ? STORIES_PATH : await getTinyModelPath(TINY_BPE_OPTIONS);
        const mutant = join(scratch, basename(file).replace(/\.json$/, '.gguf'));
        writeFileSync(mutant, applyRecipe(loadBase(base), fixture.edits));
        const result = replay(mutant);
        results.set(file, result);
        await result;
      }
    };
    await Promise.all([run(), run(), run()]);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  if (fixtures.length === 0) it.skip('no saved crashers', () => {});
  for (const { file, fixture } of fixtures) {
    const test = fixture.status === 'open' ? it.fails : it;
    test(`${basename(file)} (${fixture.status === 'open' ? `open: ${fixture.outcome}; set "status": "fixed" once it passes` : 'fixed'})`, async () => {
      const r = await results.get(file)!;
      expect(r.signal, r.stderr.slice(-500)).toBeNull();
      expect(r.stdout).toMatch(/^(loaded|LlamaError \w+)$/m);
    });
  }
});
