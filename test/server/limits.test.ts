/**
 * Errors in OpenAI's shape through the `openai` client: bad fields (400 with
 * `param`), a wrong or missing key (401), unknown endpoints (404), the
 * bounded queue (429), closing while a stream runs (503 error event).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, loadModel, type Model } from '../../lib/index';
import { STORIES_MODEL, startServer, waitFor, type TestServer } from './support';

let model: Model;
let t: TestServer;

const MESSAGES = [{ role: 'user' as const, content: 'Once upon a time' }];
/** A generation that runs until the sequence is full: seconds on stories260K. */
const LONG = { max_tokens: 100_000, ignore_eos: true } as object;

async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(OpenAI.APIError);
    return err as InstanceType<typeof OpenAI.APIError>;
  }
  throw new Error('the call succeeded');
}

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  t = await startServer({ parallel: 2, apiKey: 'sesame' }, model);
});
afterAll(async () => {
  await t?.close();
  model?.dispose();
});

describe('errors', () => {
  it('answers a bad field with 400 and an OpenAI error body naming it', async () => {
    const unknown = await apiError(t.client.chat.completions.create({ model: 'x', messages: MESSAGES, ...({ top_q: 0.5 } as object) }));
    expect(unknown.status).toBe(400);
    expect(unknown.error).toMatchObject({ type: 'invalid_request_error', param: 'top_q' });
    expect(unknown.message).toMatch(/top_q.*did you mean/);
    const range = await apiError(t.client.chat.completions.create({ model: 'x', messages: MESSAGES, top_p: 7 }));
    expect(range.status).toBe(400);
    expect((range.error as { param: string }).param).toBe('top_p');
    const messages = await apiError(t.client.chat.completions.create({ model: 'x', messages: [] }));
    expect((messages.error as { param: string }).param).toBe('messages');
    const n = await apiError(t.client.chat.completions.create({ model: 'x', messages: MESSAGES, n: 3 }));
    expect(n.status).toBe(400); // more choices than parallel sequences
    const greedyN = await apiError(t.client.completions.create({ model: 'x', prompt: 'x', n: 2, temperature: 0 }));
    expect(greedyN.status).toBe(400);
    const image = await apiError(
      t.client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }] }),
    );
    expect(image.error).toMatchObject({ code: 'unsupported' });
    const overflow = await apiError(t.client.completions.create({ model: 'x', prompt: Array.from({ length: 5000 }, () => 1) }));
    expect(overflow.error).toMatchObject({ code: 'context_length_exceeded' });
  });

  it('ignores the OpenAI bookkeeping fields it documents as ignored', async () => {
    const r = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 2, user: 'u1', store: false, metadata: { a: 'b' } });
    expect(r.choices).toHaveLength(1);
  });

  it('answers an OpenAI field with an equivalent here with a 400 naming both (issue 14)', async () => {
    const functions = [{ name: 'f', parameters: { type: 'object' } }];
    const deprecated = await apiError(t.client.chat.completions.create({ model: 'x', messages: MESSAGES, functions }));
    expect(deprecated.status).toBe(400);
    expect(deprecated.error).toMatchObject({ type: 'invalid_request_error', param: 'functions' });
    expect(deprecated.message).toMatch(/unsupported generation option 'functions' \(OpenAI\): use 'tools'/);
    const llama = await apiError(t.client.completions.create({ model: 'x', prompt: 'x', ...({ n_predict: 4 } as object) }));
    expect(llama.error).toMatchObject({ param: 'n_predict' });
    expect(llama.message).toMatch(/use 'max_new_tokens'/);
    const r = await t.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 2, ...({ cache_prompt: true } as object) });
    expect(r.choices).toHaveLength(1);
  });

  it('needs the API key: 401 without it or with another, /health open', async () => {
    const wrong = await apiError(t.clientWith('open sesame').models.list());
    expect(wrong.status).toBe(401);
    expect(wrong.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
    const none = await fetch(`${t.url}/v1/models`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    expect((await t.client.models.list()).data).toHaveLength(1);
  });

  it('answers unknown endpoints with 404 and wrong methods with 405', async () => {
    const missing = await apiError(t.client.get('/nothing/here'));
    expect(missing.status).toBe(404);
    const method = await apiError(t.client.get('/chat/completions'));
    expect(method.status).toBe(405);
  });
});

describe('the bounded queue', () => {
  it('refuses requests beyond parallel + maxQueue with 429, and admits again once they end', async () => {
    const q = await startServer({ parallel: 1, maxQueue: 1 }, model);
    try {
      const running = await q.client.chat.completions.create({ model: 'x', messages: MESSAGES, stream: true, ...LONG });
      const it1 = running[Symbol.asyncIterator]();
      await it1.next();
      const waiting = q.client.chat.completions.create({ model: 'x', messages: MESSAGES, stream: true, ...LONG });
      await waitFor(() => q.server.stats().active === 2, 5000, 'the second request to be queued');
      expect(q.server.stats()).toEqual({ active: 2, queued: 1 });
      const refused = await apiError(q.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 2 }));
      expect(refused.status).toBe(429);
      expect(refused.error).toMatchObject({ code: 'queue_full' });
      running.controller.abort();
      (await waiting).controller.abort();
      await waitFor(() => q.server.stats().active === 0, 5000, 'the requests to end');
      const ok = await q.client.chat.completions.create({ model: 'x', messages: MESSAGES, max_tokens: 2 });
      expect(ok.choices).toHaveLength(1);
    } finally {
      await q.close();
    }
  });

  it('ends a running stream with a 503 error event when the server closes, and frees the context', async () => {
    const q = await startServer({ parallel: 2 }, model);
    const stream = await q.client.chat.completions.create({ model: 'x', messages: MESSAGES, stream: true, ...LONG });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const closing = q.close();
    let failure: unknown;
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next());
    } catch (err) {
      failure = err;
    }
    await closing;
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toMatch(/shutting down/);
    expect(q.server.context!.disposed).toBe(true);
  });
});

describe('chunkInterval', () => {
  // Text events of a streamed 300-token completion from a server with this interval.
  async function textEvents(chunkInterval: number): Promise<{ events: number; text: string }> {
    const s = await startServer({ chunkInterval }, model);
    try {
      const stream = await s.client.completions.create({ model: 'x', prompt: 'Once upon a time', max_tokens: 300, temperature: 0, stream: true, ...({ ignore_eos: true } as object) });
      let events = 0;
      let text = '';
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.text ?? '';
        if (piece !== '') events++;
        text += piece;
      }
      return { events, text };
    } finally {
      await s.close();
    }
  }

  it('sets how often a stream sends its tokens: the same text in fewer or more events', async () => {
    const grouped = await textEvents(60_000);
    const each = await textEvents(0);
    expect(grouped.text).toBe(each.text);
    // The first token's event, one each time the default bufferSize (64) of tokens waits, the end.
    expect(grouped.events).toBeLessThanOrEqual(1 + Math.ceil(300 / 64) + 1);
    expect(each.events).toBeGreaterThan(10);
  });

  it('refuses a value that is not milliseconds from 0 to an hour', () => {
    for (const bad of [-1, Number.NaN, 3_600_001, '16']) {
      expect(() => createServer({ model, chunkInterval: bad as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
