// GrammarMatcher: one generation's grammar state over a compiled grammar:
// llama.cpp's set of stacks (here one state of a table of interned stacks)
// and the partial UTF-8 sequence the last token ended in.
//
// The allowed tokens of a step: for each stack, the precompiled set of its
// top position, plus the context-dependent subtrees of that position walked
// from the real stack below (cached per stack: a stack seen again costs a
// lookup), plus the end-of-generation tokens when a stack is empty. After a
// token that ended inside a character, only tokens that start with a
// continuation byte can be valid: those are decoded and checked one by one,
// as llama.cpp does.
#pragma once

#include "GrammarCompiler.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace lg::grammar {

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<CompiledGrammar> grammar);

  // Back to the root rule's stacks.
  void Reset();
  // The tokens allowed now (llama_grammar_apply_impl).
  void FillMask(TokenMask& mask);
  // Whether a stack is empty and the text does not end inside a character:
  // end-of-generation tokens are allowed (llama.cpp allows them inside a
  // character too, which would end the text on invalid UTF-8).
  bool CanEnd() const { return table_->state(state_).empty && partial_.nRemain <= 0; }
  // llama_grammar_accept_token: advances over `piece` (read up to its first
  // NUL) as token `token`; INVALID_ARGUMENT, state unchanged, when no stack
  // survives.
  void AcceptPiece(int32_t token, const std::string& piece);
  // Whether `token` is allowed now (one token's check, no mask).
  bool Allows(int32_t token);
  // Whether the allowed set is likely large (over 1/8 of the vocabulary, by
  // the precompiled sets alone): then checking a greedy pick first is cheaper
  // than masking.
  bool LikelyDense();
  const CompiledGrammar& grammar() const { return *grammar_; }
  // Steps computed by llama.cpp's evaluation (the fast path went past its budget).
  size_t fallbacks() const { return fallbacks_; }
  // Work one step's fast path may do (stack entries and stacks in new states).
  static constexpr size_t kStepBudget = size_t{1} << 18;

 private:
  void FastMask(TokenMask& mask);
  // llama.cpp's own evaluation over every token (llama_grammar_reject_candidates
  // on the current stacks): for grammars too ambiguous for the fast path.
  void FallbackMask(TokenMask& mask);
  // The tokens `stack` allows from a fresh UTF-8 state: its position's
  // precompiled set, plus its context-dependent subtrees walked from the real
  // stack below (cached per stack).
  const TokenSet& StackSet(int32_t stack);
  bool Check(int32_t state, const std::vector<uint32_t>& cps, PartialUtf8 end, int32_t token);
  void Rebuild();

  std::shared_ptr<CompiledGrammar> grammar_;
  std::unique_ptr<StackTable> table_;
  int32_t state_ = StackTable::kDead;
  PartialUtf8 partial_;
  static constexpr size_t kMaxStackSets = 1024;
  std::unordered_map<int32_t, TokenSet> stackSets_;
  std::vector<uint32_t> cps_;
  size_t fallbacks_ = 0;
};

}  // namespace lg::grammar
