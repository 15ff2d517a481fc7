/** The generation config layer: defaults, layering, validation, warnings, explain(). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULTS, FIELD_NAMES, assertImplemented, explain, generationConfigLayer, isResolvedConfig, modelConfigLayer,
  resolveConfig, type AliasField, type CanonicalField, type GenerationConfigInput, type GenerationValues,
} from '../../lib/config';
import { LlamaError } from '../../lib/errors';

const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The LlamaError `fn` throws. */
function errorOf(fn: () => unknown): LlamaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    return err as LlamaError;
  }
  throw new Error('expected a LlamaError');
}

/** Resolves `input` as a call layer, and returns the INVALID_ARGUMENT message. */
function invalid(...inputs: Parameters<typeof resolveConfig>): string {
  const err = errorOf(() => resolveConfig(...inputs));
  expect(err.code).toBe('INVALID_ARGUMENT');
  return err.message;
}

const warningsOf = (...inputs: Parameters<typeof resolveConfig>): readonly string[] => resolveConfig(...inputs).warnings;

describe('defaults', () => {
  it("equal transformers' GenerationConfig defaults", () => {
    const { values, sources, warnings } = resolveConfig();
    const hf: Partial<Record<CanonicalField, unknown>> = {
      max_length: 20, min_length: 0, early_stopping: false, do_sample: false, num_beams: 1, num_beam_groups: 1,
      diversity_penalty: 0, temperature: 1, top_k: 50, top_p: 1, typical_p: 1, epsilon_cutoff: 0, eta_cutoff: 0,
      repetition_penalty: 1, length_penalty: 1, no_repeat_ngram_size: 0, renormalize_logits: false,
      remove_invalid_values: false, num_return_sequences: 1, output_scores: false, return_dict_in_generate: false,
      use_cache: true, num_assistant_tokens: 20, num_assistant_tokens_schedule: 'constant',
      assistant_confidence_threshold: 0.4, assistant_lookbehind: 10, target_lookbehind: 10,
    };
    for (const [field, value] of Object.entries(hf)) expect(values[field as CanonicalField], field).toEqual(value);
    const hfNone: CanonicalField[] = [
      'max_new_tokens', 'min_new_tokens', 'max_time', 'stop_strings', 'min_p', 'bad_words_ids', 'sequence_bias',
      'suppress_tokens', 'begin_suppress_tokens', 'forced_bos_token_id', 'forced_eos_token_id',
      'exponential_decay_length_penalty', 'eos_token_id', 'pad_token_id', 'bos_token_id', 'output_logits',
      'prompt_lookup_num_tokens', 'max_matching_ngram_size', 'assistant_early_exit', 'assistant_model',
    ];
    for (const field of hfNone) expect(values[field], field).toBeUndefined();
    expect(Object.keys(values).sort()).toEqual([...FIELD_NAMES].sort());
    expect(Object.values(sources).every((s) => s === 'default')).toBe(true);
    expect(warnings).toEqual([]);
  });

  it("use llama.cpp's common defaults, in their disabled form where they would change the output", () => {
    expect(DEFAULTS).toMatchObject({
      repeat_penalty: 1, frequency_penalty: 0, presence_penalty: 0, mirostat: 0, xtc_probability: 0, dry_multiplier: 0,
      top_n_sigma: -1, tfs_z: 1, dynatemp_range: 0, adaptive_target: -1, min_keep: 1,
      penalty_last_n: 64, dry_base: 1.75, dry_allowed_length: 2, dry_penalty_last_n: 64,
      dry_sequence_breakers: ['\n', ':', '"', '*'], mirostat_tau: 5, mirostat_eta: 0.1, xtc_threshold: 0.1,
      dynatemp_exponent: 1, adaptive_decay: 0.9, grammar_lazy: false, ignore_eos: false,
    });
    const { values } = resolveConfig();
    for (const field of ['seed', 'logit_bias', 'grammar', 'json_schema', 'samplers', 'logits_processor'] as const) {
      expect(values[field], field).toBeUndefined();
    }
  });

  it('are frozen, as are resolved configs', () => {
    const resolved = resolveConfig({ stop: ['x'] });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.values)).toBe(true);
    expect(Object.isFrozen(resolved.values.stop_strings)).toBe(true);
    expect(Object.isFrozen(resolved.sources)).toBe(true);
    expect(isResolvedConfig(resolved)).toBe(true);
    expect(isResolvedConfig({ values: {}, sources: {}, warnings: [] })).toBe(false);
  });
});

describe('layering', () => {
  const model = modelConfigLayer({ temp: 0.6, top_p: 0.9, top_k: 20 });
  const genConfig = generationConfigLayer({ temperature: 0.7, repetition_penalty: 1.1, transformers_version: '4.44.0' });

  it('later layers win, and sources name the layer', () => {
    const { values, sources } = resolveConfig(model, genConfig, { temperature: 0.8, max_new_tokens: 5 });
    expect(values).toMatchObject({ temperature: 0.8, top_p: 0.9, top_k: 20, repetition_penalty: 1.1, max_new_tokens: 5, do_sample: true });
    expect(sources).toMatchObject({
      temperature: 'call', max_new_tokens: 'call', top_p: 'model', top_k: 'model', do_sample: 'model',
      repetition_penalty: 'generation_config', min_p: 'default',
    });
  });

  it('undefined does not override; null resets to the default (top_k: null means 0, as None in transformers)', () => {
    const { values, sources } = resolveConfig(model, { temperature: undefined, top_p: null, top_k: null });
    expect(values.temperature).toBe(0.6);
    expect(sources.temperature).toBe('model');
    expect(values.top_p).toBe(1);
    expect(sources.top_p).toBe('call');
    expect(values.top_k).toBe(0);
    expect(resolveConfig(genConfig, { repetition_penalty: null }).values.repetition_penalty).toBe(1);
  });

  it('skips undefined layers and accepts layers in any number', () => {
    expect(resolveConfig(undefined, { seed: 1 }, undefined, { seed: 2 }).values.seed).toBe(2);
  });
});

describe('model layer (GGUF general.sampling.*)', () => {
  it('maps llama.cpp names to fields and sets do_sample: true', () => {
    const layer = modelConfigLayer({
      top_k: 40, top_p: 0.95, min_p: 0.05, temp: 0.8, xtc_probability: 0.1, xtc_threshold: 0.2,
      penalty_last_n: 32, penalty_repeat: 1.1, mirostat: 2, mirostat_tau: 4, mirostat_eta: 0.2,
      sequence: 'penalties;dry;top_k;top_p;min_p;temperature',
    });
    expect(layer.source).toBe('model');
    expect(layer.warnings).toEqual([]);
    expect(layer.values).toEqual({
      top_k: 40, top_p: 0.95, min_p: 0.05, temperature: 0.8, xtc_probability: 0.1, xtc_threshold: 0.2,
      penalty_last_n: 32, repeat_penalty: 1.1, mirostat: 2, mirostat_tau: 4, mirostat_eta: 0.2,
      samplers: ['penalties', 'dry', 'top_k', 'top_p', 'min_p', 'temperature'], do_sample: true,
    });
  });

  it('sets do_sample only when the model recommends temp, top_k, top_p or min_p', () => {
    expect(modelConfigLayer({ penalty_repeat: 1.2 }).values).toEqual({ repeat_penalty: 1.2 });
    for (const key of ['temp', 'top_k', 'top_p', 'min_p'] as const) {
      expect(modelConfigLayer({ [key]: key === 'top_k' ? 5 : 0.5 }).values.do_sample, key).toBe(true);
    }
  });

  it("reads temp <= 0 as greedy and top_k < 0 as no top-k, as llama.cpp does", () => {
    expect(modelConfigLayer({ temp: 0, top_k: 40 }).values).toEqual({ do_sample: false, top_k: 40 });
    expect(modelConfigLayer({ top_k: -1 }).values.top_k).toBe(0);
  });

  it('maps sampler aliases and skips unknown names with a warning', () => {
    const layer = modelConfigLayer({ sequence: 'top-k;Nucleus;temp;typ;infill;top_k' });
    expect(layer.values.samplers).toEqual(['top_k', 'top_p', 'temperature', 'typ_p']);
    expect(layer.warnings).toEqual(['model metadata general.sampling.sequence: unknown sampler "infill" skipped']);
  });

  it('skips invalid values with a warning instead of failing', () => {
    const layer = modelConfigLayer({ top_p: 1.5, mirostat: 7, temp: 'hot' as unknown as number, min_p: 0.1 });
    expect(layer.values).toEqual({ min_p: 0.1, do_sample: true });
    expect(layer.warnings).toHaveLength(3);
    expect(layer.warnings[0]).toBe('model metadata general.sampling.top_p (1.5) is ignored: top_p must be in [0, 1], got 1.5');
    expect(resolveConfig(layer).warnings).toEqual(layer.warnings);
  });
});

describe('generation_config.json layer', () => {
  const file = join(dir, 'generation_config.json');
  writeFileSync(file, JSON.stringify({
    _from_model_config: true, transformers_version: '4.40.0', bos_token_id: 1, eos_token_id: [2, 32000],
    do_sample: true, temperature: 0.6, top_p: 0.9, max_length: 4096, chat_format: 'x', cache_implementation: 'hybrid',
  }));

  it('reads a file, or the one in a directory, ignoring bookkeeping keys and warning about unknown ones', () => {
    for (const path of [file, dir]) {
      const layer = generationConfigLayer(path);
      expect(layer.source).toBe('generation_config');
      expect(layer.values).toEqual({ bos_token_id: 1, eos_token_id: [2, 32000], do_sample: true, temperature: 0.6, top_p: 0.9, max_length: 4096 });
      expect(layer.warnings).toEqual([
        `${file}: unknown key \`chat_format\` is ignored`,
        `${file}: \`cache_implementation\` ("hybrid") is ignored: llama-generate does not implement transformers' cache classes (llama.cpp manages the KV cache)`,
      ]);
    }
  });

  it('takes an object as is', () => {
    const layer = generationConfigLayer({ _commit_hash: 'abc', eos_token_id: 2, top_k: 20, tempreture: 1 });
    expect(layer.values).toEqual({ eos_token_id: [2], top_k: 20 });
    expect(layer.warnings).toEqual(["generation_config: unknown key `tempreture` is ignored; did you mean 'temperature'?"]);
    expect(resolveConfig(layer).sources.top_k).toBe('generation_config');
  });

  it('rejects missing files, invalid JSON and non-objects, naming the file', () => {
    const missing = join(dir, 'nope.json');
    expect(errorOf(() => generationConfigLayer(missing)).message).toMatch(new RegExp(`^generation_config ${missing} cannot be read: ENOENT`));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"top_k": 5,');
    const err = errorOf(() => generationConfigLayer(broken));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(new RegExp(`^generation_config ${broken} is not valid JSON`));
    const array = join(dir, 'array.json');
    writeFileSync(array, '[1, 2]');
    expect(errorOf(() => generationConfigLayer(array)).message).toBe(`${array} must be an object, got [1,2]`);
    expect(errorOf(() => generationConfigLayer(5 as unknown as string)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => generationConfigLayer('')).code).toBe('INVALID_ARGUMENT');
    // a FIFO is never opened (reading it would block the JS thread)
    const fifo = join(dir, 'generation_config.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(errorOf(() => generationConfigLayer(fifo)).message).toBe(`generation_config ${fifo} is not a regular file`);
    mkdirSync(join(dir, 'empty'));
    expect(errorOf(() => generationConfigLayer(join(dir, 'empty'))).message).toContain('cannot be read');
  });

  it('rejects invalid values, naming the field and the file', () => {
    const bad = join(dir, 'bad', 'generation_config.json');
    mkdirSync(join(dir, 'bad'));
    writeFileSync(bad, '{"top_p": 1.5}');
    const err = errorOf(() => generationConfigLayer(bad));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(`top_p must be in [0, 1], got 1.5 (in ${bad})`);
  });

  it('rejects call-only options', () => {
    expect(errorOf(() => generationConfigLayer({ logits_processor: () => {} })).message).toMatch(/^logits_processor is not a generation_config.json option/);
    expect(errorOf(() => generationConfigLayer({ assistant_model: {} })).message).toMatch(/^assistant_model/);
  });
});

describe('aliases', () => {
  it('resolve into their canonical fields', () => {
    const { values, sources } = resolveConfig({ max_tokens: 7, stop: 'END', n: 2, do_sample: true });
    expect(values).toMatchObject({ max_new_tokens: 7, stop_strings: ['END'], num_return_sequences: 2 });
    expect(sources).toMatchObject({ max_new_tokens: 'call', stop_strings: 'call', num_return_sequences: 'call' });
    expect('max_tokens' in values).toBe(false);
    expect(generationConfigLayer({ max_tokens: 3 }).values).toEqual({ max_new_tokens: 3 });
  });

  it('may repeat the canonical value but not contradict it', () => {
    expect(resolveConfig({ max_tokens: 7, max_new_tokens: 7, stop: 'a', stop_strings: ['a'] }).values.max_new_tokens).toBe(7);
    expect(invalid({ max_tokens: 7, max_new_tokens: 8 })).toBe('max_new_tokens and its alias max_tokens are both set, to 8 and 7');
    expect(invalid({ stop_strings: ['a'], stop: ['b'] })).toMatch(/^stop_strings and its alias stop are both set/);
    expect(invalid({ n: 2, num_return_sequences: 3, do_sample: true })).toMatch(/^num_return_sequences and its alias n/);
  });
});

/** Several invalid values of every field and alias; each must be INVALID_ARGUMENT naming the field. */
const INVALID: { readonly [K in CanonicalField | AliasField]: readonly unknown[] } = {
  max_new_tokens: [0, -1, 1.5, '10', NaN, Infinity, true],
  max_length: [0, 2.5, '20', -5],
  min_new_tokens: [-1, 0.5, 'x'],
  min_length: [-1, 1.5, '3'],
  max_time: [0, -1, 'fast', Infinity],
  stop_strings: ['', [''], [1], 5, {}],
  do_sample: ['true', 1, 0],
  num_beams: [0, 1.5, '2'],
  num_beam_groups: [0, -1, 2.5],
  diversity_penalty: [-0.5, 'x', NaN],
  length_penalty: [Infinity, 'x', NaN],
  early_stopping: ['always', 1, 'true'],
  force_words_ids: [[], [[]], [[-1]], [1, 2], 'x', [[[1], [1, 2]]], [[[3], [3]]]],
  num_return_sequences: [0, 1.5, '2'],
  temperature: [-0.1, Infinity, NaN, '0.7'],
  top_k: [-1, 2.5, '40', Infinity],
  top_p: [-0.1, 1.5, '0.9', NaN],
  min_p: [-0.1, 1.01, 'x'],
  typical_p: [0, -0.5, 1.1, 'x'],
  epsilon_cutoff: [1, -0.1, 2],
  eta_cutoff: [1, -0.1, 'x'],
  repetition_penalty: [0, -1, Infinity, '1.1'],
  no_repeat_ngram_size: [-1, 1.5, '3'],
  bad_words_ids: [[], [[]], [[-1]], [1, 2], 'x', [[1.5]]],
  sequence_bias: ['x', [[[1], 'a']], [[[], 1]], [[[1], 1], [[1], 2]], { 'a,b': 1 }, { 1: 'x' }, [[1, 2]], { 1: Infinity }, { '1,2': 1, '[1, 2]': 2 }],
  suppress_tokens: [1, [-1], ['a'], [1.5]],
  begin_suppress_tokens: [1, [-2], 'x'],
  forced_bos_token_id: [-1, 1.5, '1', [1]],
  forced_eos_token_id: [-1, [], [1, -1], 'x'],
  exponential_decay_length_penalty: [[1], [1, 0], [-1, 1.1], [1.5, 1.1], 'x', [1, 'x']],
  renormalize_logits: ['yes', 1],
  remove_invalid_values: [1, 'no'],
  eos_token_id: [-1, [], [0.5], 'x', 2 ** 31],
  pad_token_id: [-2, 1.5, 'x'],
  bos_token_id: [-1, 'x', 1.5],
  use_cache: ['x', 1],
  logprobs: ['x', 1],
  top_logprobs: [-1, 21, 1.5, 'x'],
  output_scores: [1, 'true'],
  output_logits: ['x', 0],
  return_dict_in_generate: [0, 'false'],
  prompt_lookup_num_tokens: [0, 1.5],
  max_matching_ngram_size: [0, 'x'],
  num_assistant_tokens: [0, 2.5],
  num_assistant_tokens_schedule: ['fast', 1],
  assistant_confidence_threshold: [-0.1, 1.5],
  assistant_early_exit: [0, 1.5],
  assistant_lookbehind: [0, -1],
  target_lookbehind: [0, 'x'],
  assistant_model: ['model.gguf', 5],
  frequency_penalty: [Infinity, NaN, '1'],
  presence_penalty: [-Infinity, 'x'],
  penalty_last_n: [-1, 1.5, 'x'],
  repeat_penalty: [0, -1, Infinity],
  dry_multiplier: [-1, 'x'],
  dry_base: [0.5, 'x', Infinity],
  dry_allowed_length: [-1, 1.5],
  dry_penalty_last_n: [-1, 2.5],
  dry_sequence_breakers: ['\n', [''], [1]],
  logit_bias: [[1, 2], 'x', { 1: 'x' }, { 1: Infinity }, { 1: NaN }, { '': 1 }, { 99999999999: 1 }, { 1: true }],
  grammar: ['', 5, ['root ::= "a"']],
  json_schema: ['{"type":"object"}', [], 5],
  grammar_lazy: ['true', 1],
  grammar_trigger_words: ['word', [''], [5]],
  grammar_trigger_patterns: ['(', ['('], ['[a-'], [5]],
  seed: [-1, 2 ** 32, 1.5, '42'],
  min_keep: [0, -1, 1.5],
  tfs_z: [0, 1.5, -0.1],
  mirostat: [3, -1, 1.5, '1'],
  mirostat_tau: [0, -1, 'x'],
  mirostat_eta: [0, -0.1],
  dynatemp_range: [-0.5, 'x'],
  dynatemp_exponent: [-1, NaN],
  xtc_probability: [-0.1, 1.1],
  xtc_threshold: [-0.1, 1.5],
  top_n_sigma: [0, -0.5, -2, 'x'],
  adaptive_target: [1.5, -0.5, 'x'],
  adaptive_decay: [-0.1, 1, 'x'],
  samplers: ['top_k;foo', ['top_k', 'top_k'], [5], 5, 'infill', 'top_k;;top_p', ['typical']],
  ignore_eos: ['x', 1],
  logits_processor: ['fn', {}, 5],
  max_tokens: [0, 'x'],
  max_completion_tokens: [0, -1, 1.5, '10'],
  stop: ['', [5]],
  n: [0, 1.5],
  response_format: ['json_object', { type: 'json' }, {}, { type: 'json_schema' }, { type: 'json_schema', json_schema: { schema: 5 } }, { type: 'text', schema: {} }],
};

describe('validation', () => {
  describe.each(Object.entries(INVALID))('%s', (field, values) => {
    it.each(values.map((v) => [v]))('rejects %j', (value) => {
      const message = invalid({ [field]: value } as GenerationConfigInput);
      expect(message.startsWith(field), message).toBe(true);
    });
  });

  it('reports the value it got', () => {
    expect(invalid({ top_p: 1.5 })).toBe('top_p must be in [0, 1], got 1.5');
    expect(invalid({ top_k: 2.5 })).toBe('top_k must be an integer, got 2.5');
    expect(invalid({ temperature: '0.7' } as unknown as GenerationConfigInput)).toBe('temperature must be a number, got "0.7"');
    expect(invalid({ typical_p: 0 })).toBe('typical_p must be in (0, 1], got 0');
    expect(invalid({ seed: 2 ** 32 })).toBe('seed must be in [0, 4294967295], got 4294967296');
    expect(invalid({ suppress_tokens: [1, -1] })).toBe('suppress_tokens[1] must be a token id (an integer >= 0), got -1');
    expect(invalid({ samplers: 'top_k;topk_' })).toBe('samplers: unknown sampler "topk_"; did you mean \'top_k\'?');
  });

  it("accepts a parsed generation_config.json as call options: transformers' bookkeeping keys are skipped", () => {
    const parsed = JSON.parse('{"_from_model_config": true, "bos_token_id": 1, "eos_token_id": 2, "transformers_version": "4.47.0", "do_sample": true, "top_p": 0.9}');
    const resolved = resolveConfig(parsed as GenerationConfigInput);
    expect(resolved.values.top_p).toBe(0.9);
    expect(resolved.warnings).toEqual([]);
    expect(invalid({ transformers_versio: '4.47.0' } as unknown as GenerationConfigInput)).toMatch(/unknown generation option 'transformers_versio'/);
  });

  it('rejects a config that is not an object', () => {
    expect(invalid(5 as unknown as GenerationConfigInput)).toBe('generation options must be an object, got 5');
    expect(invalid(null as unknown as GenerationConfigInput)).toBe('generation options must be an object, got null');
  });

  it('normalises union-typed fields', () => {
    const { values } = resolveConfig({
      eos_token_id: 2, forced_eos_token_id: [3, 4], stop: 'x', samplers: ' Top-K; nucleus ;TEMP;typical_p;epsilon_cutoff ',
      logit_bias: { 5: false, hello: -Infinity, 7: 2.5 },
    });
    expect(values.eos_token_id).toEqual([2]);
    expect(values.forced_eos_token_id).toEqual([3, 4]);
    expect(values.stop_strings).toEqual(['x']);
    expect(values.samplers).toEqual(['top_k', 'top_p', 'temperature', 'typ_p', 'epsilon']);
    expect(values.logit_bias).toEqual({ 5: -Infinity, hello: -Infinity, 7: 2.5 });
    expect(resolveConfig({ samplers: '' }).values.samplers).toEqual([]);
  });

  it('accepts sequence_bias as pairs or as an object keyed by comma-joined ids or JSON arrays', () => {
    // Object keys that look like integers come first in JS, so compare the entries as sets.
    const entries = (input: GenerationConfigInput): string[] =>
      (resolveConfig(input).values.sequence_bias ?? []).map((e) => JSON.stringify(e)).sort();
    const expected = entries({ sequence_bias: [[[1, 2], 0.5], [[7], -1]] });
    expect(expected).toEqual(['[[1,2],0.5]', '[[7],-1]']);
    expect(entries({ sequence_bias: { '1,2': 0.5, 7: -1 } })).toEqual(expected);
    expect(entries({ sequence_bias: { '[1, 2]': 0.5, '[7]': -1 } })).toEqual(expected);
  });

  it("clones and freezes json_schema without freezing the caller's object", () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const { values } = resolveConfig({ json_schema: schema });
    expect(values.json_schema).toEqual(schema);
    expect(Object.isFrozen(values.json_schema)).toBe(true);
    expect(Object.isFrozen(schema)).toBe(false);
    expect(resolveConfig({ json_schema: true }).values.json_schema).toBe(true);
  });

  it('accepts the edges of every range', () => {
    expect(() => resolveConfig({
      top_p: 0, min_p: 1, typical_p: 1, epsilon_cutoff: 0, seed: 0xffffffff, top_k: 0, temperature: 0, pad_token_id: -1,
      top_n_sigma: -1, adaptive_target: 0, adaptive_decay: 0.99, tfs_z: 1, dry_base: 1, mirostat: 0, stop: [],
    })).not.toThrow();
  });
});

describe('unknown keys', () => {
  it.each([
    ['temprature', 'temperature'], ['maxNewTokens', 'max_new_tokens'], ['top_kk', 'top_k'], ['stopp', 'stop'],
    ['repetitionPenalty', 'repetition_penalty'], ['do_smaple', 'do_sample'],
  ])("%s: did you mean '%s'?", (key, guess) => {
    expect(invalid({ [key]: 1 } as GenerationConfigInput)).toBe(`unknown generation option '${key}'; did you mean '${guess}'?`);
  });

  it('without a close match', () => {
    expect(invalid({ banana: 1 } as GenerationConfigInput)).toBe("unknown generation option 'banana'");
  });

  it('names transformers options that are not supported', () => {
    expect(invalid({ penalty_alpha: 0.6 } as GenerationConfigInput)).toBe(
      "unsupported generation option 'penalty_alpha': llama-generate does not implement contrastive search",
    );
  });
});

describe('contradictions', () => {
  const model = modelConfigLayer({ temp: 0.7 });
  it.each<[string, Parameters<typeof resolveConfig>, RegExp]>([
    ['grammar + json_schema', [{ grammar: 'root ::= "a"', json_schema: {} }], /^grammar and json_schema are both set/],
    ['grammar_lazy without a grammar', [{ grammar_lazy: true, grammar_trigger_words: ['x'] }], /^grammar_lazy needs grammar or json_schema/],
    ['grammar_lazy without triggers', [{ grammar_lazy: true, grammar: 'root ::= "a"' }], /^grammar_lazy needs grammar_trigger_words/],
    ['groups not dividing beams', [{ num_beams: 4, num_beam_groups: 3, diversity_penalty: 1 }], /^num_beam_groups \(3\) must divide num_beams \(4\)/],
    ['groups without diversity', [{ num_beams: 4, num_beam_groups: 2 }], /^num_beam_groups \(2\) > 1 needs diversity_penalty > 0/],
    ['diversity without groups', [{ num_beams: 4, diversity_penalty: 0.5 }], /^diversity_penalty \(0.5\) needs num_beam_groups > 1/],
    ['group beam search with sampling', [{ num_beams: 4, num_beam_groups: 2, diversity_penalty: 1, do_sample: true }], /^num_beam_groups .* needs do_sample: false/],
    ['several greedy sequences', [{ n: 2 }], /^num_return_sequences \(2\) > 1 needs do_sample: true or num_beams > 1/],
    ['more sequences than beams', [{ num_beams: 2, num_return_sequences: 3 }], /^num_return_sequences \(3\) must not exceed num_beams \(2\)/],
    ['constraints without beams', [{ force_words_ids: [[5]] }], /^force_words_ids \(constrained beam search\) needs num_beams > 1/],
    ['constraints with sampling', [{ num_beams: 2, do_sample: true, force_words_ids: [[5]] }], /^force_words_ids .* needs do_sample: false/],
    ['constraints with groups', [{ num_beams: 4, num_beam_groups: 2, diversity_penalty: 1, force_words_ids: [[5]] }], /^force_words_ids .* num_beam_groups/],
    ['min_new_tokens > max_new_tokens', [{ min_new_tokens: 10, max_new_tokens: 5 }], /^min_new_tokens \(10\) must not exceed max_new_tokens \(5\)/],
    ['mirostat with greedy decoding', [{ mirostat: 2 }], /^mirostat \(2\) needs do_sample: true \(do_sample is false, the default\)/],
    ['temperature 0 when sampling', [model, { temperature: 0 }], /^temperature must be > 0 when do_sample is true \(do_sample from model\)/],
  ])('%s', (_name, inputs, message) => {
    expect(invalid(...inputs)).toMatch(message);
  });

  it('lets max_new_tokens override max_length, as transformers does', () => {
    expect(resolveConfig({ min_length: 30, max_new_tokens: 50 }).values.min_length).toBe(30);
  });

  it('only warns for mirostat from a generation_config.json with greedy decoding', () => {
    expect(warningsOf(generationConfigLayer({ mirostat: 2 }))).toEqual([
      '`do_sample` is false, so `mirostat` (2) has no effect (greedy decoding takes the most likely token); set do_sample: true or unset mirostat',
    ]);
  });
});

describe('warnings', () => {
  const greedy = (field: string, value: unknown): string =>
    `\`do_sample\` is false, so \`${field}\` (${JSON.stringify(value)}) has no effect (greedy decoding takes the most likely token); set do_sample: true or unset ${field}`;

  it.each<[string, unknown]>([
    ['temperature', 0.7], ['temperature', 0], ['top_k', 10], ['top_p', 0.9], ['min_p', 0.05], ['typical_p', 0.9],
    ['epsilon_cutoff', 0.0003], ['eta_cutoff', 0.001], ['tfs_z', 0.9], ['xtc_probability', 0.5], ['top_n_sigma', 1.5],
    ['dynatemp_range', 0.5], ['seed', 42], ['min_keep', 2], ['adaptive_target', 0.5], ['mirostat_tau', 3],
  ])('greedy decoding ignores %s (%j)', (field, value) => {
    expect(warningsOf({ [field]: value } as GenerationConfigInput)).toEqual([greedy(field, value)]);
  });

  it('also comes from a generation_config.json, but not from the model metadata or the defaults', () => {
    expect(warningsOf(generationConfigLayer({ temperature: 0.6 }), { do_sample: false })).toEqual([greedy('temperature', 0.6)]);
    expect(warningsOf(modelConfigLayer({ temp: 0.6, top_p: 0.9 }), { do_sample: false })).toEqual([]);
    expect(warningsOf({ temperature: 1, top_k: 50, top_p: 1 })).toEqual([]);
  });

  it.each<[string, GenerationConfigInput, string]>([
    ['length_penalty without beams', { length_penalty: 0.8 }, '`num_beams` is 1, so `length_penalty` (0.8) has no effect (beam search only)'],
    ['early_stopping without beams', { early_stopping: 'never' }, '`num_beams` is 1, so `early_stopping` ("never") has no effect (beam search only)'],
    ['output_scores without return_dict_in_generate', { output_scores: true }, '`return_dict_in_generate` is false, so `output_scores` (true) has no effect'],
    ['output_logits without return_dict_in_generate', { output_logits: true }, '`return_dict_in_generate` is false, so `output_logits` (true) has no effect'],
    ['penalties with an empty window', { repeat_penalty: 1.1, penalty_last_n: 0 }, '`penalty_last_n` is 0, so `repeat_penalty` (1.1) has no effect'],
    ['DRY options without DRY', { dry_base: 2 }, '`dry_multiplier` is 0, so `dry_base` (2) has no effect'],
    ['DRY with an empty window', { dry_multiplier: 0.8, dry_penalty_last_n: 0 }, '`dry_penalty_last_n` is 0, so `dry_multiplier` (0.8) has no effect'],
    ['mirostat options without mirostat', { do_sample: true, mirostat_eta: 0.2 }, '`mirostat` is 0, so `mirostat_eta` (0.2) has no effect'],
    ['warpers with mirostat', { do_sample: true, mirostat: 2, top_p: 0.9 }, '`mirostat` is 2, so `top_p` (0.9) has no effect (as in llama.cpp, Mirostat replaces the warpers except temperature)'],
    ['xtc_threshold without XTC', { do_sample: true, xtc_threshold: 0.2 }, '`xtc_probability` is 0, so `xtc_threshold` (0.2) has no effect'],
    ['XTC disabled by its threshold', { do_sample: true, xtc_probability: 0.5, xtc_threshold: 0.6 }, '`xtc_threshold` is above 0.5, which disables XTC, so `xtc_probability` (0.5) has no effect'],
    ['dynatemp_exponent without a range', { do_sample: true, dynatemp_exponent: 2 }, '`dynatemp_range` is 0, so `dynatemp_exponent` (2) has no effect'],
    ['adaptive_decay without a target', { do_sample: true, adaptive_decay: 0.5 }, '`adaptive_target` is -1, so `adaptive_decay` (0.5) has no effect'],
    ['a warper missing from samplers', { do_sample: true, samplers: 'top_k;temperature', top_p: 0.9 }, "`samplers` does not list 'top_p', so `top_p` (0.9) has no effect"],
    ['penalties missing from samplers', { samplers: ['top_k'], repeat_penalty: 1.2 }, "`samplers` does not list 'penalties', so `repeat_penalty` (1.2) has no effect"],
    ['DRY missing from samplers', { samplers: ['penalties'], dry_multiplier: 0.8 }, "`samplers` does not list 'dry', so `dry_multiplier` (0.8) has no effect"],
    ['triggers without grammar_lazy', { grammar: 'root ::= "a"', grammar_trigger_words: ['x'] }, '`grammar_lazy` is false, so `grammar_trigger_words` (["x"]) has no effect'],
  ])('%s', (_name, input, warning) => {
    expect(warningsOf(input)).toEqual([warning]);
  });

  it('are not given for fields that act', () => {
    expect(warningsOf({
      do_sample: true, temperature: 0.7, top_k: 40, top_p: 0.9, min_p: 0.05, repeat_penalty: 1.1, dry_multiplier: 0.8,
      dry_base: 2, xtc_probability: 0.5, xtc_threshold: 0.2, grammar: 'root ::= "a"', grammar_lazy: true,
      grammar_trigger_patterns: ['\\{'], output_scores: true, return_dict_in_generate: true, mirostat: 0,
    })).toEqual([]);
  });
});

describe('assertImplemented', () => {
  const defaults = resolveConfig().values;
  it.each<[CanonicalField, unknown]>([
    ['assistant_early_exit', 4], ['assistant_lookbehind', 5], ['target_lookbehind', 5],
  ])('refuses %s', (field, value) => {
    const err = errorOf(() => assertImplemented({ ...defaults, [field]: value } as GenerationValues));
    expect(err.code).toBe('NOT_IMPLEMENTED');
    expect(err.message).toMatch(new RegExp(`^${field} \\(.*\\): .* is not implemented$`));
  });

  it('accepts defaults, and the beam search family and speculative decoding (implemented natively)', () => {
    expect(() => assertImplemented(defaults)).not.toThrow();
    for (const [field, value] of [
      ['prompt_lookup_num_tokens', 10], ['max_matching_ngram_size', 2], ['num_assistant_tokens', 5],
      ['num_assistant_tokens_schedule', 'heuristic'], ['assistant_confidence_threshold', 0.5], ['assistant_model', {}],
    ] as const) {
      expect(() => assertImplemented({ ...defaults, [field]: value } as GenerationValues)).not.toThrow();
    }
    expect(() => assertImplemented(resolveConfig({ length_penalty: 0.5, early_stopping: true, num_beams: 1 }).values)).not.toThrow();
    expect(() => assertImplemented(resolveConfig({ num_beams: 4, num_beam_groups: 2, diversity_penalty: 0.5 }).values)).not.toThrow();
    expect(() => assertImplemented(resolveConfig({ num_beams: 4, force_words_ids: [[5, 6], [[7], [8, 9]]] }).values)).not.toThrow();
  });
});

describe('explain', () => {
  const rowsOf = (...inputs: Parameters<typeof resolveConfig>) => explain(resolveConfig(...inputs));

  it('shows the draw and the default length limit of an empty config', () => {
    expect(explain().map((r) => [r.field, r.value, r.source, r.stage, r.semantics])).toEqual([
      ['do_sample', false, 'default', '7. draw', 'transformers'],
      ['max_length', 20, 'default', 'stop', 'stop condition'],
    ]);
  });

  it('lists set fields in chain order with their source, implementation and semantics', () => {
    const rows = rowsOf(modelConfigLayer({ temp: 0.7 }), {
      logit_bias: { 1: -5 }, repetition_penalty: 1.2, grammar: 'root ::= "a"', repeat_penalty: 1.1, top_p: 0.9,
      tfs_z: 0.95, renormalize_logits: true, seed: 3, max_new_tokens: 10, logits_processor: () => {},
    });
    expect(rows.map((r) => r.field)).toEqual([
      'logit_bias', 'repetition_penalty', 'grammar', 'repeat_penalty', 'penalty_last_n', 'logits_processor', 'temperature',
      'top_k', 'top_p', 'tfs_z', 'renormalize_logits', 'do_sample', 'seed', 'max_new_tokens',
    ]);
    const by = Object.fromEntries(rows.map((r) => [r.field, r]));
    expect(by.logit_bias).toMatchObject({ stage: '1. logit bias', implementation: 'native/sampling/LogitBias (llama_sampler_logit_bias semantics)', semantics: 'llama.cpp', source: 'call' });
    expect(by.repetition_penalty).toMatchObject({ stage: '2. processors', semantics: 'transformers', implementation: 'native/sampling/hf: RepetitionPenaltyLogitsProcessor' });
    expect(by.temperature).toMatchObject({ source: 'model', value: 0.7, semantics: 'transformers' });
    expect(by.top_k).toMatchObject({ source: 'default', value: 50 });
    expect(by.top_k.note).toContain("transformers' default top_k 50 applies because do_sample is true");
    expect(by.penalty_last_n).toMatchObject({ source: 'default', value: 64, note: expect.stringContaining('used by repeat_penalty') });
    expect(by.tfs_z).toMatchObject({ semantics: 'llama-generate', implementation: 'native/sampling/TailFree.cc' });
    expect(by.max_new_tokens.semantics).toBe('stop condition');
    expect(rows.some((r) => r.field === 'max_length')).toBe(false);
  });

  it('follows the samplers order in stages 4-5, the JS hook right before the first warper', () => {
    const stages45 = (input: GenerationConfigInput): string[] =>
      explain(input).filter((r) => r.stage === '4. penalties' || r.stage === '5. warpers').map((r) => r.field);
    const input = { do_sample: true, temperature: 0.5, min_p: 0.1, top_k: 5, repeat_penalty: 1.1, logits_processor: () => {} };
    expect(stages45({ ...input, samplers: 'temperature;min_p;top_k;penalties' })).toEqual([
      'samplers', 'logits_processor', 'temperature', 'min_p', 'top_k', 'repeat_penalty', 'penalty_last_n',
    ]);
    expect(stages45({ ...input, samplers: 'penalties;min_p;top_k;temperature' })).toEqual([
      'samplers', 'repeat_penalty', 'penalty_last_n', 'logits_processor', 'min_p', 'top_k', 'temperature',
    ]);
  });

  it('marks dynamic temperature, unimplemented fields and ineffective fields', () => {
    const dynamic = rowsOf({ do_sample: true, temperature: 0.8, dynatemp_range: 0.3 }).find((r) => r.field === 'temperature');
    expect(dynamic).toMatchObject({ semantics: 'llama.cpp', implementation: 'llama_sampler_init_temp_ext' });
    expect(rowsOf({ length_penalty: 0.5 }).find((r) => r.field === 'length_penalty')).toMatchObject({
      semantics: 'transformers', stage: '7. draw', note: expect.stringContaining('`num_beams` is 1, so `length_penalty` (0.5) has no effect'),
    });
    const greedy = rowsOf(modelConfigLayer({ temp: 0.6 }), { do_sample: false }).find((r) => r.field === 'temperature');
    expect(greedy?.note).toContain('`do_sample` is false, so `temperature` (0.6) has no effect');
    expect(rowsOf(generationConfigLayer({ num_beams: 1 })).find((r) => r.field === 'num_beams')?.note).toContain('the default value');
  });

  it('resolves a config that is not resolved yet', () => {
    expect(explain({ top_k: 3 }).find((r) => r.field === 'top_k')).toMatchObject({ value: 3, source: 'call' });
  });
});
