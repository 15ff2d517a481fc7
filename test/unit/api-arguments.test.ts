/**
 * Wrong arguments of the model-free public API are INVALID_ARGUMENT, never a
 * TypeError, and never silently ignored (issue 12's bad-input matrix, one
 * test per class of bug).
 */
import { describe, it } from 'vitest';
import {
  Context, Model, Sampler, assertImplemented, createSampler, modelConfigLayer, processLogits, readGgufHeader, resolveConfig, sample, setLogLevel, setLogger,
} from '../../lib/index';
import { STORIES_MODEL } from '../support/models';
import { expectInvalid } from '../support/invalid';

const logits = (): Float32Array => new Float32Array(8);
const nullProto = (): object => Object.create(null) as object;

describe('null options are INVALID_ARGUMENT, not a TypeError', () => {
  it.each<[string, () => unknown]>([
    ['readGgufHeader', () => readGgufHeader(STORIES_MODEL, null as never)],
    ['createSampler', () => createSampler({}, null as never)],
    ['processLogits', () => processLogits(logits(), [1], {}, null as never)],
    ['sample', () => sample(logits(), [1], {}, null as never)],
    ['modelConfigLayer', () => modelConfigLayer(null as never)],
    ['assertImplemented', () => assertImplemented(null as never)],
    ['assertImplemented(undefined)', () => assertImplemented(undefined as never)],
  ])('%s', async (_name, call) => expectInvalid(call, /must be/));
});

describe('non-object options are refused, not ignored', () => {
  for (const value of [5, 'x', true, [], () => {}, new Float32Array(2)]) {
    it.each<[string, (v: never) => unknown]>([
      ['readGgufHeader', (v) => readGgufHeader(STORIES_MODEL, v)],
      ['createSampler', (v) => createSampler({}, v)],
      ['processLogits', (v) => processLogits(logits(), [1], {}, v)],
      ['modelConfigLayer', (v) => modelConfigLayer(v)],
    ])(`%s(${Array.isArray(value) ? '[]' : typeof value})`, async (_name, call) => expectInvalid(() => call(value as never), /must be an object/));
  }
});

describe('null-prototype objects and symbols as values are INVALID_ARGUMENT (their messages used to throw)', () => {
  it.each<[string, () => unknown]>([
    ['readGgufHeader maxArrayLength', () => readGgufHeader(STORIES_MODEL, { maxArrayLength: nullProto() as never })],
    ['createSampler promptLength', () => createSampler({}, { vocabSize: 8, promptLength: nullProto() as never })],
    ['createSampler vocabSize', () => createSampler({}, { vocabSize: nullProto() as never })],
    ['processLogits promptLength', () => processLogits(logits(), [1], {}, { promptLength: nullProto() as never })],
    ['setLogLevel', () => setLogLevel(nullProto() as never)],
    ['setLogLevel(symbol)', () => setLogLevel(Symbol('s') as never)],
    ['setLogger', () => setLogger(nullProto() as never)],
  ])('%s', async (_name, call) => expectInvalid(call, /got /));
});

describe('null option values are not taken for absent ones', () => {
  it.each<[string, () => unknown]>([
    ['readGgufHeader maxArrayLength', () => readGgufHeader(STORIES_MODEL, { maxArrayLength: null as never })],
    ['createSampler inputIds', () => createSampler({}, { vocabSize: 8, inputIds: null as never })],
    ['createSampler promptLength', () => createSampler({}, { vocabSize: 8, promptLength: null as never })],
    ['processLogits promptLength', () => processLogits(logits(), [1], {}, { promptLength: null as never })],
  ])('%s', async (_name, call) => expectInvalid(call));
});

describe('unknown option keys are INVALID_ARGUMENT', () => {
  it.each<[string, () => unknown]>([
    ['readGgufHeader', () => readGgufHeader(STORIES_MODEL, { maxArrayLenght: 3 } as never)],
    ['createSampler', () => createSampler({}, { vocabSize: 8, vocab_size: 8 } as never)],
    ['processLogits', () => processLogits(logits(), [1], {}, { inputIds: [1] } as never)],
  ])('%s', async (_name, call) => expectInvalid(call, /unknown .* key/));
});

describe('inputIds is required by processLogits and sample (was an empty list)', () => {
  it.each<[string, () => unknown]>([
    ['processLogits(undefined)', () => processLogits(logits(), undefined as never)],
    ['processLogits(null)', () => processLogits(logits(), null as never)],
    ['sample(null)', () => sample(logits(), null as never)],
    ['sample({})', () => sample(logits(), {} as never)],
  ])('%s', async (_name, call) => expectInvalid(call, /inputIds/));
});

describe('public constructors not for direct use refuse what is not a native handle', () => {
  it.each<[string, () => unknown]>([
    ['new Model', () => new Model(STORIES_MODEL, {} as never, {}, false)],
    ['new Context', () => new Context({} as never, null as never, {} as never, () => {})],
    ['new Sampler', () => new Sampler({ stages: [], hookAt: 0 } as never, {} as never, undefined)],
  ])('%s', async (_name, call) => expectInvalid(call, /not a native handle/));
});

describe('Sampler methods check their arguments', () => {
  it.each<[string, (s: Sampler) => unknown]>([
    ['sample(logits, null)', (s) => s.sample(logits(), null as never)],
    ['sample(logits, 5)', (s) => s.sample(logits(), 5 as never)],
    ['sample(logits, { accept: 1 })', (s) => s.sample(logits(), { accept: 1 as never })],
    ['accept(null-prototype object)', (s) => s.accept(nullProto() as never)],
    ['accept(1.5)', (s) => s.accept(1.5)],
  ])('%s', async (_name, call) => {
    const sampler = createSampler(resolveConfig({}), { vocabSize: 8 });
    try {
      await expectInvalid(() => call(sampler));
    } finally {
      sampler.dispose();
    }
  });
});
