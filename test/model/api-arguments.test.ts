/**
 * Wrong arguments of Model and Context methods are INVALID_ARGUMENT, never a
 * TypeError, and never silently ignored (issue 12's bad-input matrix, one
 * test per class of bug).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Context, type Model } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';
import { expectInvalid } from '../support/invalid';

let model: Model;
let context: Context;
const file = join(mkdtempSync(join(tmpdir(), 'llama-generate-args-')), 'state.bin');
const nullProto = (): never => Object.create(null) as never;

beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ sequences: 2, contextSize: 256, threads: 1 });
  await context.evaluate([1, 2, 3]);
  await context.saveStateToFile(file, { sequence: 0 });
});

afterAll(() => model.dispose());

type Call = (value: never) => unknown;

/** Every options argument of the Model and Context API, called with `value` as the options. */
const OPTIONS_ARGUMENTS: Array<[string, Call]> = [
  ['loadModel', (v) => loadModel(STORIES_MODEL, v)],
  ['tokenize', (v) => model.tokenize('Once', v)],
  ['detokenize', (v) => model.detokenize([1, 2], v)],
  ['tokenToPiece', (v) => model.tokenToPiece(5, v)],
  ['createContext', (v) => model.createContext(v)],
  ['generateText', (v) => model.generateText('Once', { max_new_tokens: 2 }, v)],
  ['generate', (v) => context.generate('Once', { max_new_tokens: 2 }, v)],
  ['evaluate', (v) => context.evaluate([1], v)],
  ['copySequence range', (v) => context.copySequence(0, 1, v)],
  ['shiftPositions range', (v) => context.shiftPositions(1, 1, v)],
  ['saveState', (v) => context.saveState(v)],
  ['saveStateToFile', (v) => context.saveStateToFile(file, v)],
  ['loadState', (v) => context.loadState(Buffer.alloc(4), v)],
  ['loadStateFromFile', (v) => context.loadStateFromFile(file, v)],
];

describe('null options are INVALID_ARGUMENT, not a TypeError', () => {
  it.each(OPTIONS_ARGUMENTS)('%s', async (_name, call) => expectInvalid(() => call(null as never), /must be an object, got null/));
});

describe('non-object options are refused, not ignored', () => {
  it.each(OPTIONS_ARGUMENTS)('%s', async (_name, call) => {
    for (const value of [1, 'x', true, [], () => {}]) await expectInvalid(() => call(value as never), /must be an object/);
  });
});

describe('unknown option keys are INVALID_ARGUMENT', () => {
  it.each(OPTIONS_ARGUMENTS)('%s', async (_name, call) => expectInvalid(() => call({ notAnOption: 1 } as never), /unknown .*notAnOption/));
});

describe('null-prototype objects as values are INVALID_ARGUMENT (their messages used to throw)', () => {
  it.each<[string, () => unknown]>([
    ['loadModel gpuLayers', () => loadModel(STORIES_MODEL, { gpuLayers: nullProto() })],
    ['createContext contextSize', () => model.createContext({ contextSize: nullProto() })],
    ['createContext kvCacheType.k', () => model.createContext({ kvCacheType: { k: nullProto() } })],
    ['generate sequence', () => context.generate('Once', {}, { sequence: nullProto() })],
    ['generate bufferSize', () => context.generate('Once', {}, { bufferSize: nullProto() })],
    ['evaluate sequence', () => context.evaluate([1], { sequence: nullProto() })],
    ['removeTokens sequence', () => context.removeTokens(nullProto(), 0)],
    ['removeTokens start', () => context.removeTokens(0, nullProto())],
    ['copySequence destination', () => context.copySequence(0, nullProto())],
    ['copySequence range.start', () => context.copySequence(0, 1, { start: nullProto() })],
    ['shiftPositions sequence', () => context.shiftPositions(nullProto(), 1)],
    ['loadState sequence', () => context.loadState(Buffer.alloc(4), { sequence: nullProto() })],
    ['isEog', () => model.isEog(nullProto())],
    ['tokenToPiece', () => model.tokenToPiece(nullProto())],
  ])('%s', async (_name, call) => expectInvalid(call, /got /));
});

describe('null option values are not taken for absent ones', () => {
  it.each<[string, () => unknown]>([
    ['loadModel gpuLayers', () => loadModel(STORIES_MODEL, { gpuLayers: null as never })],
    ['loadModel useMmap', () => loadModel(STORIES_MODEL, { useMmap: null as never })],
    ['tokenize addSpecial', () => model.tokenize('x', { addSpecial: null as never })],
    ['createContext flashAttention', () => model.createContext({ flashAttention: null as never })],
    ['createContext kvCacheType', () => model.createContext({ kvCacheType: null as never })],
    ['generate contextShift', () => context.generate('Once', {}, { contextShift: null as never })],
    ['generate includeStopString', () => context.generate('Once', {}, { includeStopString: null as never })],
    ['generateText config', () => model.generateText('Once', null as never)],
  ])('%s', async (_name, call) => expectInvalid(call));
});

describe('wrongly typed values are refused, not ignored or coerced', () => {
  it.each<[string, () => unknown]>([
    ['loadModel useMlock: 1', () => loadModel(STORIES_MODEL, { useMlock: 1 as never })],
    ['tokenize parseSpecial: "yes"', () => model.tokenize('x', { parseSpecial: 'yes' as never })],
    ['detokenize removeSpecial: 0', () => model.detokenize([1], { removeSpecial: 0 as never })],
    ['generate addGenerationPrompt: 1', () => context.generate('Once', {}, { addGenerationPrompt: 1 as never })],
    ['generate chatTemplate: 5', () => context.generate('Once', {}, { chatTemplate: 5 as never })],
    ['generate contextShift: -1', () => context.generate('Once', {}, { contextShift: -1 as never })],
    ['evaluate logits: "first"', () => context.evaluate([1], { logits: 'first' as never })],
    ['evaluate sequence: 1.5', () => context.evaluate([1], { sequence: 1.5 })],
    ['removeTokens without start', () => (context.removeTokens as (s: number) => Promise<void>)(0)],
    ['shiftPositions delta: NaN', () => context.shiftPositions(0, NaN)],
    ['sequencePositions(2) on 2 sequences', () => context.sequencePositions(2)],
    ['clearSequence("0")', () => context.clearSequence('0' as never)],
    ['saveState sequence: -1', () => context.saveState({ sequence: -1 })],
  ])('%s', async (_name, call) => expectInvalid(call));
});

describe('the checks do not refuse what is right', () => {
  it('accepts null-prototype options objects and the documented values', async () => {
    const options = Object.assign(Object.create(null) as object, { addSpecial: false });
    expect(Array.from(model.tokenize('Once', options))).toEqual(Array.from(model.tokenize('Once', { addSpecial: false })));
    const result = await context.generate('Once', { max_new_tokens: 2 }, Object.assign(Object.create(null) as object, { sequence: 1, contextShift: { keep: 0 } })).result;
    expect(result.tokens.length).toBe(2);
    await context.copySequence(1, 0, {});
    await context.shiftPositions(0, 0, { start: 0 });
  });
});
