/**
 * Greedy decoding through evaluate() reproduces llama.cpp's own llama-simple
 * token for token, on the real stories260K and on a generated random model.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import { greedy, renderLikeLlamaSimple } from '../support/models';

const references = inject('references');

describe.skipIf(references.runs.length === 0)('greedy decoding matches llama-simple', () => {
  const models = new Map<string, Model>();

  beforeAll(async () => {
    for (const run of references.runs) if (!models.has(run.model)) models.set(run.model, await loadModel(run.model));
  });
  afterAll(() => {
    for (const model of models.values()) model.dispose();
  });

  it.each(references.runs.map((run) => [run.prompt, run] as const))('%s', async (_prompt, run) => {
    const model = models.get(run.model)!;
    const context = await model.createContext({ contextSize: 256 });
    try {
      const prompt = model.tokenize(run.prompt);
      const generated = await greedy(model, context, prompt, run.tokens);
      expect(renderLikeLlamaSimple(model, [...prompt, ...generated])).toBe(run.stdout);
    } finally {
      context.dispose();
    }
  });

  it('continues "Once upon a time" as the brief says', async () => {
    const run = references.runs.find((r) => r.prompt === 'Once upon a time')!;
    expect(run.stdout).toContain('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.');
  });
});

if (references.runs.length === 0) {
  it('greedy reference comparison', () => {
    console.warn(`skipped: ${references.skipReason}`);
  });
}
