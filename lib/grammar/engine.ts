/**
 * The grammar engine's cache (native/grammar/): every grammar (or JSON
 * schema) is compiled once per model vocabulary and kept, least recently used
 * first out past 64 grammars or 512 MB, until its model is disposed.
 */
import { native, type NativeGrammarCacheEntry } from '../native';

/** One compiled grammar, as {@link grammarCacheStats} lists it. */
export type GrammarCacheEntry = NativeGrammarCacheEntry;

/** The grammars compiled so far, with their compile times (diagnostics). */
export function grammarCacheStats(): GrammarCacheEntry[] {
  return native().grammarCacheStats();
}

/** Empties the grammar cache (chains in use keep what they hold); the next use of a grammar compiles it again. */
export function clearGrammarCache(): void {
  native().grammarCacheClear();
}
