// GrammarStats: the grammar engine's cache, seen from JS (native/grammar/):
// what is compiled, how long each compile took, and a way to empty it
// (benchmarks and tests time cold compiles).
#pragma once

#include <napi.h>

namespace lg {

// grammarCacheStats() -> [{ vocabSize, root, textBytes, uses, compileMs, trieMs, positions, eager, lazy, visits, dependentNodes, fallback, bytes }]
Napi::Value GrammarCacheStats(const Napi::CallbackInfo& info);
// grammarCacheClear(): drops every compiled grammar and vocabulary trie not in use.
Napi::Value GrammarCacheClear(const Napi::CallbackInfo& info);

}  // namespace lg
