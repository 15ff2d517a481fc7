/** The public shapes of embeddings and reranking: inputs, options, results. */
import type { Tokens } from '../tokens';

/**
 * How the token states of an input become one vector: their mean, the first
 * token's (`'cls'`), or the last token's.
 */
export type EmbeddingPooling = 'mean' | 'cls' | 'last';

/**
 * How a context pools in llama.cpp, from the GGUF's `<arch>.pooling_type`:
 * `'none'` for a model that declares none (a generative model: then
 * {@link Context.embed} pools itself, by its `pooling` option), `'rank'` for a
 * reranker (then only {@link Context.rank} works).
 */
export type ContextPooling = EmbeddingPooling | 'none' | 'rank';

/** What {@link Context.embed} takes: one text, or a list of texts and token id lists. */
export type EmbedInput = string | ReadonlyArray<string | Tokens>;

/** Options of {@link Context.embed} and {@link Model.embed}. */
export interface EmbedOptions {
  /**
   * Pooling. Default: the GGUF's pooling type (`<arch>.pooling_type`), or
   * `'mean'` for a model that declares none. A model that declares one pools
   * in llama.cpp and only takes that one.
   */
  pooling?: EmbeddingPooling;
  /** Scale each vector to unit L2 norm, so a dot product is the cosine similarity (default `true`). */
  normalize?: boolean;
  /** Texts: add BOS/EOS (or CLS/SEP) as the vocabulary asks (default `true`). */
  addSpecial?: boolean;
  /** Cancels the call (rejects with `ABORTED`). */
  signal?: AbortSignal;
}

/** What {@link Context.embed} resolves with. */
export interface EmbeddingResult {
  /** One vector per input, in input order. */
  embeddings: Float32Array[];
  /** The vectors' length. */
  dimension: number;
  /** The pooling that ran. */
  pooling: EmbeddingPooling;
  /** Whether the vectors were L2-normalised. */
  normalized: boolean;
  /** Tokens of each input. */
  tokenCounts: number[];
  /** All inputs' tokens together (OpenAI's `usage.prompt_tokens`). */
  promptTokens: number;
}

/** Options of {@link Context.rank} and {@link Model.rank}. */
export interface RankOptions {
  /** Cancels the call (rejects with `ABORTED`). */
  signal?: AbortSignal;
}

/** One document's relevance, from {@link Context.rank}. */
export interface RankedDocument {
  /** The document's position in the input list. */
  index: number;
  /** The reranker's score (higher is more relevant; a logit for most rerankers). */
  score: number;
}

/** What {@link Context.rank} resolves with. */
export interface RankResult {
  /** One entry per document, in input order. */
  scores: RankedDocument[];
  /** All query + document pairs' tokens together. */
  promptTokens: number;
}
