/**
 * Global test setup: builds llama.cpp's own `llama-simple` example against
 * the vendored llama.cpp (from the addon's CMake build tree) and records its
 * greedy continuations, which test/model/greedy.test.ts must reproduce token
 * for token. Results are cached in build/reference/ next to the binary.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { getTinyModelPath } from '../support/random-llama';
import { RANDOM_MODEL_PROMPTS, REFERENCE_TOKENS, STORIES_PROMPTS, type References, type ReferenceRun } from './prompts';

const root = resolve(__dirname, '..', '..');
const buildDir = join(root, 'build');
const binary = join(buildDir, 'reference', 'llama-simple');
/** Where the addon and ggml's backend modules are: llama-simple looks for backends in its working directory. */
const backendDir = join(buildDir, 'Release');
export const STORIES_MODEL = join(root, 'models', 'stories260K.gguf');

function buildReferenceBinary(): string | undefined {
  if (!existsSync(join(buildDir, 'CMakeCache.txt'))) {
    return 'no CMake build tree in build/ (the addon came from a prebuilt binary), so llama-simple cannot be built';
  }
  execFileSync('cmake', ['--build', buildDir, '--target', 'llama-simple'], { stdio: 'pipe' });
  return existsSync(binary) ? undefined : `building llama-simple did not produce ${binary}`;
}

function runReference(model: string, prompt: string): ReferenceRun {
  const stdout = execFileSync(binary, ['-m', model, '-n', String(REFERENCE_TOKENS), prompt], {
    encoding: 'utf8',
    cwd: backendDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  // llama-simple ends its output with one newline of its own.
  return { model, prompt, tokens: REFERENCE_TOKENS, stdout: stdout.replace(/\n$/, '') };
}

function cacheKey(models: string[]): string {
  const hash = createHash('sha256');
  const stat = statSync(binary);
  hash.update(`${stat.size}:${stat.mtimeMs}:${REFERENCE_TOKENS}`);
  for (const model of models) hash.update(`${model}:${statSync(model).size}`);
  hash.update(JSON.stringify([STORIES_PROMPTS, RANDOM_MODEL_PROMPTS]));
  return hash.digest('hex');
}

export default async function setup(project: TestProject): Promise<void> {
  const skipReason = buildReferenceBinary();
  if (skipReason) {
    console.warn(`[reference] ${skipReason}; reference comparisons will be skipped`);
    project.provide('references', { runs: [], skipReason });
    return;
  }
  const randomModel = await getTinyModelPath();
  const key = cacheKey([STORIES_MODEL, randomModel]);
  const cacheFile = join(buildDir, 'reference', `runs-${key.slice(0, 16)}.json`);
  let references: References;
  if (existsSync(cacheFile)) {
    references = JSON.parse(readFileSync(cacheFile, 'utf8')) as References;
  } else {
    const started = Date.now();
    const runs = [
      ...STORIES_PROMPTS.map((prompt) => runReference(STORIES_MODEL, prompt)),
      ...RANDOM_MODEL_PROMPTS.map((prompt) => runReference(randomModel, prompt)),
    ];
    references = { runs };
    writeFileSync(cacheFile, JSON.stringify(references, null, 2));
    console.log(`[reference] recorded ${runs.length} llama-simple runs in ${Date.now() - started} ms`);
  }
  project.provide('references', references);
}
