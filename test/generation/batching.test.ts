/** Several generations on one context: continuous batching, FIFO waiting, num_return_sequences, backpressure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index';
import { getTinyModelPath } from '../support/random-llama';
import { STORIES_MODEL } from '../support/models';

const PROMPTS = ['Once upon a time', 'The little dog', 'Lily and Ben went to the', 'One day, a bird', 'Tom had a big red ball', 'The sun'];

let stories: Model;
let tiny: Model;

beforeAll(async () => {
  stories = await loadModel(STORIES_MODEL);
  tiny = await loadModel(await getTinyModelPath());
});
afterAll(() => {
  stories?.dispose();
  tiny?.dispose();
});

/** The tokens of a generation alone in its own context. */
async function solo(model: Model, prompt: string, tokens: number, ignoreEos = false): Promise<number[]> {
  return (await model.generateText(prompt, { max_new_tokens: tokens, ignore_eos: ignoreEos }, { context: { contextSize: 256 } })).tokens;
}

describe('continuous batching', () => {
  it.each([['stories260K'], ['random tiny model']])('concurrent greedy equals solo greedy (%s)', async (name) => {
    const model = name === 'stories260K' ? stories : tiny;
    const context = await model.createContext({ contextSize: 1024, sequences: 4 });
    const lengths = [40, 25, 60, 33]; // generations leave at different steps
    const together = await Promise.all(PROMPTS.slice(0, 4).map((p, i) => context.generate(p, { max_new_tokens: lengths[i], ignore_eos: true }).result));
    for (let i = 0; i < 4; i++) expect(together[i].tokens).toEqual(await solo(model, PROMPTS[i], lengths[i], true));
    expect(new Set(together.map((r) => r.sequence)).size).toBe(4);
    context.dispose();
  });

  it('a generation joining mid-way does not change the others', async () => {
    const context = await stories.createContext({ contextSize: 1024, sequences: 2 });
    const first = context.generate(PROMPTS[0], { max_new_tokens: 80, ignore_eos: true });
    const it = first[Symbol.asyncIterator]();
    await it.next();
    const second = await context.generate(PROMPTS[1], { max_new_tokens: 30, ignore_eos: true }).result;
    const a = await first.result;
    expect(a.tokens).toEqual(await solo(stories, PROMPTS[0], 80, true));
    expect(second.tokens).toEqual(await solo(stories, PROMPTS[1], 30, true));
    context.dispose();
  });

  it('more requests than sequences wait their turn, in order', async () => {
    const context = await stories.createContext({ contextSize: 1024, sequences: 2 });
    // Every request makes exactly 15 tokens. A waiting request gets a sequence only when an
    // earlier one has ended, so when request i shows its first chunk, at least i - 1 of the
    // requests before it are done (with 2 sequences). (Which of two requests that end or start
    // in the same step settles first is up to the JS thread's timing: not checked.)
    const generations = PROMPTS.map((p) => context.generate(p, { max_new_tokens: 15, ignore_eos: true }));
    const started: boolean[] = PROMPTS.map(() => false);
    const doneBefore: number[] = [];
    await Promise.all(
      generations.map(async (g, i) => {
        for await (const chunk of g) {
          if (started[i] || chunk.tokens.length === 0) continue;
          started[i] = true;
          doneBefore[i] = generations.slice(0, i).filter((other) => other.done).length;
        }
      }),
    );
    const results = await Promise.all(generations.map((g) => g.result));
    for (let i = 0; i < PROMPTS.length; i++) expect(results[i].tokens).toEqual(await solo(stories, PROMPTS[i], 15, true));
    for (let i = 2; i < PROMPTS.length; i++) {
      expect(doneBefore[i], `request ${i}`).toBeGreaterThanOrEqual(i - 1);
    }
    context.dispose();
  });

  it('KV operations wait for running generations', async () => {
    const context = await stories.createContext({ contextSize: 1024, sequences: 2 });
    const g = context.generate(PROMPTS[0], { max_new_tokens: 50 });
    const cleared = context.clear().then(() => g.done);
    expect(await cleared).toBe(true);
    context.dispose();
  });
});

describe('num_return_sequences', () => {
  it('evaluates the prompt once and samples every sequence independently', async () => {
    const context = await stories.createContext({ contextSize: 1024, sequences: 3 });
    const generation = context.generate(PROMPTS[0], { max_new_tokens: 30, do_sample: true, num_return_sequences: 3, seed: 11, temperature: 1.2, top_k: 0 });
    const indexes = new Set<number>();
    for await (const chunk of generation) indexes.add(chunk.index);
    const r = await generation.result;
    expect(indexes).toEqual(new Set([0, 1, 2]));
    expect(r.sequences).toHaveLength(3);
    expect(r.usage.completionTokens).toBe(r.sequences.reduce((n, s) => n + s.tokens.length, 0));
    expect(new Set(r.sequences.map((s) => s.tokens.join(','))).size).toBe(3);
    expect(r.tokens).toEqual(r.sequences[0].tokens);
    // Reproducible with the seed.
    const again = await context.generate(PROMPTS[0], { max_new_tokens: 30, do_sample: true, num_return_sequences: 3, seed: 11, temperature: 1.2, top_k: 0 }).result;
    expect(again.sequences.map((s) => s.tokens)).toEqual(r.sequences.map((s) => s.tokens));
    // With a deterministic chain every copy continues exactly like a solo greedy run.
    const greedyLike = await context.generate(PROMPTS[2], { max_new_tokens: 20, do_sample: true, top_k: 1, num_return_sequences: 3 }).result;
    const expected = await solo(stories, PROMPTS[2], 20);
    for (const s of greedyLike.sequences) expect(s.tokens).toEqual(expected);
    context.dispose();
  });
});

describe('backpressure', () => {
  it('a consumer that stops reading pauses the loop (bounded memory)', async () => {
    const context = await stories.createContext({ contextSize: 256 });
    const generation = context.generate(PROMPTS[0], { max_new_tokens: 1_000_000, ignore_eos: true }, { bufferSize: 8, contextShift: true });
    const it = generation[Symbol.asyncIterator]();
    await it.next();
    await new Promise((resolve) => setTimeout(resolve, 400)); // ~400 tokens' time at this model's speed
    expect(generation.done).toBe(false);
    // The first chunk (up to 8) + the JS buffer (it reads while it holds fewer than 8; one read brings up to 8).
    const received = generation.receivedTokens;
    expect(received).toBeLessThanOrEqual(3 * 8 + 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(generation.receivedTokens).toBe(received); // paused: nothing more arrives
    generation.abort();
    const r = await generation.result;
    expect(r.finishReason).toBe('abort');
    expect(r.tokens.length).toBeLessThanOrEqual(4 * 8 + 2); // + what the native queue held + the step in flight
    context.dispose();
  });

  it('a reading consumer with a tiny buffer never stalls (a job filled by a fast step is announced at once)', async () => {
    const context = await stories.createContext({ contextSize: 512 });
    for (const bufferSize of [1, 2, 3]) {
      for (let run = 0; run < 5; run++) {
        let tokens = 0;
        for await (const chunk of context.generate(PROMPTS[0], { max_new_tokens: 300, ignore_eos: true }, { bufferSize })) tokens += chunk.tokens.length;
        expect(tokens).toBe(300);
      }
    }
    context.dispose();
  }, 30_000);

  it('a fast consumer gets every token in few chunks', async () => {
    const context = await stories.createContext({ contextSize: 512 });
    let chunks = 0;
    let tokens = 0;
    for await (const chunk of context.generate(PROMPTS[0], { max_new_tokens: 200, ignore_eos: true })) {
      chunks++;
      tokens += chunk.tokens.length;
    }
    expect(tokens).toBe(200);
    expect(chunks).toBeLessThanOrEqual(200);
    context.dispose();
  });
});
