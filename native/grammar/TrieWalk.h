// TrieWalk: the one check of tokens against stacks, done for a whole
// subtree of the vocabulary trie at once: a prefix shared by many tokens is
// matched once, and a subtree whose prefix no stack accepts is skipped.
// Follows llama_grammar_reject_candidates_for_stack case by case:
// - a token ending on a complete character is allowed by any stack that
//   matched all of it (or that the grammar ended on);
// - one ending inside a character is allowed by a character class that some
//   completion could match (llama_grammar_match_partial_char);
// - a stack topped by a token element, reached with code points left,
//   allows exactly the tokens it names (or all but the one it excludes),
//   whatever their remaining code points;
// - an escape (abstract stacks) hands the subtree to the run-time check.
#pragma once

#include "StackTable.h"
#include "VocabTrie.h"

#include <cstdint>
#include <vector>

namespace lg::grammar {

// Receives what a walk decides, in ranks (trie order).
class WalkSink {
 public:
  virtual ~WalkSink() = default;
  virtual void Allow(uint32_t rank) = 0;
  // Every rank in [begin, end) except `except` (UINT32_MAX: none).
  virtual void AllowRange(uint32_t begin, uint32_t end, uint32_t except) = 0;
  // Tokens at `node` ending inside a character, and tokens below it, depend on
  // the real stack `depth` entries down.
  virtual void Escape(uint32_t node, uint32_t depth) = 0;
};

class TrieWalk {
 public:
  TrieWalk(const VocabTrie& trie, StackTable& table) : trie_(trie), table_(table) {}
  // Walks the subtree of `root`, its code points matched from `state`
  // (the state after the root's own prefix). `completeAtRoot`: whether the
  // tokens ending at the root on a complete character are decided too.
  // Returns the number of trie nodes visited.
  size_t Walk(uint32_t root, int32_t state, bool completeAtRoot, WalkSink& sink);

 private:
  void Visit(uint32_t node, const StackTable::State& st, bool complete, WalkSink& sink);

  const VocabTrie& trie_;
  StackTable& table_;
  std::vector<std::pair<uint32_t, int32_t>> todo_;
};

}  // namespace lg::grammar
