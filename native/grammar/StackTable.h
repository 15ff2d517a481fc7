// StackTable: llama.cpp's grammar stacks, interned (a stack is a node: its top
// entry and the node below, so equal stacks are one id and share their
// tails), llama_grammar_advance_stack memoized per node, and sets of stacks
// (the states of a walk over the vocabulary trie) with their transition on a
// code point memoized: a DFA built lazily over the grammar's pushdown
// automaton. One table per compile (abstract stacks) and one per running
// matcher (concrete stacks).
//
// Abstract stacks (GrammarCompiler) end in a marker instead of the real
// bottom: "here is what can be below rule R's frame, `depth` entries under
// the precompiled top". Expanding down to a marker follows R's continuation
// when it is one position (every real stack has that entry there) or the end
// of the stack; when it can be several, the stack becomes an escape: whatever
// follows depends on the real stack below `depth` entries, and is checked at
// run time (the context-dependent tokens of XGrammar).
#pragma once

#include "../Errors.h"
#include "FlatMap.h"
#include "GrammarRules.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace lg::grammar {

class StackTable {
 public:
  static constexpr int32_t kEmpty = 0;  // the empty stack: the grammar can end
  static constexpr int32_t kDead = -1;  // the state without stacks

  struct Limits {
    size_t maxNodes = size_t{1} << 21;
    size_t maxStates = size_t{1} << 18;
    size_t maxStateStacks = size_t{1} << 24;  // all states' stacks together
  };
  // Thrown when a limit or the current budget is exceeded: the table is then
  // to be dropped (a grammar too ambiguous for a walk over sets of stacks;
  // GrammarMatcher falls back to llama.cpp's per-token evaluation).
  class Overflow : public LlamaException {
   public:
    using LlamaException::LlamaException;
  };

  // A set of stacks, sorted into what a walk does with them.
  struct State {
    std::vector<int32_t> stacks;    // all of them, sorted
    std::vector<int32_t> chars;     // topped by a character class
    std::vector<int32_t> tokens;    // topped by a token element
    std::vector<uint32_t> escapes;  // abstract: depths below which the real stack decides
    bool empty = false;             // holds the empty stack
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // code points some char-topped stack matches (merged)
    std::unique_ptr<int32_t[]> ascii;  // transitions on code points < 128 (kUnknown: not computed)
  };

  StackTable(const GrammarRules& rules, Limits limits);

  const GrammarRules& rules() const { return rules_; }
  int32_t Push(int32_t below, uint32_t pos);
  int32_t Marker(uint32_t rule, uint32_t depth);
  uint32_t Top(int32_t node) const { return nodes_[node].pos; }
  int32_t Below(int32_t node) const { return nodes_[node].below; }
  // The stack `depth` entries down (depth 0: the stack itself).
  int32_t Pop(int32_t node, uint32_t depth) const;

  // llama_grammar_advance_stack: the stacks reached by expanding rule
  // references at the top, each topped by a terminal (or empty, or an escape).
  // Returns [begin, end) into pool().
  std::pair<uint32_t, uint32_t> Expand(int32_t node);
  const std::vector<int32_t>& pool() const { return pool_; }

  // The state holding `stacks` (sorted and deduplicated here); kDead for none.
  int32_t StateOf(std::vector<int32_t>& stacks);
  const State& state(int32_t s) const { return states_[s]; }
  // The state after matching `cp` (llama_grammar_accept over the set).
  int32_t Next(int32_t s, uint32_t cp) {
    if (cp < 128) {
      const int32_t* ascii = states_[s].ascii.get();
      if (ascii != nullptr && ascii[cp] != kUnknown) return ascii[cp];
    } else {
      int32_t known;
      if (other_.Find((static_cast<uint64_t>(s) << 32) | cp, known)) return known;
    }
    return ComputeNext(s, cp);
  }
  // The state of the character-topped stacks of `s` only (what survives a
  // token's code points in llama_grammar_accept_token).
  int32_t CharsOf(int32_t s);

  // Work allowed from now on (new stack entries plus stacks put in new
  // states) before Overflow; SIZE_MAX: only the limits.
  void SetBudget(size_t units) { budget_ = units; }
  // A budget for a scope.
  class Budget {
   public:
    Budget(StackTable& table, size_t units) : table_(table) { table_.SetBudget(units); }
    ~Budget() { table_.SetBudget(SIZE_MAX); }
    Budget(const Budget&) = delete;
    Budget& operator=(const Budget&) = delete;

   private:
    StackTable& table_;
  };
  bool Large() const {
    return nodes_.size() > limits_.maxNodes / 2 || states_.size() > limits_.maxStates / 2 || stateStacks_ > limits_.maxStateStacks / 2;
  }
  size_t nodeCount() const { return nodes_.size(); }
  size_t stateCount() const { return states_.size(); }
  size_t Bytes() const;

 private:
  static constexpr int32_t kUnknown = -2;
  static constexpr uint32_t kEmptyPos = 0xFFFFFFFFu;
  static constexpr uint32_t kEscapePos = 0xFFFFFFFEu;
  static constexpr uint32_t kMarkerBit = 0x80000000u;
  struct Node {
    int32_t below;  // markers and escapes: their depth
    uint32_t pos;   // a position, kEmptyPos, kEscapePos, or kMarkerBit | rule
  };
  struct VectorHash {
    size_t operator()(const std::vector<int32_t>& v) const {
      uint64_t h = 1469598103934665603ULL;
      for (int32_t x : v) h = (h ^ static_cast<uint32_t>(x)) * 1099511628211ULL;
      return static_cast<size_t>(h);
    }
  };

  int32_t Intern(int32_t below, uint32_t pos);
  int32_t ComputeNext(int32_t s, uint32_t cp);
  [[noreturn]] void TooLarge(const char* what, size_t limit) const;
  void Spend(size_t units) {
    if (budget_ != SIZE_MAX) {
      if (units > budget_) throw Overflow(code::kInvalidArgument, "grammar: the walk's budget is spent");
      budget_ -= units;
    }
  }

  const GrammarRules& rules_;
  Limits limits_;
  size_t budget_ = SIZE_MAX;
  size_t stateStacks_ = 0;
  std::vector<Node> nodes_;
  FlatMap nodeIds_;
  std::vector<uint32_t> expandBegin_, expandEnd_;
  std::vector<int32_t> pool_;
  std::vector<uint32_t> seen_;
  uint32_t stamp_ = 0;
  std::vector<int32_t> todo_, out_, scratch_;
  std::deque<State> states_;  // stable references: a walk holds one while states are added
  std::unordered_map<std::vector<int32_t>, int32_t, VectorHash> stateIds_;
  FlatMap other_;
  std::vector<int32_t> charsOf_;
};

}  // namespace lg::grammar
