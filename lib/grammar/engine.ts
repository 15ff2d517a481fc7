/**
 * The grammar engine's cache (native/grammar/): every grammar (or JSON
 * schema) is compiled once per model vocabulary and kept, least recently used
 * first out past 64 grammars or 512 MB, until its model is disposed.
 */
import { native } from '../native';

/** One compiled grammar, as {@link grammarCacheStats} lists it. */
export interface GrammarCacheEntry {
  /** The vocabulary it was compiled for (its size). */
  vocabSize: number;
  /** The start rule (`root`). */
  root: string;
  /** Length of the grammar text in bytes. */
  textBytes: number;
  /** Chains that used it (the first included). */
  uses: number;
  /** Milliseconds the compile took (the per-position token sets; the vocabulary trie apart). */
  compileMs: number;
  /** Milliseconds building the vocabulary's trie (once per model, shared by its grammars). */
  trieMs: number;
  /** Grammar positions (terminals) a parser stack can stop at. */
  positions: number;
  /** Positions compiled up front; the rest are compiled when first reached. */
  eager: number;
  /** Positions compiled since, at first use. */
  lazy: number;
  /** Vocabulary-trie nodes all compile walks visited. */
  visits: number;
  /** Subtrees of the trie whose tokens depend on the stack below, checked at run time. */
  dependentNodes: number;
  /** Positions too ambiguous to precompile within their budget: steps there use llama.cpp's own evaluation. */
  fallback: number;
  /** Approximate memory held. */
  bytes: number;
}

/** The grammars compiled so far, with their compile times (diagnostics). */
export function grammarCacheStats(): GrammarCacheEntry[] {
  return native().grammarCacheStats();
}

/** Empties the grammar cache (chains in use keep what they hold); the next use of a grammar compiles it again. */
export function clearGrammarCache(): void {
  native().grammarCacheClear();
}
