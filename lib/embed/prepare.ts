/**
 * embed() and rank() before and after the native call: options checked,
 * inputs tokenized, the flat native output split into vectors. @internal
 */
import { argumentError, choice, optionalBoolean, optionsObject } from '../arguments';
import { LlamaError } from '../errors';
import type { Model } from '../model';
import { toTokenArray } from '../tokens';
import type { ContextPooling, EmbedInput, EmbedOptions, EmbeddingPooling, EmbeddingResult, RankOptions, RankResult } from './types';

const EMBED_KEYS: ReadonlyArray<keyof EmbedOptions> = ['pooling', 'normalize', 'addSpecial', 'signal'];
const RANK_KEYS: ReadonlyArray<keyof RankOptions> = ['signal'];
const POOLINGS: readonly EmbeddingPooling[] = ['mean', 'cls', 'last'];

/** An embed() call ready for the native layer. */
export interface PreparedEmbedding {
  tokens: Int32Array[];
  pooling: EmbeddingPooling;
  normalize: boolean;
  signal: AbortSignal | undefined;
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) argumentError('signal', 'be an AbortSignal', signal);
  return signal;
}

/** The pooling an embed() call runs with on a context that pools as `native`. */
export function embeddingPooling(native: ContextPooling, asked: EmbeddingPooling | undefined): EmbeddingPooling {
  if (native === 'rank') throw new LlamaError('UNSUPPORTED', 'this model is a reranker (its GGUF declares rank pooling): use rank(), not embed()');
  if (native === 'none') return asked ?? 'mean';
  if (asked !== undefined && asked !== native) {
    throw new LlamaError('INVALID_ARGUMENT', `pooling '${asked}': this model's GGUF declares '${native}' pooling, which llama.cpp applies`);
  }
  return native;
}

/** Checks embed() options and tokenizes the inputs. */
export function prepareEmbedding(model: Model, input: EmbedInput, options: EmbedOptions, native: ContextPooling): PreparedEmbedding {
  const o = optionsObject(options, 'embed options', EMBED_KEYS);
  const asked = o.pooling === undefined ? undefined : choice(o.pooling, 'pooling', POOLINGS);
  const normalize = optionalBoolean(o.normalize, 'normalize') ?? true;
  const addSpecial = optionalBoolean(o.addSpecial, 'addSpecial') ?? true;
  const signal = checkSignal(o.signal);
  const pooling = embeddingPooling(native, asked);
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list) || list.length === 0) argumentError('input', 'be a string or a non-empty array of strings and token id lists', input);
  const tokens = (list as ReadonlyArray<unknown>).map((item, i) => {
    const ids = typeof item === 'string' ? model.tokenize(item, { addSpecial }) : Int32Array.from(toTokenArray(item as ArrayLike<number>));
    if (ids.length === 0) throw new LlamaError('INVALID_ARGUMENT', `input ${i} has no tokens (an empty text of a vocabulary that adds none)`);
    return ids;
  });
  return { tokens, pooling, normalize, signal };
}

/** Splits the native output into one vector per input. */
export function embeddingResult(prepared: PreparedEmbedding, data: Float32Array, dimension: number): EmbeddingResult {
  const embeddings = prepared.tokens.map((_, i) => data.slice(i * dimension, (i + 1) * dimension));
  const tokenCounts = prepared.tokens.map((t) => t.length);
  return {
    embeddings,
    dimension,
    pooling: prepared.pooling,
    normalized: prepared.normalize,
    tokenCounts,
    promptTokens: tokenCounts.reduce((a, b) => a + b, 0),
  };
}

/** A rank() call ready for the native layer: one token list per query + document pair. */
export interface PreparedRank {
  tokens: Int32Array[];
  signal: AbortSignal | undefined;
}

/**
 * The tokens of each (query, document) pair, as llama.cpp's server builds
 * them: the GGUF's `tokenizer.chat_template.rerank` with `{query}` and
 * `{document}` replaced, else `[BOS] query [EOS] [SEP] document [EOS]` with
 * each special token as the vocabulary asks.
 */
export function prepareRank(model: Model, query: string, documents: readonly string[], options: RankOptions, native: ContextPooling): PreparedRank {
  const o = optionsObject(options, 'rank options', RANK_KEYS);
  const signal = checkSignal(o.signal);
  if (native !== 'rank') throw new LlamaError('UNSUPPORTED', `this model is not a reranker (its GGUF declares ${native === 'none' ? 'no' : `'${native}'`} pooling, not rank)`);
  if (typeof query !== 'string') argumentError('query', 'be a string', query);
  if (!Array.isArray(documents) || documents.length === 0) argumentError('documents', 'be a non-empty array of strings', documents);
  const template = model.metadata['tokenizer.chat_template.rerank'];
  const { bos, eos, sep } = model.specialTokens;
  const end = eos ?? sep;
  const addSep = model.metadata['tokenizer.ggml.add_sep_token'] === true;
  const tokens = documents.map((doc, i) => {
    if (typeof doc !== 'string') argumentError(`documents[${i}]`, 'be a string', doc);
    if (typeof template === 'string') {
      const text = template.replaceAll('{query}', query).replaceAll('{document}', doc);
      return model.tokenize(text, { addSpecial: false, parseSpecial: true });
    }
    const ids: number[] = [];
    if (model.addsBos && bos !== null) ids.push(bos);
    ids.push(...model.tokenize(query, { addSpecial: false }));
    if (model.addsEos && end !== null) ids.push(end);
    if (addSep && sep !== null) ids.push(sep);
    ids.push(...model.tokenize(doc, { addSpecial: false }));
    if (model.addsEos && end !== null) ids.push(end);
    return Int32Array.from(ids);
  });
  return { tokens, signal };
}

/** The scores of a rank() call (the first classifier output of each pair). */
export function rankResult(prepared: PreparedRank, data: Float32Array, dimension: number): RankResult {
  return {
    scores: prepared.tokens.map((_, index) => ({ index, score: data[index * dimension] })),
    promptTokens: prepared.tokens.reduce((n, t) => n + t.length, 0),
  };
}
