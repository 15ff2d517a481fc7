/** Builds the native request of one generate() call from the resolved config. @internal */
import { assertImplemented, type ResolvedGenerationConfig } from '../config';
import { argumentError, optionsObject } from '../arguments';
import { LlamaError } from '../errors';
import type { Model } from '../model';
import type { NativeGenerateRequest } from '../native';
import { planChain } from '../sampling/plan';
import { planContext } from '../sampling';
import { randomInt } from 'node:crypto';
import { beamPlanValues, beamRequest, isBeamSearch } from './beam';
import { speculationOf, speculativeRequest } from './speculative';
import type { ToolGrammar } from '../chat/tools';
import type { GenerateOptions } from './types';

/** How many tokens to generate at most: `max_new_tokens`, else `max_length` minus the prompt (at least 1, as in transformers). */
export function maxNewTokens(config: ResolvedGenerationConfig, promptLength: number): number {
  const v = config.values;
  return v.max_new_tokens ?? Math.max(1, v.max_length - promptLength);
}

/**
 * What transformers warns about the length of a generation: the
 * model-agnostic default `max_length` of 20 deciding the length (neither
 * `max_new_tokens` nor `max_length` set), and a prompt that already reaches
 * `max_length` (one token is then generated).
 */
export function lengthWarnings(config: ResolvedGenerationConfig, promptLength: number): string[] {
  const v = config.values;
  if (v.max_new_tokens !== undefined) return [];
  const warnings: string[] = [];
  if (config.sources.max_length === 'default') {
    warnings.push(
      `Using the model-agnostic default \`max_length\` (=${v.max_length}) to control the generation length. ` +
        'We recommend setting `max_new_tokens` to control the maximum length of the generation.',
    );
  }
  if (promptLength >= v.max_length) {
    warnings.push(
      `Input length of input_ids is ${promptLength}, but \`max_length\` is set to ${v.max_length}: one token is generated. ` +
        'Consider increasing `max_length` or, better yet, setting `max_new_tokens`.',
    );
  }
  return warnings;
}

function contextShiftKeep(option: GenerateOptions['contextShift']): number {
  if (option === undefined || option === false) return -1;
  if (option === true) return 0;
  const keep = optionsObject(option, 'contextShift', ['keep']).keep ?? 0;
  if (!Number.isInteger(keep) || keep < 0) argumentError('contextShift.keep', 'be a non-negative integer', keep);
  return keep;
}

function bufferSize(value: number | undefined): number {
  if (value === undefined) return 64;
  if (!Number.isInteger(value) || value < 1) argumentError('bufferSize', 'be a positive integer', value);
  return value;
}

/** `chunkInterval` (ms) as the native request's microseconds. */
export function chunkIntervalUs(value: number | undefined): number {
  if (value === undefined) return 16_000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3_600_000) {
    argumentError('chunkInterval', 'be a number of milliseconds from 0 to 3600000', value);
  }
  return Math.round(value * 1000);
}

/** What a chat generation adds to the request: its tools grammar, and special tokens as text (for reading the output). */
export interface ChatRequestExtras {
  /** Grammar fields constraining tool calls (set on top of the config, which has no grammar of its own then). */
  toolGrammar?: ToolGrammar;
  /** Render special tokens in the text unless `renderSpecialTokens` says otherwise: the output is parsed. */
  parsed?: boolean;
}

/**
 * The request for `prompt` on `sequences` (one per returned sequence, or one
 * per beam for a beam search; the first evaluates the prompt).
 */
export function buildRequest(
  model: Model,
  config: ResolvedGenerationConfig,
  prompt: Int32Array,
  sequences: readonly number[],
  keep: number,
  options: GenerateOptions,
  extras: ChatRequestExtras = {},
): NativeGenerateRequest {
  const v = extras.toolGrammar ? { ...config.values, ...extras.toolGrammar, grammar_trigger_words: undefined } : config.values;
  assertImplemented(v);
  if (v.logits_processor) {
    throw new LlamaError(
      'NOT_IMPLEMENTED',
      'logits_processor (a JS function) cannot run inside the native generation loop; use createSampler() with context.evaluate() for a JS-driven loop',
    );
  }
  const seed = v.seed ?? randomInt(0, 2 ** 32);
  const context = planContext(v, model.vocabSize, model);
  const beam = beamRequest(v, seed);
  const beamPlan = isBeamSearch(v) ? planChain({ ...beamPlanValues(v, prompt.length), seed }, { ...context, beamSearch: true }) : undefined;
  const outputs = beamPlan
    ? sequences.map((sequence) => ({ sequence, plan: beamPlan })) // every beam's chain: the same stages
    : sequences.map((sequence, i) => ({ sequence, plan: planChain({ ...v, seed: (seed + i) >>> 0 }, context) }));
  const eos = v.ignore_eos ? [] : v.eos_token_id ? [...v.eos_token_id] : [...model.eogTokens];
  const returnDict = v.return_dict_in_generate;
  const top = v.top_logprobs ?? (v.logprobs ? 0 : -1);
  // A draft model's part is added by the context, which owns the draft context.
  const speculation = speculationOf(v);
  const draw = outputs[0].plan.draw.kind;
  if (speculation && draw !== 'greedy' && draw !== 'dist') {
    throw new LlamaError('NOT_IMPLEMENTED', `speculative decoding with the ${draw} draw: it chooses tokens itself, so drafts cannot be verified against its distribution`);
  }
  return {
    prompt,
    keep,
    outputs,
    eos,
    stopStrings: [...(v.stop_strings ?? [])],
    includeStopString: options.includeStopString ?? true,
    maxNewTokens: maxNewTokens(config, prompt.length),
    maxTimeMs: v.max_time === undefined ? undefined : v.max_time * 1000,
    topLogprobs: top,
    outputScores: returnDict && v.output_scores,
    outputLogits: returnDict && v.output_logits === true,
    useCache: v.use_cache,
    contextShiftKeep: contextShiftKeep(options.contextShift),
    queueCapacity: bufferSize(options.bufferSize),
    chunkIntervalUs: chunkIntervalUs(options.chunkInterval),
    special: options.renderSpecialTokens ?? extras.parsed === true,
    ...(beam === undefined ? {} : { beam }),
    ...(speculation?.kind === 'lookup' ? { speculative: speculativeRequest(speculation) } : {}),
  };
}
