// GrammarRules: a GBNF grammar as llama.cpp's parser reads it (its rules of
// llama_grammar_element, kept as they are, so every terminal is matched by the
// same element sequence as in llama.cpp; rules outside a recursion copied per
// reference, RuleUnfolding.h), laid out in one array, plus what the engine
// derives from it once: each rule's alternatives and, for each rule, what can
// be below its frame on the parser stack (its continuation).
//
// Positions are indices into that array. A stack entry is a position; the
// top of a stack is a terminal (a character class or a token) after
// expansion, as in llama.cpp's llama_grammar_advance_stack.
#pragma once

#include <llama-grammar.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lg::grammar {

class GrammarRules {
 public:
  // What can be right below an entry of a rule's frame on the stack: one
  // position (kBottom: nothing, the stack ends there), or several.
  struct Continuation {
    enum Kind : uint8_t { kNone, kSingle, kMany } kind = kNone;
    uint32_t pos = 0;
  };
  static constexpr uint32_t kBottom = UINT32_MAX;

  // Parses with llama.cpp's parser and refuses what llama_grammar_init_impl
  // refuses (parse errors, no root, left recursion): INVALID_ARGUMENT.
  static std::shared_ptr<const GrammarRules> Parse(const llama_vocab* vocab, const std::string& text, const std::string& root);

  const llama_grammar_element& at(uint32_t pos) const { return elems_[pos]; }
  uint32_t size() const { return static_cast<uint32_t>(elems_.size()); }
  bool IsEnd(uint32_t pos) const { return elems_[pos].type == LLAMA_GRETYPE_END || elems_[pos].type == LLAMA_GRETYPE_ALT; }
  bool IsChar(uint32_t pos) const {
    const auto t = elems_[pos].type;
    return t == LLAMA_GRETYPE_CHAR || t == LLAMA_GRETYPE_CHAR_NOT || t == LLAMA_GRETYPE_CHAR_ANY;
  }
  bool IsToken(uint32_t pos) const { return elems_[pos].type == LLAMA_GRETYPE_TOKEN || elems_[pos].type == LLAMA_GRETYPE_TOKEN_NOT; }
  uint32_t RuleOf(uint32_t pos) const { return ruleOf_[pos]; }
  uint32_t root() const { return root_; }
  const std::vector<uint32_t>& Alternatives(uint32_t rule) const { return alternatives_[rule]; }
  const Continuation& ContinuationOf(uint32_t rule) const { return continuation_[rule]; }
  // Start positions of the terminals of the rules reachable from the root.
  const std::vector<uint32_t>& terminals() const { return terminals_; }

  // llama_grammar_match_char: whether `cp` matches the class at `pos`, and the
  // position after the class.
  std::pair<bool, uint32_t> MatchChar(uint32_t pos, uint32_t cp) const;
  // The code points the class at `pos` matches, as inclusive ranges (appended).
  void ClassRanges(uint32_t pos, std::vector<std::pair<uint32_t, uint32_t>>& out) const;
  // llama_grammar_match_partial_char: whether some completion of `partial`
  // could match the class at `pos`, over the completions that are valid UTF-8
  // (Utf8.h's PartialRange; llama.cpp's range can be wider).
  bool MatchPartial(uint32_t pos, uint32_t value, int nRemain) const;
  // llama_grammar_match_token.
  bool MatchToken(uint32_t pos, int32_t token) const {
    const auto v = static_cast<uint32_t>(token);
    return elems_[pos].type == LLAMA_GRETYPE_TOKEN ? elems_[pos].value == v : elems_[pos].value != v;
  }
  size_t Bytes() const;

  // The same rules in llama.cpp's own layout, for its per-token evaluation
  // (llama_grammar_reject_candidates_for_stack), and a position's element there.
  const llama_grammar_rules& llamaRules() const { return llamaRules_; }
  const llama_grammar_element* Pointer(uint32_t pos) const {
    const uint32_t rule = ruleOf_[pos];
    return &llamaRules_[ruleOrigin_[rule]][pos - ruleStart_[rule]];
  }

 private:
  GrammarRules() = default;
  void Derive();

  std::vector<llama_grammar_element> elems_;
  llama_grammar_rules llamaRules_;   // as llama.cpp has them
  std::vector<uint32_t> ruleOrigin_;  // per engine rule: the llama.cpp rule it copies (RuleUnfolding)
  std::vector<uint32_t> ruleOf_;
  std::vector<uint32_t> ruleStart_;
  std::vector<std::vector<uint32_t>> alternatives_;
  std::vector<Continuation> continuation_;
  std::vector<uint32_t> terminals_;
  uint32_t root_ = 0;
};

}  // namespace lg::grammar
