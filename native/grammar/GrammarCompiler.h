// GrammarCompiler: a grammar compiled for one vocabulary, the XGrammar way.
// For every terminal position a stack can be topped by, one walk over the
// vocabulary trie from that position alone (the stack below it abstract,
// followed through each rule's continuation where it is always the same)
// sorts the tokens into
// - allowed whatever the stack below (kept as a TokenSet),
// - rejected whatever the stack below (dropped),
// - context-dependent: a subtree of the trie whose tokens pop below the
//   abstract part; kept as (trie node, depth) and walked at run time from
//   the real stack that many entries down (GrammarMatcher).
//
// Compile time is bounded: positions are compiled eagerly until a budget of
// trie-node visits (kEagerVisits) is spent; the rest are compiled when a
// stack first reaches them (one trie walk each, under a lock). A position
// whose walk needs more than kPositionBudget new stacks (a grammar whose
// stacks multiply) is marked `fallback`: steps there use llama.cpp's own
// evaluation (GrammarMatcher::FallbackMask), so a compile never fails.
#pragma once

#include "GrammarRules.h"
#include "StackTable.h"
#include "TokenMask.h"
#include "VocabTrie.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace lg::grammar {

struct PositionMask {
  // The position's walk went past its budget (a grammar too ambiguous for
  // sets of stacks): steps at this position use llama.cpp's evaluation.
  bool fallback = false;
  TokenSet allowed;
  // Context-dependent subtrees: depth below the top → trie nodes.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> escapes;
  size_t Bytes() const;
};

struct CompileStats {
  double compileMs = 0;       // the eager compile
  size_t positions = 0;       // terminal positions of the grammar
  size_t eager = 0;           // compiled eagerly
  size_t lazy = 0;            // compiled at first use since
  size_t visits = 0;          // trie nodes visited by all walks
  size_t dependentNodes = 0;  // context-dependent subtrees kept
  size_t fallback = 0;        // positions past their budget (llama.cpp's evaluation there)
  size_t bytes = 0;
};

class CompiledGrammar {
 public:
  static constexpr size_t kEagerVisits = size_t{1} << 25;
  // Work one position's walk may do (stack entries and stacks in states).
  static constexpr size_t kPositionBudget = size_t{1} << 18;

  CompiledGrammar(std::shared_ptr<const GrammarRules> rules, std::shared_ptr<const VocabTrie> trie, size_t eagerVisits = kEagerVisits);

  const GrammarRules& rules() const { return *rules_; }
  const VocabTrie& trie() const { return *trie_; }
  // The precompiled sets of a terminal position (compiled now if it was not).
  const PositionMask& MaskAt(uint32_t pos) {
    const PositionMask* mask = masks_[pos].load(std::memory_order_acquire);
    return mask != nullptr ? *mask : CompileLate(pos);
  }
  CompileStats stats() const;
  size_t Bytes() const;

 private:
  const PositionMask& CompileLate(uint32_t pos);
  size_t BytesLocked() const;
  std::unique_ptr<PositionMask> Compile(uint32_t pos);

  std::shared_ptr<const GrammarRules> rules_;
  std::shared_ptr<const VocabTrie> trie_;
  mutable std::mutex mutex_;  // the abstract table and late compiles
  std::unique_ptr<StackTable> table_;
  std::vector<std::atomic<const PositionMask*>> masks_;
  std::vector<std::unique_ptr<PositionMask>> owned_;
  CompileStats stats_;
};

}  // namespace lg::grammar
