/** The context a one-shot {@link Model.embed} / {@link Model.rank} (or the server's embeddings) runs on. @internal */
import type { ContextOptions } from '../context';
import type { Model } from '../model';
import type { ContextPooling } from './types';

const POOLING_TYPES: readonly ContextPooling[] = ['none', 'mean', 'cls', 'last', 'rank'];

/** The pooling the GGUF declares (`<arch>.pooling_type`), `'none'` when it declares none. */
export function declaredPooling(model: Model): ContextPooling {
  const value = model.metadata[`${model.architecture}.pooling_type`];
  return typeof value === 'number' && POOLING_TYPES[value] !== undefined ? POOLING_TYPES[value] : 'none';
}

/** Whether the model attends to the whole input at once (BERT-like: `<arch>.attention.causal` false). */
export function isNonCausal(model: Model): boolean {
  return model.metadata[`${model.architecture}.attention.causal`] === false;
}

/** Most micro-batch tokens given to a model that must see each input in one micro-batch. */
const MAX_ONE_PASS = 2048;

/**
 * Context options for embedding `inputs` inputs: up to 16 sequences (inputs
 * per decode), and for a model pooled by llama.cpp or a non-causal one a
 * micro-batch as large as an input may be (up to the context size, at most
 * 2048 tokens), since each input must fit in one. `overrides` win.
 */
export function embeddingContextOptions(model: Model, inputs: number, overrides: ContextOptions = {}): ContextOptions {
  const contextSize = overrides.contextSize ?? Math.min(model.trainContextSize > 0 ? model.trainContextSize : 4096, 4096);
  const onePass = declaredPooling(model) !== 'none' || isNonCausal(model);
  const batchSize = overrides.batchSize ?? (onePass ? Math.min(contextSize, MAX_ONE_PASS) : Math.min(contextSize, 512));
  return {
    sequences: Math.max(1, Math.min(inputs, 16)),
    ...overrides,
    contextSize,
    batchSize,
    ubatchSize: overrides.ubatchSize ?? batchSize,
  };
}
