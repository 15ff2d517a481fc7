/** Stop conditions, abort, and UTF-8-safe chunks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, setLogger, setLogLevel, type Context, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';

let model: Model;
let context: Context;
let reference: number[]; // greedy continuation of PROMPT

const PROMPT = 'Once upon a time';

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 512 });
  reference = (await context.generate(PROMPT, { max_new_tokens: 40 }).result).tokens;
});
afterAll(() => model?.dispose());

const textOf = (tokens: number[]): string => Buffer.concat(tokens.map((t) => Buffer.from(model.tokenToPiece(t)))).toString('utf8');

/** Index of the first token that does not occur before it. */
function firstNewTokenAfter(from: number): number {
  for (let i = from; i < reference.length; i++) if (!reference.slice(0, i).includes(reference[i])) return i;
  throw new Error('no fresh token');
}

describe('eos_token_id', () => {
  it('stops before an EOS token and leaves it out', async () => {
    const i = firstNewTokenAfter(4);
    const r = await context.generate(PROMPT, { max_new_tokens: 40, eos_token_id: reference[i] }).result;
    expect(r.finishReason).toBe('eos');
    expect(r.tokens).toEqual(reference.slice(0, i));
  });

  it('accepts a list, and stops at the model end-of-generation tokens by default', async () => {
    const i = firstNewTokenAfter(4);
    const r = await context.generate(PROMPT, { max_new_tokens: 40, eos_token_id: [100000 % model.vocabSize, reference[i]] }).result;
    expect(r.tokens).toEqual(reference.slice(0, i));
    // Without eos_token_id, the model's end-of-generation tokens stop it (made likely here by a bias).
    const eos = model.specialTokens.eos!;
    expect(model.eogTokens).toContain(eos);
    const biased = await context.generate(PROMPT, { max_new_tokens: 40, logit_bias: { [eos]: 100 }, min_new_tokens: 3 }).result;
    expect(biased.finishReason).toBe('eos');
    expect(biased.tokens).toEqual(reference.slice(0, 3));
  });

  it('min_new_tokens masks EOS until reached', async () => {
    const i = firstNewTokenAfter(2);
    const r = await context.generate(PROMPT, { max_new_tokens: 30, eos_token_id: reference[i], min_new_tokens: i + 5 }).result;
    expect(r.tokens.length).toBeGreaterThanOrEqual(i + 5);
    expect(r.tokens.slice(0, i + 5)).not.toContain(reference[i]);
  });

  it('forced_eos_token_id lands on the last token max_new_tokens allows, as in transformers', async () => {
    // transformers sets max_length = prompt + max_new_tokens, and ForcedEOS acts at max_length - 1.
    const forced = reference.find((t) => !reference.slice(0, 8).includes(t)) ?? reference[30];
    const r = await context.generate(PROMPT, { max_new_tokens: 7, forced_eos_token_id: forced }).result;
    expect(r.tokens).toHaveLength(7);
    expect(r.tokens.slice(0, 6)).toEqual(reference.slice(0, 6));
    expect(r.tokens[6]).toBe(forced);
    // when the forced token is also an EOS, generation stops there
    const stopped = await context.generate(PROMPT, { max_new_tokens: 7, forced_eos_token_id: forced, eos_token_id: forced }).result;
    expect(stopped.finishReason).toBe('eos');
    expect(stopped.tokens).toEqual(reference.slice(0, 6));
  });

  it('warns, in the result and the logger, when the default max_length decides the length or the prompt reaches it', async () => {
    const logged: string[] = [];
    setLogger((level, text) => logged.push(`${level}: ${text}`));
    setLogLevel('warn');
    try {
      const long = 'Once upon a time there was a little girl named Lily who loved to play outside in the park with her dog';
      const r = await context.generate(long).result; // no max_new_tokens, no max_length: transformers' default 20
      expect(r.prompt.length).toBeGreaterThanOrEqual(20);
      expect(r.tokens).toHaveLength(1);
      expect(r.warnings).toEqual([
        expect.stringMatching(/^Using the model-agnostic default `max_length` \(=20\)/),
        expect.stringMatching(new RegExp(`^Input length of input_ids is ${r.prompt.length}, but \`max_length\` is set to 20: one token is generated`)),
      ]);
      expect(logged.filter((l) => l.startsWith('warn: llama-generate: '))).toHaveLength(2);
      // with max_new_tokens, nothing to say
      const quiet = await context.generate(long, { max_new_tokens: 3 }).result;
      expect(quiet.warnings).toEqual([]);
    } finally {
      setLogLevel('none');
      setLogger(null);
    }
  });

  it('ignore_eos never stops at EOS', async () => {
    const r = await context.generate(PROMPT, { max_new_tokens: 400, ignore_eos: true }).result;
    expect(r.finishReason).toBe('length');
    expect(r.tokens).toHaveLength(400);
    expect(r.tokens).not.toContain(model.specialTokens.eos);
  });
});

describe('stop_strings', () => {
  // A stop string that starts inside one token and ends inside the next.
  function spanningStop(): { stop: string; at: number } {
    for (let k = 3; k < reference.length - 1; k++) {
      const a = textOf([reference[k]]);
      const b = textOf([reference[k + 1]]);
      if (a.length >= 2 && b.length >= 2) {
        const before = textOf(reference.slice(0, k));
        const stop = a.slice(-2) + b.slice(0, 2);
        if (!(before + a).includes(stop)) return { stop, at: k + 1 };
      }
    }
    throw new Error('no spanning stop string');
  }

  it('stops on a string spanning two tokens; the text keeps the whole last token by default', async () => {
    const { stop, at } = spanningStop();
    const r = await context.generate(PROMPT, { max_new_tokens: 40, stop_strings: stop }).result;
    expect(r.finishReason).toBe('stop_string');
    expect(r.stopString).toBe(stop);
    expect(r.tokens).toEqual(reference.slice(0, at + 1));
    expect(r.text).toBe(textOf(reference.slice(0, at + 1)));
    expect(r.text).toContain(stop);
  });

  it('includeStopString: false cuts the text before the stop string, in the stream too', async () => {
    const { stop, at } = spanningStop();
    const generation = context.generate(PROMPT, { max_new_tokens: 40, stop: [stop, 'zzzz'] }, { includeStopString: false });
    let streamed = '';
    for await (const chunk of generation) {
      streamed += chunk.text;
      expect(streamed).not.toContain(stop.slice(0, 2) + stop.slice(2, 3));
    }
    const r = await generation.result;
    const full = textOf(reference.slice(0, at + 1));
    expect(r.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(streamed).toBe(r.text);
    expect(r.tokens).toEqual(reference.slice(0, at + 1));
  });

  it('a stop string inside a single token also stops', async () => {
    const word = textOf([reference[6]]).trim();
    const r = await context.generate(PROMPT, { max_new_tokens: 40, stop_strings: [word.slice(0, Math.max(1, word.length - 1))] }).result;
    expect(r.finishReason).toBe('stop_string');
    expect(r.tokens.length).toBeLessThanOrEqual(7);
  });
});

describe('max_time and abort', () => {
  it('max_time stops a long generation', async () => {
    const r = await context.generate(PROMPT, { max_new_tokens: 100000, ignore_eos: true, max_time: 0.05 }, { contextShift: true }).result;
    expect(r.finishReason).toBe('max_time');
    expect(r.tokens.length).toBeGreaterThan(0);
    expect(r.timings.totalMs).toBeLessThan(5000);
  });

  it('an AbortSignal stops it mid-stream; the result keeps what was made; the context is reusable', async () => {
    const controller = new AbortController();
    const generation = context.generate(PROMPT, { max_new_tokens: 100000, ignore_eos: true }, { signal: controller.signal, contextShift: true });
    let seen = 0;
    for await (const chunk of generation) {
      seen += chunk.tokens.length;
      if (seen >= 20) controller.abort();
    }
    const r = await generation.result;
    expect(r.finishReason).toBe('abort');
    expect(r.tokens.length).toBeGreaterThanOrEqual(20);
    expect(r.tokens.slice(0, 20)).toEqual((await context.generate(PROMPT, { max_new_tokens: 20, ignore_eos: true }).result).tokens);
  });

  it('breaking out of for-await stops it and frees the sequence', async () => {
    const generation = context.generate(PROMPT, { max_new_tokens: 100000, ignore_eos: true }, { contextShift: true });
    for await (const chunk of generation) if (chunk.tokens.length > 0) break;
    expect(generation.done).toBe(true);
    expect((await generation.result).finishReason).toBe('abort');
    const again = await context.generate(PROMPT, { max_new_tokens: 40 }).result;
    expect(again.tokens).toEqual(reference);
  });

  it('a signal aborted before the start gives an empty aborted result', async () => {
    const r = await context.generate(PROMPT, { max_new_tokens: 10 }, { signal: AbortSignal.abort() }).result;
    expect(r.finishReason).toBe('abort');
    expect(r.tokens).toEqual([]);
  });
});

describe('UTF-8', () => {
  it('never splits a character across chunks (byte-fallback tokens)', async () => {
    // stories260K spells these characters with one token per byte.
    const text = '日本語 ok ü';
    const generation = context.generate(PROMPT, { max_new_tokens: 40, grammar: `root ::= ${JSON.stringify(text)}` });
    const chunks = [];
    for await (const chunk of generation) chunks.push(chunk);
    const r = await generation.result;
    expect(r.text).toBe(text);
    expect(r.finishReason).toBe('eos');
    expect(r.tokens.length).toBeGreaterThan([...text].length); // multi-byte characters took several tokens
    for (const c of chunks) expect(c.text).not.toContain('\uFFFD');
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    expect(chunks.some((c) => c.tokens.length > 1)).toBe(true);
  });
});
