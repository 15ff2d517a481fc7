/**
 * Grammars for constrained generation: JSON Schema → GBNF for llama.cpp's
 * grammar sampler.
 */
export { jsonSchemaToGbnf } from './jsonSchemaToGbnf';
export type { JsonSchemaToGbnfOptions } from './jsonSchemaToGbnf';
export { clearGrammarCache, grammarCacheStats } from './engine';
export type { GrammarCacheEntry } from './engine';
