/**
 * The table of the bad-input matrix (bad-input.ts): the wrong values tried,
 * what each kind of argument accepts, every public function and method with
 * its arguments (JavaScript source of a valid value for each), and the
 * overlapping uses tried during a running generation.
 */

// ---- values ----

/** A wrong (or odd) value: its name and its JavaScript source. */
export interface Probe {
  name: string;
  src: string;
  quick?: boolean;
}

export const PROBES: Probe[] = [
  { name: 'undefined', src: 'undefined', quick: true },
  { name: 'null', src: 'null', quick: true },
  { name: 'true', src: 'true', quick: true },
  { name: '0', src: '0' },
  { name: '-0', src: '-0', quick: true },
  { name: '1', src: '1' },
  { name: '-1', src: '-1', quick: true },
  { name: '1.5', src: '1.5', quick: true },
  { name: 'NaN', src: 'NaN', quick: true },
  { name: 'Infinity', src: 'Infinity', quick: true },
  { name: '-Infinity', src: '-Infinity' },
  { name: '2^31', src: '2 ** 31' },
  { name: '2^32', src: '2 ** 32' },
  { name: '2^53', src: '2 ** 53', quick: true },
  { name: '1e308', src: '1e308' },
  { name: "''", src: "''", quick: true },
  { name: "'x'", src: "'x'", quick: true },
  { name: 'NUL string', src: "'a\\u0000b'" },
  { name: 'symbol', src: "Symbol('s')", quick: true },
  { name: 'bigint', src: '10n', quick: true },
  { name: '{}', src: '({})' },
  { name: 'null-prototype object', src: 'Object.create(null)', quick: true },
  { name: 'null-prototype object with a key', src: "Object.assign(Object.create(null), { a: 1 })" },
  { name: '[]', src: '[]', quick: true },
  { name: '[1, 2]', src: '[1, 2]' },
  { name: 'cyclic object', src: '(() => { const o = {}; o.self = o; return o; })()', quick: true },
  { name: 'cyclic array', src: '(() => { const a = [1]; a.push(a); return a; })()' },
  { name: 'function', src: '(() => 1)', quick: true },
  { name: 'Date', src: 'new Date(0)' },
  { name: 'Map', src: 'new Map()' },
  { name: 'Int32Array', src: 'Int32Array.of(1, 2)' },
  { name: 'Float32Array', src: 'new Float32Array(4)' },
  { name: 'Buffer', src: "Buffer.from('ab')" },
  { name: 'array of NaN', src: '[NaN]' },
  { name: 'huge array', src: 'new Array(1e6).fill(1)' },
  { name: 'sparse array', src: '[, 1]' },
];

/** What an argument accepts. A probe the kind does not accept must be rejected. */
export type Kind =
  | { k: 'string'; nonEmpty?: boolean }
  | { k: 'int'; min: number; max: number }
  | { k: 'number'; min?: number; infinity?: boolean }
  | { k: 'bool' }
  | { k: 'function' }
  | { k: 'signal' }
  | { k: 'tokens' }
  | { k: 'logits' }
  | { k: 'bytes' }
  | { k: 'enum'; values: unknown[] }
  | { k: 'options'; keys: Record<string, Kind> }
  | { k: 'config' }
  | { k: 'messages' }
  | { k: 'model' }
  | { k: 'strings' }
  | { k: 'oneOf'; kinds: Kind[] }
  | { k: 'any' };

/** Allowed, not allowed, or either (the value is of the right type but its meaning is checked later). */
export type Verdict = 'valid' | 'invalid' | 'either';

const int = (min: number, max: number): Kind => ({ k: 'int', min, max });
const bool: Kind = { k: 'bool' };
const str: Kind = { k: 'string' };
const path: Kind = { k: 'string', nonEmpty: true };
const options = (keys: Record<string, Kind>): Kind => ({ k: 'options', keys });
const SEQ = int(0, 3);

function isPlainish(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  return true;
}

/** Whether `kind` accepts `value` (undefined is handled by the caller: optional or not). */
export function verdict(kind: Kind, value: unknown): Verdict {
  switch (kind.k) {
    case 'any':
      return 'either';
    case 'string':
      return typeof value === 'string' && (!kind.nonEmpty || value.length > 0) ? 'valid' : 'invalid';
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'invalid';
      return value >= kind.min && value <= kind.max ? 'valid' : 'invalid';
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value) || (!kind.infinity && !Number.isFinite(value))) return 'invalid';
      return kind.min === undefined || value >= kind.min ? 'valid' : 'invalid';
    case 'bool':
      return typeof value === 'boolean' ? 'valid' : 'invalid';
    case 'function':
      return typeof value === 'function' ? 'valid' : 'invalid';
    case 'signal':
      return value instanceof AbortSignal ? 'valid' : 'invalid';
    case 'logits':
      return value instanceof Float32Array ? 'valid' : 'invalid';
    case 'bytes':
      return value instanceof Uint8Array ? 'valid' : 'invalid';
    case 'tokens': {
      if (value instanceof Int32Array) return 'valid';
      if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<unknown>).length !== 'number') return 'invalid';
      const list = Array.from(value as ArrayLike<unknown>);
      if (list.some((id) => typeof id !== 'number' || !Number.isInteger(id))) return 'invalid';
      return 'either'; // ids out of the vocabulary are the native layer's to refuse
    }
    case 'enum':
      return kind.values.includes(value) ? 'valid' : 'invalid';
    case 'options':
      return isPlainish(value) && typeof value !== 'function' ? (value instanceof Date || value instanceof Map ? 'either' : 'valid') : 'invalid';
    case 'config': {
      if (!isPlainish(value)) return 'invalid';
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return 'invalid';
      return Object.keys(value as object).length === 0 ? 'valid' : 'either';
    }
    case 'messages':
      return Array.isArray(value) ? 'either' : 'invalid';
    case 'model':
      return 'invalid'; // no probe is a Model
    case 'strings':
      return Array.isArray(value) && value.every((s) => typeof s === 'string') ? 'either' : 'invalid';
    case 'oneOf': {
      const all = kind.kinds.map((k) => verdict(k, value));
      if (all.includes('valid')) return 'valid';
      if (all.includes('either')) return 'either';
      return 'invalid';
    }
  }
}

// ---- the table ----

/** One argument: its name, what it accepts, a valid value's source, whether it may be left out. */
export interface Arg {
  name: string;
  kind: Kind;
  valid: string;
  optional?: boolean;
}

/** One public function or method. */
export interface Entry {
  /** How the case calls it: `fn`, a receiver expression and a method, or `new`. */
  call: { fn: string } | { receiver: string; method: string; fresh?: boolean } | { ctor: string } | { getter: string; receiver: string };
  args: Arg[];
  /** The receiver disposed: `DISPOSED` expected (default), or anything typed. */
  disposed?: { receiver: string; expect: 'DISPOSED' | 'either' };
  /** Codes a rejected value may have besides INVALID_ARGUMENT. */
  codes?: string[];
  /** Not called: why. */
  skip?: string;
}

const CONTEXT_OPTIONS: Record<string, Kind> = {
  contextSize: int(1, 1 << 24), batchSize: int(1, 1 << 24), ubatchSize: int(1, 1 << 24), sequences: int(1, 256), threads: int(1, 2), threadsBatch: int(1, 2),
  threadPolling: int(0, 100), flashAttention: { k: 'enum', values: ['auto', 'enabled', 'disabled', true, false] },
  kvCacheType: options({ k: { k: 'enum', values: ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'iq4_nl'] }, v: { k: 'enum', values: ['f32', 'f16', 'bf16'] } }),
  unifiedKvCache: bool,
};
const GENERATE_OPTIONS: Record<string, Kind> = {
  signal: { k: 'signal' }, sequence: SEQ, onProgress: { k: 'function' }, includeStopString: bool,
  contextShift: { k: 'oneOf', kinds: [bool, options({ keep: int(0, 2 ** 31 - 1) })] }, addSpecial: bool, parseSpecial: bool,
  chatTemplate: path, addGenerationPrompt: bool, renderSpecialTokens: bool, bufferSize: int(1, 2 ** 31 - 1),
  // chat template options (lib/chat): checked with chat input
  renderer: { k: 'any' }, continueFinalMessage: { k: 'any' }, tools: { k: 'any' }, documents: { k: 'any' }, templateKwargs: { k: 'any' },
  bosToken: { k: 'any' }, eosToken: { k: 'any' }, now: { k: 'any' },
};
const LOAD_OPTIONS: Record<string, Kind> = {
  gpuLayers: { k: 'oneOf', kinds: [int(-1, 2 ** 31 - 1), { k: 'enum', values: ['auto', 'max'] }] }, devices: { k: 'strings' },
  useMmap: bool, useMlock: bool, vocabOnly: bool, onProgress: { k: 'function' }, signal: { k: 'signal' }, nativeBinding: path,
};
const SAMPLER_OPTIONS: Record<string, Kind> = { model: { k: 'model' }, vocabSize: int(1, 2 ** 31 - 1), inputIds: { k: 'tokens' }, promptLength: int(0, 3) };
const ONE_SHOT_OPTIONS: Record<string, Kind> = { model: { k: 'model' }, vocabSize: int(1, 2 ** 31 - 1), promptLength: int(0, 2) };
const RANGE = options({ start: int(0, 2 ** 31 - 1), end: int(0, 2 ** 31 - 1) });
export const SMALL = '{ max_new_tokens: 2 }';

/** The receiver fixtures a case can name (see childSetup). */
export const TABLE: Record<string, Entry> = {
  loadModel: { call: { fn: 'loadModel' }, args: [{ name: 'path', kind: path, valid: 'STORIES' }, { name: 'options', kind: options(LOAD_OPTIONS), valid: '{}', optional: true }], codes: ['MODEL_NOT_FOUND'] },
  'new Model': { call: { ctor: 'Model' }, args: [{ name: 'path', kind: { k: 'any' }, valid: 'STORIES' }, { name: 'handle', kind: { k: 'model' }, valid: '{}' }, { name: 'metadata', kind: { k: 'any' }, valid: '{}' }, { name: 'vocabOnly', kind: { k: 'any' }, valid: 'false' }] },
  'Model.tokenize': { call: { receiver: 'model', method: 'tokenize' }, args: [{ name: 'text', kind: str, valid: "'Once upon a time'" }, { name: 'options', kind: options({ addSpecial: bool, parseSpecial: bool }), valid: '{}', optional: true }], disposed: { receiver: 'disposedModel', expect: 'DISPOSED' } },
  'Model.detokenize': { call: { receiver: 'model', method: 'detokenize' }, args: [{ name: 'tokens', kind: { k: 'tokens' }, valid: '[1, 2, 3]' }, { name: 'options', kind: options({ removeSpecial: bool, unparseSpecial: bool }), valid: '{}', optional: true }], disposed: { receiver: 'disposedModel', expect: 'DISPOSED' } },
  'Model.tokenToPiece': { call: { receiver: 'model', method: 'tokenToPiece' }, args: [{ name: 'token', kind: int(0, 511), valid: '5' }, { name: 'options', kind: options({ special: bool }), valid: '{}', optional: true }], disposed: { receiver: 'disposedModel', expect: 'DISPOSED' } },
  'Model.isEog': { call: { receiver: 'model', method: 'isEog' }, args: [{ name: 'token', kind: int(0, 511), valid: '2' }], disposed: { receiver: 'disposedModel', expect: 'DISPOSED' } },
  'Model.createContext': { call: { receiver: 'model', method: 'createContext' }, args: [{ name: 'options', kind: options(CONTEXT_OPTIONS), valid: '{ contextSize: 64, threads: 1 }', optional: true }], disposed: { receiver: 'disposedModel', expect: 'DISPOSED' }, codes: ['OUT_OF_MEMORY'] },
  'Model.generateText': {
    call: { receiver: 'model', method: 'generateText' },
    args: [
      { name: 'input', kind: { k: 'oneOf', kinds: [str, { k: 'tokens' }, { k: 'messages' }] }, valid: "'Once'" },
      { name: 'config', kind: { k: 'config' }, valid: SMALL, optional: true },
      { name: 'options', kind: options({ ...GENERATE_OPTIONS, sequence: int(0, 0), context: options(CONTEXT_OPTIONS) }), valid: '{ context: { contextSize: 64, threads: 1 } }', optional: true },
    ],
    disposed: { receiver: 'disposedModel', expect: 'DISPOSED' },
  },
  'Model.applyChatTemplate': {
    call: { receiver: 'model', method: 'applyChatTemplate' },
    args: [{ name: 'messages', kind: { k: 'messages' }, valid: "[{ role: 'user', content: 'hi' }]" }, { name: 'options', kind: options({ chatTemplate: path, addGenerationPrompt: bool }), valid: "{ chatTemplate: 'chatml' }", optional: true }],
    disposed: { receiver: 'disposedModel', expect: 'either' },
    codes: ['UNSUPPORTED'],
  },
  'Model.embed': {
    call: { receiver: 'model', method: 'embed' },
    args: [{ name: 'input', kind: { k: 'oneOf', kinds: [str, { k: 'strings' }] }, valid: "'Once upon a time'" }, { name: 'options', kind: options({ pooling: { k: 'enum', values: ['mean', 'cls', 'last'] }, normalize: bool, addSpecial: bool, signal: { k: 'signal' }, context: { k: 'any' } }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedModel', expect: 'DISPOSED' },
    codes: ['UNSUPPORTED', 'CONTEXT_OVERFLOW'],
  },
  'Model.rank': {
    call: { receiver: 'model', method: 'rank' },
    args: [{ name: 'query', kind: str, valid: "'cats'" }, { name: 'documents', kind: { k: 'strings' }, valid: "['a cat', 'a dog']" }, { name: 'options', kind: options({ signal: { k: 'signal' }, context: { k: 'any' } }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedModel', expect: 'DISPOSED' },
    codes: ['UNSUPPORTED', 'CONTEXT_OVERFLOW'],
  },
  'Model.dispose': { call: { receiver: 'await fresh.model()', method: 'dispose', fresh: true }, args: [], disposed: { receiver: 'disposedModel', expect: 'either' } },
  'Model.disposeAsync': { call: { receiver: 'await fresh.model()', method: 'disposeAsync', fresh: true }, args: [], disposed: { receiver: 'disposedModel', expect: 'either' } },
  'Model.[Symbol.dispose]': { call: { receiver: 'await fresh.model()', method: '[Symbol.dispose]', fresh: true }, args: [], disposed: { receiver: 'disposedModel', expect: 'either' } },
  'Model.[Symbol.asyncDispose]': { call: { receiver: 'await fresh.model()', method: '[Symbol.asyncDispose]', fresh: true }, args: [], disposed: { receiver: 'disposedModel', expect: 'either' } },
  'Model.disposed': { call: { getter: 'disposed', receiver: 'model' }, args: [], disposed: { receiver: 'disposedModel', expect: 'either' } },
  'Model.contexts': { call: { getter: 'contexts', receiver: 'model' }, args: [], disposed: { receiver: 'disposedModel', expect: 'either' } },

  'new Context': { call: { ctor: 'Context' }, args: [{ name: 'model', kind: { k: 'model' }, valid: 'model' }, { name: 'handle', kind: { k: 'model' }, valid: '{}' }, { name: 'options', kind: { k: 'any' }, valid: '{}' }, { name: 'onDispose', kind: { k: 'any' }, valid: '(() => {})' }] },
  'Context.generate': {
    call: { receiver: 'context', method: 'generate' },
    args: [
      { name: 'input', kind: { k: 'oneOf', kinds: [str, { k: 'tokens' }, { k: 'messages' }] }, valid: "'Once'" },
      { name: 'config', kind: { k: 'config' }, valid: SMALL, optional: true },
      { name: 'options', kind: options(GENERATE_OPTIONS), valid: '{}', optional: true },
    ],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['CONTEXT_OVERFLOW'],
  },
  'Context.evaluate': {
    call: { receiver: 'context', method: 'evaluate' },
    args: [{ name: 'tokens', kind: { k: 'tokens' }, valid: '[1, 2]' }, { name: 'options', kind: options({ sequence: SEQ, logits: { k: 'enum', values: ['last', 'all', 'none'] }, signal: { k: 'signal' } }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['CONTEXT_OVERFLOW'],
  },
  'Context.clear': { call: { receiver: 'context', method: 'clear' }, args: [], disposed: { receiver: 'disposedContext', expect: 'DISPOSED' } },
  'Context.clearSequence': { call: { receiver: 'context', method: 'clearSequence' }, args: [{ name: 'sequence', kind: SEQ, valid: '1' }], disposed: { receiver: 'disposedContext', expect: 'DISPOSED' } },
  'Context.removeTokens': {
    call: { receiver: 'context', method: 'removeTokens' },
    args: [{ name: 'sequence', kind: SEQ, valid: '1' }, { name: 'start', kind: int(0, 2 ** 31 - 1), valid: '0' }, { name: 'end', kind: int(0, 2 ** 31 - 1), valid: '4', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
  },
  'Context.copySequence': {
    call: { receiver: 'context', method: 'copySequence' },
    args: [{ name: 'source', kind: SEQ, valid: '0' }, { name: 'destination', kind: SEQ, valid: '2' }, { name: 'range', kind: RANGE, valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
  },
  'Context.keepSequence': { call: { receiver: 'await fresh.context()', method: 'keepSequence', fresh: true }, args: [{ name: 'sequence', kind: SEQ, valid: '0' }], disposed: { receiver: 'disposedContext', expect: 'DISPOSED' } },
  'Context.shiftPositions': {
    call: { receiver: 'context', method: 'shiftPositions' },
    args: [{ name: 'sequence', kind: SEQ, valid: '3' }, { name: 'delta', kind: int(-(2 ** 31), 2 ** 31 - 1), valid: '1' }, { name: 'range', kind: RANGE, valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
  },
  'Context.sequencePositions': { call: { receiver: 'context', method: 'sequencePositions' }, args: [{ name: 'sequence', kind: SEQ, valid: '0' }], disposed: { receiver: 'disposedContext', expect: 'DISPOSED' } },
  'Context.saveState': { call: { receiver: 'context', method: 'saveState' }, args: [{ name: 'options', kind: options({ sequence: SEQ }), valid: '{}', optional: true }], disposed: { receiver: 'disposedContext', expect: 'DISPOSED' } },
  'Context.saveStateToFile': {
    call: { receiver: 'context', method: 'saveStateToFile' },
    args: [{ name: 'path', kind: path, valid: "'state.bin'" }, { name: 'options', kind: options({ sequence: SEQ, tokens: { k: 'tokens' } }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['STATE_IO'],
  },
  'Context.loadState': {
    call: { receiver: 'context', method: 'loadState' },
    args: [{ name: 'state', kind: { k: 'bytes' }, valid: 'fx.state' }, { name: 'options', kind: options({ sequence: SEQ }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['STATE_IO'],
  },
  'Context.loadStateFromFile': {
    call: { receiver: 'context', method: 'loadStateFromFile' },
    args: [{ name: 'path', kind: path, valid: 'fx.stateFile' }, { name: 'options', kind: options({ sequence: SEQ }), valid: '{ sequence: 0 }', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['STATE_IO'],
  },
  'Context.embed': {
    call: { receiver: 'context', method: 'embed' },
    args: [{ name: 'input', kind: { k: 'oneOf', kinds: [str, { k: 'strings' }] }, valid: "'Once upon a time'" }, { name: 'options', kind: options({ pooling: { k: 'enum', values: ['mean', 'cls', 'last'] }, normalize: bool, addSpecial: bool, signal: { k: 'signal' } }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['UNSUPPORTED', 'CONTEXT_OVERFLOW'],
  },
  'Context.rank': {
    call: { receiver: 'context', method: 'rank' },
    args: [{ name: 'query', kind: str, valid: "'cats'" }, { name: 'documents', kind: { k: 'strings' }, valid: "['a cat', 'a dog']" }, { name: 'options', kind: options({ signal: { k: 'signal' } }), valid: '{}', optional: true }],
    disposed: { receiver: 'disposedContext', expect: 'DISPOSED' },
    codes: ['UNSUPPORTED', 'CONTEXT_OVERFLOW'],
  },
  'Context.stats': { call: { receiver: 'context', method: 'stats' }, args: [], disposed: { receiver: 'disposedContext', expect: 'DISPOSED' } },
  'Context.dispose': { call: { receiver: 'await fresh.context()', method: 'dispose', fresh: true }, args: [], disposed: { receiver: 'disposedContext', expect: 'either' } },
  'Context.disposeAsync': { call: { receiver: 'await fresh.context()', method: 'disposeAsync', fresh: true }, args: [], disposed: { receiver: 'disposedContext', expect: 'either' } },
  'Context.[Symbol.dispose]': { call: { receiver: 'await fresh.context()', method: '[Symbol.dispose]', fresh: true }, args: [], disposed: { receiver: 'disposedContext', expect: 'either' } },
  'Context.[Symbol.asyncDispose]': { call: { receiver: 'await fresh.context()', method: '[Symbol.asyncDispose]', fresh: true }, args: [], disposed: { receiver: 'disposedContext', expect: 'either' } },
  'Context.disposed': { call: { getter: 'disposed', receiver: 'context' }, args: [], disposed: { receiver: 'disposedContext', expect: 'either' } },
  'Context.pendingOperations': { call: { getter: 'pendingOperations', receiver: 'context' }, args: [], disposed: { receiver: 'disposedContext', expect: 'either' } },

  'new Generation': { call: { ctor: 'Generation' }, args: [], skip: 'internal constructor (@internal): generations come from Context.generate' },
  'Generation.abort': { call: { receiver: `context.generate('Once', ${SMALL})`, method: 'abort' }, args: [], disposed: { receiver: 'fx.orphanGeneration()', expect: 'either' } },
  'Generation.[Symbol.asyncIterator]': { call: { receiver: `context.generate('Once', ${SMALL})`, method: '[Symbol.asyncIterator]' }, args: [], disposed: { receiver: 'fx.orphanGeneration()', expect: 'either' } },
  'Generation.result': { call: { getter: 'result', receiver: `context.generate('Once', ${SMALL})` }, args: [], disposed: { receiver: 'fx.orphanGeneration()', expect: 'DISPOSED' } },
  'Generation.receivedTokens': { call: { getter: 'receivedTokens', receiver: `context.generate('Once', ${SMALL})` }, args: [], disposed: { receiver: 'fx.orphanGeneration()', expect: 'either' } },
  'Generation.done': { call: { getter: 'done', receiver: `context.generate('Once', ${SMALL})` }, args: [], disposed: { receiver: 'fx.orphanGeneration()', expect: 'either' } },
  'Generation.abortRequested': { call: { getter: 'abortRequested', receiver: 'model' }, args: [], skip: 'internal (@internal)' },
  'Generation.whenDone': { call: { fn: 'x' }, args: [], skip: 'internal (@internal)' },
  'Generation.waitingFor': { call: { fn: 'x' }, args: [], skip: 'internal (@internal)' },
  'Generation.started': { call: { fn: 'x' }, args: [], skip: 'internal (@internal)' },
  'Generation.readable': { call: { fn: 'x' }, args: [], skip: 'internal (@internal)' },
  'Generation.failedToStart': { call: { fn: 'x' }, args: [], skip: 'internal (@internal)' },
  'Generation.outputSpec': { call: { fn: 'x' }, args: [], skip: 'internal (@internal)' },

  'new Sampler': { call: { ctor: 'Sampler' }, args: [{ name: 'plan', kind: { k: 'any' }, valid: '{}' }, { name: 'handle', kind: { k: 'model' }, valid: '{}' }, { name: 'hook', kind: { k: 'any' }, valid: 'undefined' }] },
  'Sampler.process': { call: { receiver: 'sampler', method: 'process' }, args: [{ name: 'logits', kind: { k: 'logits' }, valid: 'new Float32Array(512)' }], disposed: { receiver: 'disposedSampler', expect: 'DISPOSED' } },
  'Sampler.sample': { call: { receiver: 'sampler', method: 'sample' }, args: [{ name: 'logits', kind: { k: 'logits' }, valid: 'new Float32Array(512)' }, { name: 'options', kind: options({ accept: bool }), valid: '{ accept: false }', optional: true }], disposed: { receiver: 'disposedSampler', expect: 'DISPOSED' } },
  'Sampler.accept': { call: { receiver: 'sampler', method: 'accept' }, args: [{ name: 'token', kind: int(0, 511), valid: '3' }], disposed: { receiver: 'disposedSampler', expect: 'DISPOSED' } },
  'Sampler.reset': { call: { receiver: 'sampler', method: 'reset' }, args: [], disposed: { receiver: 'disposedSampler', expect: 'DISPOSED' } },
  'Sampler.dispose': { call: { receiver: 'fx.newSampler()', method: 'dispose', fresh: true }, args: [], disposed: { receiver: 'disposedSampler', expect: 'either' } },
  'Sampler.[Symbol.dispose]': { call: { receiver: 'fx.newSampler()', method: '[Symbol.dispose]', fresh: true }, args: [], disposed: { receiver: 'disposedSampler', expect: 'either' } },
  'Sampler.inputIds': { call: { getter: 'inputIds', receiver: 'sampler' }, args: [], disposed: { receiver: 'disposedSampler', expect: 'DISPOSED' } },

  'new LlamaError': { call: { ctor: 'LlamaError' }, args: [], skip: 'the error class itself: constructing one is not an operation' },
  isLlamaError: { call: { fn: 'isLlamaError' }, args: [{ name: 'value', kind: { k: 'any' }, valid: 'null' }, { name: 'code', kind: { k: 'any' }, valid: 'undefined', optional: true }] },
  physicalCoreCount: { call: { fn: 'physicalCoreCount' }, args: [] },
  toolCallFamily: { call: { fn: 'toolCallFamily' }, args: [{ name: 'template', kind: { k: 'string' }, valid: "'{{ messages }}'" }] },
  listDevices: { call: { fn: 'listDevices' }, args: [] },
  systemInfo: { call: { fn: 'systemInfo' }, args: [] },
  setLogLevel: { call: { fn: 'setLogLevel' }, args: [{ name: 'level', kind: { k: 'enum', values: ['debug', 'info', 'warn', 'error', 'none'] }, valid: "'none'" }] },
  setLogger: { call: { fn: 'setLogger' }, args: [{ name: 'logger', kind: { k: 'oneOf', kinds: [{ k: 'function' }, { k: 'enum', values: [null] }] }, valid: 'null' }] },
  resolveConfig: { call: { fn: 'resolveConfig' }, args: [{ name: 'inputs[0]', kind: { k: 'config' }, valid: '{}', optional: true }, { name: 'inputs[1]', kind: { k: 'config' }, valid: '{}', optional: true }] },
  modelConfigLayer: { call: { fn: 'modelConfigLayer' }, args: [{ name: 'samplingMetadata', kind: { k: 'config' }, valid: '{}' }] },
  generationConfigLayer: { call: { fn: 'generationConfigLayer' }, args: [{ name: 'pathOrObject', kind: { k: 'oneOf', kinds: [path, { k: 'config' }] }, valid: '{}' }] },
  assertImplemented: { call: { fn: 'assertImplemented' }, args: [{ name: 'values', kind: { k: 'config' }, valid: 'resolveConfig().values' }], codes: ['NOT_IMPLEMENTED'] },
  explain: { call: { fn: 'explain' }, args: [{ name: 'config', kind: { k: 'config' }, valid: '{}', optional: true }] },
  clearGrammarCache: { call: { fn: 'clearGrammarCache' }, args: [] },
  grammarCacheStats: { call: { fn: 'grammarCacheStats' }, args: [] },
  createServer: { call: { fn: 'createServer' }, args: [{ name: 'options', kind: { k: 'any' }, valid: '{ model }' }] },
  'new LlamaServer': { call: { ctor: 'LlamaServer' }, args: [], skip: 'created by createServer (its row); the HTTP surface is tested with the openai client in test/server/' },
  'LlamaServer.model': { call: { fn: 'x' }, args: [], skip: 'server getter: test/server/' },
  'LlamaServer.context': { call: { fn: 'x' }, args: [], skip: 'server getter: test/server/' },
  'LlamaServer.modelId': { call: { fn: 'x' }, args: [], skip: 'server getter: test/server/' },
  'LlamaServer.address': { call: { fn: 'x' }, args: [], skip: 'server getter: test/server/' },
  'LlamaServer.stats': { call: { fn: 'x' }, args: [], skip: 'server statistics: test/server/' },
  'LlamaServer.listen': { call: { fn: 'x' }, args: [], skip: 'opens a port: test/server/ (bad requests, limits, auth)' },
  'LlamaServer.close': { call: { fn: 'x' }, args: [], skip: 'closes the port: test/server/' },
  'LlamaServer.[Symbol.asyncDispose]': { call: { fn: 'x' }, args: [], skip: 'closes the port: test/server/' },
  jsonSchemaToGbnf: { call: { fn: 'jsonSchemaToGbnf' }, args: [{ name: 'schema', kind: { k: 'oneOf', kinds: [bool, { k: 'config' }] }, valid: "{ type: 'string' }" }, { name: 'options', kind: options({ dotall: bool }), valid: '{}', optional: true }] },
  createSampler: { call: { fn: 'createSampler' }, args: [{ name: 'config', kind: { k: 'config' }, valid: '{}', optional: true }, { name: 'options', kind: options(SAMPLER_OPTIONS), valid: '{ vocabSize: 512 }', optional: true }] },
  processLogits: {
    call: { fn: 'processLogits' },
    args: [{ name: 'logits', kind: { k: 'logits' }, valid: 'new Float32Array(512)' }, { name: 'inputIds', kind: { k: 'tokens' }, valid: '[1, 2]' }, { name: 'config', kind: { k: 'config' }, valid: '{}', optional: true }, { name: 'options', kind: options(ONE_SHOT_OPTIONS), valid: '{}', optional: true }],
  },
  sample: {
    call: { fn: 'sample' },
    args: [{ name: 'logits', kind: { k: 'logits' }, valid: 'new Float32Array(512)' }, { name: 'inputIds', kind: { k: 'tokens' }, valid: '[1, 2]' }, { name: 'config', kind: { k: 'config' }, valid: '{}', optional: true }, { name: 'options', kind: options(ONE_SHOT_OPTIONS), valid: '{}', optional: true }],
  },
  readGgufHeader: { call: { fn: 'readGgufHeader' }, args: [{ name: 'path', kind: path, valid: 'STORIES' }, { name: 'options', kind: options({ maxArrayLength: { k: 'number', min: 0, infinity: true } }), valid: '{}', optional: true }], codes: ['MODEL_NOT_FOUND', 'INVALID_MODEL'] },
};

/** Calls during a running generation, and other overlapping uses; any typed outcome, bounded. */
export const SCENARIOS: Record<string, string> = {
  'evaluate during a generation': `const c = await fresh.context(); const g = c.generate('Once', { max_new_tokens: 48, ignore_eos: true }); await c.evaluate([1, 2], { sequence: 1 }); await g.result;`,
  'clear during a generation': `const c = await fresh.context(); const g = c.generate('Once', { max_new_tokens: 48, ignore_eos: true }); await c.clear(); await g.result;`,
  'saveState and loadState during a generation': `const c = await fresh.context(); const g = c.generate('Once', { max_new_tokens: 48, ignore_eos: true }); const s = await c.saveState(); await c.loadState(s); await g.result;`,
  'dispose the context during a generation': `const c = await fresh.context(); const g = c.generate('Once', { max_new_tokens: 200, ignore_eos: true }); await new Promise((r) => setTimeout(r, 5)); c.dispose(); await g.result;`,
  'dispose the model during a generation': `const m = await fresh.model(); const c = await m.createContext({ contextSize: 256, threads: 1 }); const g = c.generate('Once', { max_new_tokens: 200, ignore_eos: true }); await new Promise((r) => setTimeout(r, 5)); m.dispose(); await g.result;`,
  'disposeAsync during a generation': `const c = await fresh.context(); const g = c.generate('Once', { max_new_tokens: 48, ignore_eos: true }); await c.disposeAsync(); await g.result;`,
  'generate after dispose, queued before it': `const c = await fresh.context(); const a = c.generate('Once', { max_new_tokens: 20 }); const b = c.generate('Twice', { max_new_tokens: 20 }); c.dispose(); await Promise.allSettled([a.result]); await b.result;`,
  'two pending next() then abort': `const g = context.generate('Once', { max_new_tokens: 100, ignore_eos: true }); const it = g[Symbol.asyncIterator](); const a = it.next(); const b = it.next(); g.abort(); await a; await b; await it.next();`,
  'two iterators on one generation': `const g = context.generate('Once', { max_new_tokens: 20 }); const read = async () => { let n = 0; for await (const c of g) n += c.tokens.length; return n; }; await Promise.all([read(), read()]);`,
  'result twice, then iterate': `const g = context.generate('Once', { max_new_tokens: 10 }); await g.result; await g.result; for await (const c of g) void c;`,
  'return() during a pending next()': `const g = context.generate('Once', { max_new_tokens: 100, ignore_eos: true }); const it = g[Symbol.asyncIterator](); const p = it.next(); await it.return(); await p; await it.next();`,
  'more generations than sequences, aborted': `const gs = Array.from({ length: 8 }, (_, i) => context.generate('Once ' + i, { max_new_tokens: 30 })); gs.forEach((g, i) => i % 2 && g.abort()); await Promise.all(gs.map((g) => g.result));`,
  'signal aborted during evaluate': `const c = await fresh.context(); const ac = new AbortController(); const p = c.evaluate(new Array(200).fill(5), { signal: ac.signal }); ac.abort(); await p;`,
  'signal aborted during loadModel': `const ac = new AbortController(); const p = loadModel(STORIES, { signal: ac.signal }); setTimeout(() => ac.abort(), 1); (await p).dispose();`,
  'signal aborted before generate': `const ac = new AbortController(); ac.abort(); await context.generate('Once', { max_new_tokens: 10 }, { signal: ac.signal }).result;`,
  'createContext while generating': `const g = context.generate('Once', { max_new_tokens: 30 }); const c = await model.createContext({ contextSize: 64, threads: 1 }); c.dispose(); await g.result;`,
  'generateText twice at once': `await Promise.all([model.generateText('A', { max_new_tokens: 5 }, { context: { contextSize: 64, threads: 1 } }), model.generateText('B', { max_new_tokens: 5 }, { context: { contextSize: 64, threads: 1 } })]);`,
  'sequence fixed on a busy sequence': `const a = context.generate('Once', { max_new_tokens: 20 }, { sequence: 1 }); const b = context.generate('Twice', { max_new_tokens: 20 }, { sequence: 1 }); await Promise.all([a.result, b.result]);`,
  'removeTokens during a generation': `const c = await fresh.context(); const g = c.generate('Once', { max_new_tokens: 48, ignore_eos: true }); await c.removeTokens(0, 0); await g.result;`,
  'a throwing onProgress': `await context.generate('Once upon a time', { max_new_tokens: 4 }, { onProgress: () => { throw new Error('user'); } }).result;`,
  'a throwing logger': `setLogLevel('info'); setLogger(() => { throw new Error('user'); }); try { const m = await fresh.model(); m.dispose(); } finally { setLogger(null); setLogLevel('none'); }`,
  'a throwing load onProgress': `(await loadModel(STORIES, { onProgress: () => { throw new Error('user'); } })).dispose();`,
  "a logits_processor that throws (the user's error comes back)": `const s = createSampler({ logits_processor: () => { throw new Error('user'); } }, { vocabSize: 8 }); try { s.process(new Float32Array(8)); } catch (e) { if (e.message !== 'user') throw e; } finally { s.dispose(); }`,
  'sampler used after its model is disposed': `const m = await fresh.model(); const s = createSampler({ do_sample: true, temperature: 0.8, top_k: 5 }, { model: m }); m.dispose(); s.sample(new Float32Array(512));`,
  'context of a disposed model': `const m = await fresh.model(); const c = await m.createContext({ contextSize: 64, threads: 1 }); m.dispose(); await c.evaluate([1]);`,
};
