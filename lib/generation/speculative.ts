/**
 * Speculative decoding's part of a generate() request: transformers' prompt
 * lookup (`prompt_lookup_num_tokens`, `max_matching_ngram_size`) or assisted
 * decoding with a draft model (`assistant_model`, `num_assistant_tokens`,
 * `num_assistant_tokens_schedule`, `assistant_confidence_threshold`). The
 * native loop (native/generation/speculative/) drafts, verifies every
 * proposal in one batch and keeps the target's exact distribution.
 * @internal
 */
import type { GenerationValues } from '../config';
import { LlamaError } from '../errors';
import type { Model } from '../model';
import type { NativeContext, NativeSpeculativeRequest, NativeSpeculativeStats } from '../native';
import type { SpeculativeStats } from './types';

/** transformers' default `max_matching_ngram_size` for prompt lookup. */
const DEFAULT_MAX_NGRAM = 2;

/** Which kind of speculative decoding a config asks for, if any. */
export type Speculation =
  | { readonly kind: 'lookup'; readonly numTokens: number; readonly maxNgram: number }
  | {
      readonly kind: 'draft';
      readonly model: Model;
      readonly numTokens: number;
      readonly schedule: 'constant' | 'heuristic' | 'heuristic_transient';
      readonly confidence: number;
    };

/**
 * The speculation `values` ask for, checked against the rest of the config;
 * undefined for plain decoding. Throws `INVALID_ARGUMENT` for combinations
 * transformers refuses too (beam search, `use_cache: false`) and for asking
 * for both kinds at once.
 */
export function speculationOf(v: GenerationValues): Speculation | undefined {
  const lookup = v.prompt_lookup_num_tokens;
  const assistant = v.assistant_model;
  if (lookup === undefined && assistant === undefined) {
    if (v.max_matching_ngram_size !== undefined) {
      throw new LlamaError('INVALID_ARGUMENT', 'max_matching_ngram_size needs prompt_lookup_num_tokens (prompt lookup decoding)');
    }
    return undefined;
  }
  const field = lookup !== undefined ? 'prompt_lookup_num_tokens' : 'assistant_model';
  if (lookup !== undefined && assistant !== undefined) {
    throw new LlamaError('INVALID_ARGUMENT', 'set prompt_lookup_num_tokens (prompt lookup) or assistant_model (a draft model), not both');
  }
  if (v.num_beams > 1) throw new LlamaError('INVALID_ARGUMENT', `${field} (speculative decoding) does not combine with num_beams > 1`);
  if (!v.use_cache) throw new LlamaError('INVALID_ARGUMENT', `${field} (speculative decoding) needs use_cache: true`);
  if (lookup !== undefined) return { kind: 'lookup', numTokens: lookup, maxNgram: v.max_matching_ngram_size ?? DEFAULT_MAX_NGRAM };
  return {
    kind: 'draft',
    model: assistant as Model,
    numTokens: v.num_assistant_tokens,
    schedule: v.num_assistant_tokens_schedule,
    confidence: v.assistant_confidence_threshold,
  };
}

/**
 * The native request part. `draft`: the draft model's context (made by the
 * generating context, see Context); `numTokens`: the proposals per step to
 * start with (the heuristic schedule's value carried over from the last call).
 */
export function speculativeRequest(s: Speculation, draft?: NativeContext, numTokens?: number): NativeSpeculativeRequest {
  if (s.kind === 'lookup') return { kind: 'lookup', numTokens: s.numTokens, maxNgram: s.maxNgram };
  if (!draft) throw new LlamaError('INTERNAL', 'assisted decoding without a draft context');
  return {
    kind: 'draft',
    context: draft,
    numTokens: numTokens ?? s.numTokens,
    schedule: s.schedule === 'constant' ? 'constant' : 'heuristic',
    confidence: s.confidence,
  };
}

/** An output's {@link SpeculativeStats} from the native counts and its token count. */
export function speculativeStats(s: NativeSpeculativeStats, tokens: number): SpeculativeStats {
  // Every target decode adds one token of its own plus the proposals it accepted.
  const decodes = Math.max(1, tokens - s.accepted);
  return {
    drafted: s.drafted,
    accepted: s.accepted,
    acceptanceRate: s.drafted > 0 ? s.accepted / s.drafted : 0,
    verifySteps: s.steps,
    tokensPerDecode: tokens > 0 ? tokens / decodes : 0,
    numAssistantTokens: s.limit,
  };
}
