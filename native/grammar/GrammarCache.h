// GrammarCache: process-wide caches of the grammar engine, so a second
// request with the same grammar (or JSON schema) and model pays nothing.
// - vocabulary tries, one per vocabulary, built on first use;
// - compiled grammars keyed by (vocabulary, root rule, grammar text), least
//   recently used first out past kMaxEntries or kMaxBytes.
// A vocabulary's entries are dropped when its model is freed (ModelHandle),
// so a later model at the same address never sees them. Compiles of one key
// run once: a second request waits for the first.
#pragma once

#include "GrammarCompiler.h"

#include <llama.h>

#include <memory>
#include <string>
#include <vector>

namespace lg::grammar {

constexpr size_t kMaxEntries = 64;
constexpr size_t kMaxBytes = size_t{512} << 20;

std::shared_ptr<const VocabTrie> TrieFor(const llama_vocab* vocab);
// The compiled grammar, or nullptr when not cached (no compile).
std::shared_ptr<CompiledGrammar> FindCompiled(const llama_vocab* vocab, const std::string& root, const std::string& text);
// The compiled grammar, compiled now if needed (`rules`: already parsed, or null).
std::shared_ptr<CompiledGrammar> Compiled(const llama_vocab* vocab, const std::string& root, const std::string& text,
                                          std::shared_ptr<const GrammarRules> rules);
// Drops everything built for `vocab` (its model is being freed).
void ForgetVocabulary(const llama_vocab* vocab);
void ClearCache();

struct CacheEntryInfo {
  int32_t vocabSize;
  std::string root;
  size_t textBytes;
  uint64_t uses;
  double trieMs;  // building the vocabulary's trie (once per vocabulary)
  CompileStats stats;
};
std::vector<CacheEntryInfo> CacheInfo();

}  // namespace lg::grammar
