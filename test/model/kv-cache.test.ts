/** KV cache operations per sequence, and saving/restoring state. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaError, loadModel, type Context, type Model } from '../../lib/index';
import { codeOf, rejection } from '../support/errors';
import { getTinyModelPath } from '../support/random-llama';
import { native } from '../../lib/native';
import { argmax, maxAbsDiff, STORIES_MODEL } from '../support/models';

const TOLERANCE = 1e-4;
/** Same tokens in other KV cells: float sums in another order. */
const REORDER_TOLERANCE = 5e-2;
const scratch = mkdtempSync(join(tmpdir(), 'llama-generate-kv-'));


let model: Model;
const contexts: Context[] = [];
async function context(options: Parameters<Model['createContext']>[0] = {}): Promise<Context> {
  const c = await model.createContext({ contextSize: 256, ...options });
  contexts.push(c);
  return c;
}

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
});
afterAll(() => model.dispose());

/** Logits after evaluating `tokens` in a fresh context. */
async function fresh(tokens: ArrayLike<number>): Promise<Float32Array> {
  const c = await context();
  const logits = await c.evaluate(tokens);
  c.dispose();
  return logits;
}

describe('KV cache', () => {
  const prompt = () => model.tokenize('Once upon a time there was a little');
  const other = () => model.tokenize(' dog who liked to run', { addSpecial: false });

  it('removeTokens then re-evaluating gives the same logits as a fresh evaluation', async () => {
    const c = await context();
    const p = prompt();
    await c.evaluate(p);
    await c.evaluate(other());
    await c.removeTokens(0, p.length);
    expect(await c.sequencePositions(0)).toEqual({ min: 0, max: p.length - 1 });
    const tail = model.tokenize(' girl named', { addSpecial: false });
    const got = await c.evaluate(tail);
    const expected = await fresh([...p, ...tail]);
    expect(maxAbsDiff(got, expected)).toBeLessThan(TOLERANCE);
  });

  it('removes a middle range and reports positions', async () => {
    const c = await context();
    await c.evaluate(prompt());
    await c.removeTokens(0, 0, 3);
    const positions = await c.sequencePositions(0);
    expect(positions).toEqual({ min: 3, max: prompt().length - 1 });
  });

  it('clearSequence and clear empty sequences', async () => {
    const c = await context({ sequences: 2 });
    await c.evaluate(prompt(), { sequence: 0 });
    await c.evaluate(prompt(), { sequence: 1 });
    await c.clearSequence(0);
    expect(await c.sequencePositions(0)).toBeNull();
    expect(await c.sequencePositions(1)).not.toBeNull();
    await c.clear();
    expect(await c.sequencePositions(1)).toBeNull();
    const logits = await c.evaluate(prompt());
    expect(maxAbsDiff(logits, await fresh(prompt()))).toBeLessThan(TOLERANCE);
  });

  it('clear() zeroes the cache off the JS thread: the event loop keeps turning while it runs', async () => {
    // 65,536 cells of stories260K: ~80 MB of KV buffers to zero.
    const c = await context({ contextSize: 65536 });
    await c.evaluate(prompt());
    let turns = 0;
    let cleared = false;
    const spin = (): void => {
      if (cleared) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    await c.clear();
    cleared = true;
    // Zeroed on the JS thread, clear() would settle before the first turn.
    expect(turns).toBeGreaterThan(3);
    expect(await c.sequencePositions(0)).toBeNull();
    const logits = await c.evaluate(prompt());
    expect(maxAbsDiff(logits, await fresh(prompt()))).toBeLessThan(TOLERANCE);
    c.dispose();
  });

  it('copySequence shares a prefix: continuing the copy equals a fresh evaluation', async () => {
    const c = await context({ sequences: 3 });
    const p = prompt();
    await c.evaluate(p, { sequence: 0 });
    await c.copySequence(0, 1);
    await c.copySequence(0, 2, { start: 0, end: 4 });
    expect(await c.sequencePositions(1)).toEqual({ min: 0, max: p.length - 1 });
    expect(await c.sequencePositions(2)).toEqual({ min: 0, max: 3 });
    const a = await c.evaluate(other(), { sequence: 1 });
    expect(maxAbsDiff(a, await fresh([...p, ...other()]))).toBeLessThan(TOLERANCE);
    const b = await c.evaluate(p.subarray(4), { sequence: 2 });
    expect(maxAbsDiff(b, await fresh(p))).toBeLessThan(TOLERANCE);
    // The source sequence is untouched by its copies' continuations.
    expect(await c.sequencePositions(0)).toEqual({ min: 0, max: p.length - 1 });
  });

  it('copySequence replaces what the destination held', async () => {
    const c = await context({ sequences: 2 });
    await c.evaluate(model.tokenize('One two three four five six'), { sequence: 1 });
    await c.evaluate(prompt(), { sequence: 0 });
    await c.copySequence(0, 1, { start: 0, end: 3 });
    expect(await c.sequencePositions(1)).toEqual({ min: 0, max: 2 });
    const got = await c.evaluate(prompt().subarray(3), { sequence: 1 });
    // The continuation lands in cells freed by the old content, so attention sums in another order.
    const expected = await fresh(prompt());
    expect(maxAbsDiff(got, expected)).toBeLessThan(REORDER_TOLERANCE);
    expect(argmax(got)).toBe(argmax(expected));
  });

  it('keepSequence drops every other sequence', async () => {
    const c = await context({ sequences: 3 });
    for (const s of [0, 1, 2]) await c.evaluate(prompt(), { sequence: s });
    await c.keepSequence(1);
    expect(await c.sequencePositions(0)).toBeNull();
    expect(await c.sequencePositions(1)).not.toBeNull();
    expect(await c.sequencePositions(2)).toBeNull();
  });

  it('shiftPositions moves a sequence; shifting a window back matches evaluating the window fresh', async () => {
    const c = await context();
    const p = prompt();
    await c.evaluate(p);
    await c.shiftPositions(0, 10);
    expect(await c.sequencePositions(0)).toEqual({ min: 10, max: p.length + 9 });
    await c.shiftPositions(0, -10);
    expect(await c.sequencePositions(0)).toEqual({ min: 0, max: p.length - 1 });
    // Drop the first 3 tokens and slide the rest down: what remains sits where a fresh prompt would.
    await c.removeTokens(0, 0, 3);
    await c.shiftPositions(0, -3, { start: 3 });
    expect(await c.sequencePositions(0)).toEqual({ min: 0, max: p.length - 4 });
  });

  it('without a unified cache, copies whole sequences only', async () => {
    const c = await context({ sequences: 2, unifiedKvCache: false, contextSize: 512 });
    expect(c.unifiedKvCache).toBe(false);
    expect(c.sequenceContextSize).toBe(256);
    await c.evaluate(prompt(), { sequence: 0 });
    expect(await codeOf(c.copySequence(0, 1, { start: 0, end: 2 }))).toBe('UNSUPPORTED');
    await c.copySequence(0, 1);
    const got = await c.evaluate(other(), { sequence: 1 });
    expect(maxAbsDiff(got, await fresh([...prompt(), ...other()]))).toBeLessThan(TOLERANCE);
  });

  it('rejects invalid sequence ids and ranges with INVALID_ARGUMENT', async () => {
    const c = await context({ sequences: 2 });
    await c.evaluate(prompt());
    expect(await codeOf(c.clearSequence(2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.clearSequence(-1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.removeTokens(0, -1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.removeTokens(0, 5, 2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.copySequence(0, 2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.copySequence(5, 0))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.keepSequence(9))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.shiftPositions(0, 1.5))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.shiftPositions(3, 1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.sequencePositions(2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.sequencePositions('0' as never))).toBe('INVALID_ARGUMENT');
    expect(await c.sequencePositions(0)).toEqual({ min: 0, max: prompt().length - 1 });
  });
});

describe('state save/load', () => {
  const p = () => model.tokenize('Lily and Ben went to the park');
  const next = () => model.tokenize(' and played', { addSpecial: false });

  it('restores a whole context from a Buffer with identical logits', async () => {
    const a = await context();
    await a.evaluate(p());
    const state = await a.saveState();
    expect(state.length).toBeGreaterThan(0);
    const expected = await a.evaluate(next());
    const b = await context();
    await b.loadState(state);
    expect(await b.sequencePositions(0)).toEqual({ min: 0, max: p().length - 1 });
    expect(maxAbsDiff(await b.evaluate(next()), expected)).toBe(0);
  });

  it('restores a whole context from a file, with the tokens stored alongside', async () => {
    const a = await context();
    const tokens = p();
    await a.evaluate(tokens);
    const file = join(scratch, 'context.state');
    await a.saveStateToFile(file, { tokens });
    const expected = await a.evaluate(next());
    const b = await context();
    const restored = await b.loadStateFromFile(file);
    expect([...restored]).toEqual([...tokens]);
    expect(maxAbsDiff(await b.evaluate(next()), expected)).toBe(0);
  });

  it('generate() after loadStateFromFile reuses the restored tokens instead of evaluating them again', async () => {
    const a = await context();
    const tokens = p();
    await a.evaluate(tokens);
    const whole = join(scratch, 'reuse-context.state');
    const one = join(scratch, 'reuse-sequence.state');
    await a.saveStateToFile(whole, { tokens });
    await a.saveStateToFile(one, { sequence: 0, tokens });
    const prompt = [...tokens, ...next()];
    const fresh = await (await context()).generate(prompt, { max_new_tokens: 6 }).result;
    expect(fresh.usage.cachedPromptTokens).toBe(0);
    for (const sequence of [undefined, 0]) {
      const b = await context();
      await b.loadStateFromFile(sequence === undefined ? whole : one, sequence === undefined ? {} : { sequence });
      const r = await b.generate(prompt, { max_new_tokens: 6 }).result;
      expect(r.usage.cachedPromptTokens).toBeGreaterThanOrEqual(tokens.length - 1);
      expect(r.tokens).toEqual(fresh.tokens);
    }
  });

  it('saves one sequence and restores it into another sequence, from a Buffer and from a file', async () => {
    const a = await context({ sequences: 2 });
    await a.evaluate(p(), { sequence: 1 });
    const state = await a.saveState({ sequence: 1 });
    const file = join(scratch, 'sequence.state');
    await a.saveStateToFile(file, { sequence: 1, tokens: p() });
    const expected = await a.evaluate(next(), { sequence: 1 });

    const b = await context({ sequences: 2 });
    await b.loadState(state, { sequence: 0 });
    expect(await b.sequencePositions(0)).toEqual({ min: 0, max: p().length - 1 });
    expect(await b.sequencePositions(1)).toBeNull();
    expect(maxAbsDiff(await b.evaluate(next(), { sequence: 0 }), expected)).toBeLessThan(TOLERANCE);

    const c = await context({ sequences: 2 });
    expect([...(await c.loadStateFromFile(file, { sequence: 1 }))]).toEqual([...p()]);
    expect(maxAbsDiff(await c.evaluate(next(), { sequence: 1 }), expected)).toBeLessThan(TOLERANCE);
  });

  it('rejects state from a larger context or another model with STATE_IO', async () => {
    const big = await context({ contextSize: 512 });
    await big.evaluate(new Array(300).fill(5));
    const state = await big.saveState();
    const small = await context({ contextSize: 256 });
    expect(await codeOf(small.loadState(state))).toBe('STATE_IO');
    expect(await codeOf(small.loadState(await big.saveState({ sequence: 0 }), { sequence: 0 }))).toBe('STATE_IO');
    const other = await loadModel(await getTinyModelPath());
    try {
      const foreign = await other.createContext({ contextSize: 512 });
      const error = await rejection(foreign.loadState(state));
      expect(error.code).toBe('STATE_IO');
      expect(error.message).toMatch(/mismatched layer count/);
    } finally {
      other.dispose();
    }
  });

  it('corrupted state files (truncated anywhere, huge token counts) are STATE_IO, never an abort or a huge allocation', async () => {
    // Regression: a truncated sequence state file hit llama.cpp's `nread <= state_size` assert
    // (process abort); a huge count in the state made it allocate gigabytes first.
    const c = await context({ sequences: 2 });
    const tokens = p();
    await c.evaluate(tokens, { sequence: 1 });
    for (const sequence of [1, undefined]) {
      const file = join(scratch, `corrupt-${sequence ?? 'all'}.state`);
      await c.saveStateToFile(file, { sequence, tokens });
      const bytes = readFileSync(file);
      const cut = join(scratch, 'cut.state');
      for (let at = 0; at < bytes.length; at += Math.max(1, Math.floor(bytes.length / 97))) {
        writeFileSync(cut, bytes.subarray(0, at));
        expect(await codeOf(c.loadStateFromFile(cut, { sequence })), `cut at ${at}`).toBe('STATE_IO');
      }
      // every 32-bit word past the header set to 0xffffffff, one at a time
      const started = Date.now();
      for (let at = 12; at + 4 <= bytes.length; at += Math.max(4, 4 * Math.floor(bytes.length / 400))) {
        const bad = Buffer.from(bytes);
        bad.writeUInt32LE(0xffffffff, at);
        writeFileSync(cut, bad);
        // a changed word inside the cached values loads (the state does not check them); anything else is STATE_IO
        const code = await c.loadStateFromFile(cut, { sequence }).then(() => 'loaded', (e: LlamaError) => e.code);
        expect(['STATE_IO', 'loaded'], `word at ${at}`).toContain(code);
      }
      expect(Date.now() - started).toBeLessThan(20_000);
      // the file itself still loads
      expect([...(await c.loadStateFromFile(file, { sequence }))]).toEqual([...tokens]);
    }
  });

  it('a count word of 0xffffffff anywhere in a state buffer fails fast, without a huge allocation', async () => {
    // Regression (vendor patch 0004): the architecture-string length made llama.cpp allocate and
    // zero 4 GiB (4-10 s) before failing; a cell count reserved a batch of 2^32 cells.
    const c = await context({ sequences: 2 });
    await c.evaluate(p(), { sequence: 1 });
    const peakBefore = process.resourceUsage().maxRSS;
    for (const sequence of [undefined, 1]) {
      const state = await c.saveState({ sequence });
      for (let at = 0; at + 4 <= state.length; at += 4) {
        const bad = Buffer.from(state);
        bad.writeUInt32LE(0xffffffff, at);
        const started = Date.now();
        const code = await c.loadState(bad, { sequence }).then(() => 'loaded', (e: LlamaError) => e.code);
        expect(['STATE_IO', 'loaded'], `word at ${at}`).toContain(code);
        expect(Date.now() - started, `word at ${at}`).toBeLessThan(2_000);
      }
    }
    expect(process.resourceUsage().maxRSS - peakBefore).toBeLessThan(512 * 1024); // KiB
  });

  it('rejects bad state with STATE_IO and keeps working', async () => {
    const c = await context();
    await c.evaluate(p());
    expect(await codeOf(c.loadState(Buffer.from('not a state')))).toBe('STATE_IO');
    expect(await codeOf(c.loadState(Buffer.alloc(0)))).toBe('STATE_IO');
    expect(await codeOf(c.loadState(Buffer.from('junk'), { sequence: 0 }))).toBe('STATE_IO');
    const good = await c.saveState();
    expect(await codeOf(c.loadState(good.subarray(0, Math.floor(good.length / 2))))).toBe('STATE_IO');
    expect(await codeOf(c.loadStateFromFile(join(scratch, 'missing.state')))).toBe('STATE_IO');
    const junkFile = join(scratch, 'junk.state');
    writeFileSync(junkFile, 'junk junk junk junk');
    expect(await codeOf(c.loadStateFromFile(junkFile))).toBe('STATE_IO');
    expect(await codeOf(c.saveStateToFile(join(scratch, 'no', 'such', 'dir.state')))).toBe('STATE_IO');
    // A failed restore leaves the target empty rather than half-loaded.
    await c.evaluate(p());
    expect(await codeOf(c.loadState(good.subarray(0, good.length - 16)))).toBe('STATE_IO');
    expect(await c.sequencePositions(0)).toBeNull();
    expect(await codeOf(c.loadState('abc' as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.saveStateToFile(''))).toBe('INVALID_ARGUMENT');
    await c.clear();
    expect((await c.evaluate(p())).length).toBe(model.vocabSize);
  });
});

describe('disposal', () => {
  it('rejects every operation after dispose with DISPOSED', async () => {
    const c = await context();
    await c.evaluate(p2());
    c.dispose();
    c.dispose();
    expect(c.disposed).toBe(true);
    for (const op of [
      () => c.evaluate([1]),
      () => c.clear(),
      () => c.clearSequence(0),
      () => c.removeTokens(0, 0),
      () => c.copySequence(0, 0),
      () => c.keepSequence(0),
      () => c.shiftPositions(0, 1),
      () => c.sequencePositions(0),
      () => c.saveState(),
      () => c.loadState(Buffer.from('x')),
      () => c.stats(),
    ]) {
      expect(await codeOf(op())).toBe('DISPOSED');
    }
  });

  it('an evaluation in flight finishes; queued ones reject with DISPOSED', async () => {
    const c = await context();
    const running = c.evaluate(model.tokenize('Once upon a time there was a girl'));
    const queued = c.evaluate([5]);
    await Promise.resolve();
    c.dispose();
    const results = await Promise.allSettled([running, queued]);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as LlamaError).code).toBe('DISPOSED');
    }
    expect(results[1].status).toBe('rejected');
  });

  it('disposing the model cascades to its contexts', async () => {
    const m = await loadModel(STORIES_MODEL);
    const a = await m.createContext({ contextSize: 64 });
    const b = await m.createContext({ contextSize: 64 });
    expect(m.contexts).toHaveLength(2);
    const pending = a.evaluate(m.tokenize('Hello'));
    m.dispose();
    expect(a.disposed && b.disposed).toBe(true);
    expect(m.contexts).toHaveLength(0);
    await pending.catch((err: LlamaError) => expect(err.code).toBe('DISPOSED'));
    expect(await codeOf(b.evaluate([1]))).toBe('DISPOSED');
  });

  it('a context whose creation finishes after the model was disposed is disposed too', async () => {
    const m = await loadModel(STORIES_MODEL);
    const before = native().liveObjects();
    const creating = m.createContext({ contextSize: 64 });
    m.dispose();
    expect(await codeOf(creating)).toBe('DISPOSED');
    expect(native().liveObjects().contexts).toBe(before.contexts);
  });

  it('asyncDispose waits for queued work before disposing', async () => {
    const m = await loadModel(STORIES_MODEL);
    const c = await m.createContext({ contextSize: 64 });
    const pending = c.evaluate(m.tokenize('Hello'));
    await m[Symbol.asyncDispose]();
    expect((await pending).length).toBe(m.vocabSize);
    expect(c.disposed).toBe(true);
  });
});

function p2(): Int32Array {
  return model.tokenize('Hello');
}

describe('context options', () => {
  it.each([
    [{ contextSize: 0 }],
    [{ contextSize: -5 }],
    [{ batchSize: 0 }],
    [{ ubatchSize: 1024, batchSize: 512 }],
    [{ sequences: 0 }],
    [{ sequences: 1000 }],
    [{ threads: 0 }],
    [{ threads: 512 }], // more than the CPUs of the machine (a 2-core machine crawled: 22 s createContext)
    [{ threadsBatch: 4096 }],
    [{ threadPolling: 101 }],
    [{ flashAttention: 'sometimes' }],
    [{ kvCacheType: { k: 'q3_k' } }],
    [{ kvCacheType: { v: 'q8_0' }, flashAttention: false }],
    [{ unifiedKvCache: 'yes' }],
    [{ contextsize: 128 }],
  ])('rejects %j with INVALID_ARGUMENT', async (options) => {
    expect(await codeOf(model.createContext(options as never))).toBe('INVALID_ARGUMENT');
  });

  it('applies the options it is given', async () => {
    const c = await context({ contextSize: 512, batchSize: 128, ubatchSize: 64, sequences: 4, threads: 1, threadsBatch: 2, threadPolling: 0, kvCacheType: { k: 'q8_0', v: 'f16' }, flashAttention: 'disabled' });
    expect(c.contextSize).toBe(512);
    expect(c.batchSize).toBe(128);
    expect(c.ubatchSize).toBe(64);
    expect(c.sequences).toBe(4);
    expect(c.threads).toBe(1);
    expect(c.threadsBatch).toBe(2);
    expect(c.flashAttention).toBe('disabled');
    expect(c.kvCacheType).toEqual({ k: 'q8_0', v: 'f16' });
    expect((await c.evaluate(model.tokenize('Hi'), { sequence: 3 })).length).toBe(model.vocabSize);
  });

  it('defaults the context size to the training context, capped at 4096', async () => {
    const c = await context({ contextSize: undefined });
    expect(c.contextSize).toBe(Math.min(model.trainContextSize, 4096));
  });
});
