#include "GrammarMatcher.h"

#include "../Errors.h"
#include "TrieWalk.h"

#include <algorithm>

namespace lg::grammar {
namespace {

// Collects the token ids a run-time walk allows.
class IdSink : public WalkSink {
 public:
  IdSink(const VocabTrie& trie, std::vector<int32_t>& out) : trie_(trie), out_(out) {}
  void Allow(uint32_t rank) override { out_.push_back(trie_.TokenAt(rank)); }
  void AllowRange(uint32_t begin, uint32_t end, uint32_t except) override {
    for (uint32_t r = begin; r < end; r++)
      if (r != except) out_.push_back(trie_.TokenAt(r));
  }
  void Escape(uint32_t, uint32_t) override {}  // concrete stacks have none

 private:
  const VocabTrie& trie_;
  std::vector<int32_t>& out_;
};

constexpr StackTable::Limits kLimits{};

}  // namespace

GrammarMatcher::GrammarMatcher(std::shared_ptr<CompiledGrammar> grammar)
    : grammar_(std::move(grammar)), table_(std::make_unique<StackTable>(grammar_->rules(), kLimits)) {
  Reset();
}

void GrammarMatcher::Reset() {
  // llama_grammar_init_impl: one stack per alternative of the root, advanced.
  if (table_->Large()) {
    table_ = std::make_unique<StackTable>(grammar_->rules(), kLimits);
    stackSets_.clear();
  }
  const GrammarRules& rules = grammar_->rules();
  std::vector<int32_t> stacks;
  for (uint32_t alt : rules.Alternatives(rules.root())) {
    const int32_t start = rules.IsEnd(alt) ? StackTable::kEmpty : table_->Push(StackTable::kEmpty, alt);
    const auto [begin, end] = table_->Expand(start);
    stacks.insert(stacks.end(), table_->pool().begin() + begin, table_->pool().begin() + end);
  }
  state_ = table_->StateOf(stacks);
  partial_ = PartialUtf8{};
}

void GrammarMatcher::Rebuild() {
  // The table only grows (every stack and state ever seen): start a new one
  // from the current stacks.
  std::vector<std::vector<uint32_t>> stacks;
  for (int32_t n : table_->state(state_).stacks) {
    std::vector<uint32_t> entries;
    for (int32_t m = n; m != StackTable::kEmpty; m = table_->Below(m)) entries.push_back(table_->Top(m));
    std::reverse(entries.begin(), entries.end());
    stacks.push_back(std::move(entries));
  }
  table_ = std::make_unique<StackTable>(grammar_->rules(), kLimits);
  stackSets_.clear();
  std::vector<int32_t> ids;
  for (const auto& entries : stacks) {
    int32_t m = StackTable::kEmpty;
    for (uint32_t pos : entries) m = table_->Push(m, pos);
    ids.push_back(m);
  }
  state_ = table_->StateOf(ids);
}

const TokenSet& GrammarMatcher::StackSet(int32_t stack) {
  const PositionMask& mask = grammar_->MaskAt(table_->Top(stack));
  if (mask.escapes.empty()) return mask.allowed;  // context-independent: the precompiled set
  auto found = stackSets_.find(stack);
  if (found != stackSets_.end()) return found->second;
  // The precompiled set plus the context-dependent subtrees walked from the real stack below.
  std::vector<int32_t> allowed;
  IdSink sink(grammar_->trie(), allowed);
  TrieWalk walk(grammar_->trie(), *table_);
  for (const auto& [depth, nodes] : mask.escapes) {
    const auto [begin, end] = table_->Expand(table_->Pop(stack, depth));
    std::vector<int32_t> below(table_->pool().begin() + begin, table_->pool().begin() + end);
    const int32_t state = table_->StateOf(below);
    if (state == StackTable::kDead) continue;
    for (uint32_t node : nodes) walk.Walk(node, state, false, sink);
  }
  const int32_t nVocab = grammar_->trie().nVocab();
  TokenMask bits(nVocab);
  mask.allowed.OrInto(bits.bits());
  for (int32_t id : allowed) bits.Set(id);
  if (stackSets_.size() >= kMaxStackSets) stackSets_.clear();
  return stackSets_.emplace(stack, TokenSet(bits.bits(), nVocab)).first->second;
}

void GrammarMatcher::FillMask(TokenMask& mask) {
  if (table_->Large()) Rebuild();
  for (const auto* list : {&table_->state(state_).chars, &table_->state(state_).tokens}) {
    for (int32_t stack : *list) {
      if (grammar_->MaskAt(table_->Top(stack)).fallback) {
        fallbacks_++;
        FallbackMask(mask);
        return;
      }
    }
  }
  try {
    StackTable::Budget budget(*table_, kStepBudget);
    FastMask(mask);
  } catch (const StackTable::Overflow&) {
    Rebuild();
    fallbacks_++;
    FallbackMask(mask);
  }
}

void GrammarMatcher::FallbackMask(TokenMask& mask) {
  mask.Clear();
  const VocabTrie& trie = grammar_->trie();
  const GrammarRules& rules = grammar_->rules();
  const StackTable::State& st = table_->state(state_);
  if (CanEnd())
    for (int32_t eog : trie.eogTokens()) mask.Set(eog);
  llama_grammar_stacks stacks;
  for (int32_t n : st.stacks) {
    llama_grammar_stack stack;
    for (int32_t m = n; m != StackTable::kEmpty; m = table_->Below(m)) stack.push_back(rules.Pointer(table_->Top(m)));
    std::reverse(stack.begin(), stack.end());
    stacks.push_back(std::move(stack));
  }
  // llama_grammar_apply_impl's candidates: every token but the end-of-generation
  // ones and those with an empty piece, decoded after the partial character
  // (strictly: invalid UTF-8 is code points {0} with nRemain -1, which every
  // stack rejects). One difference with the fast path is left: llama.cpp's
  // range for a token ending in a lone ED or F4 (its match_partial_char) still
  // includes the surrogates / U+110000-13FFFF, which only matters to a class
  // with a bound among those code points.
  std::vector<std::vector<uint32_t>> decoded;
  decoded.reserve(static_cast<size_t>(trie.nVocab()));
  llama_grammar_candidates candidates;
  candidates.reserve(static_cast<size_t>(trie.nVocab()));
  for (int32_t token = 0; token < trie.nVocab(); token++) {
    if (trie.IsEog(token)) continue;
    const std::string_view piece = trie.Piece(token);
    if (piece.empty() || piece[0] == 0) continue;
    const PartialUtf8 end = DecodeUtf8(trie.PieceCStr(token), partial_, cps_);
    std::vector<uint32_t>& cps = decoded.emplace_back(cps_);
    cps.push_back(0);
    candidates.push_back({static_cast<size_t>(token), cps.data(), llama_partial_utf8{end.value, end.nRemain}, token});
  }
  llama_grammar_candidates rejects = llama_grammar_reject_candidates_for_stack(rules.llamaRules(), stacks.front(), candidates);
  for (size_t i = 1; i < stacks.size(); i++) rejects = llama_grammar_reject_candidates_for_stack(rules.llamaRules(), stacks[i], rejects);
  std::vector<bool> rejected(static_cast<size_t>(trie.nVocab()), false);
  for (const llama_grammar_candidate& r : rejects) rejected[r.index] = true;
  for (const llama_grammar_candidate& c : candidates)
    if (!rejected[c.index]) mask.Set(c.id);
}

void GrammarMatcher::FastMask(TokenMask& mask) {
  mask.Clear();
  const StackTable::State& st = table_->state(state_);
  const VocabTrie& trie = grammar_->trie();
  if (CanEnd())
    for (int32_t eog : trie.eogTokens()) mask.Set(eog);
  if (partial_.nRemain > 0) {
    // Inside a character: only tokens that go on with continuation bytes can be valid.
    for (int32_t token : trie.continuationTokens()) {
      const PartialUtf8 end = DecodeUtf8(trie.PieceCStr(token), partial_, cps_);
      if (end.nRemain >= 0 && Check(state_, cps_, end, token)) mask.Set(token);
    }
    return;
  }
  for (const auto* list : {&st.chars, &st.tokens})
    for (int32_t stack : *list) StackSet(stack).OrInto(mask.bits());
}

bool GrammarMatcher::Check(int32_t state, const std::vector<uint32_t>& cps, PartialUtf8 end, int32_t token) {
  // llama_grammar_reject_candidates_for_stack for one token, over the set.
  const GrammarRules& rules = grammar_->rules();
  for (size_t i = 0;; i++) {
    const StackTable::State& st = table_->state(state);
    if (i == cps.size()) {
      if (end.nRemain == 0) return true;
      for (int32_t s : st.chars)
        if (rules.MatchPartial(table_->Top(s), end.value, end.nRemain)) return true;
      return false;
    }
    for (int32_t s : st.tokens)
      if (rules.MatchToken(table_->Top(s), token)) return true;
    state = table_->Next(state, cps[i]);
    if (state == StackTable::kDead) return false;
  }
}

bool GrammarMatcher::LikelyDense() {
  if (partial_.nRemain > 0) return false;  // only continuation tokens can follow
  if (table_->Large()) Rebuild();
  const StackTable::State& st = table_->state(state_);
  size_t allowed = 0;
  for (const auto* list : {&st.chars, &st.tokens}) {
    for (int32_t stack : *list) {
      const PositionMask& pm = grammar_->MaskAt(table_->Top(stack));
      if (pm.fallback) return false;
      if (!pm.escapes.empty() && stackSets_.count(stack) == 0) {
        // not walked yet: by the precompiled part and the size of the dependent subtrees
        allowed += pm.allowed.count();
        continue;
      }
      allowed += StackSet(stack).count();
    }
  }
  return allowed * 8 > static_cast<size_t>(grammar_->trie().nVocab());
}

bool GrammarMatcher::Allows(int32_t token) {
  const VocabTrie& trie = grammar_->trie();
  if (trie.IsEog(token)) return CanEnd();
  const std::string_view piece = trie.Piece(token);
  if (piece.empty() || piece[0] == 0) return false;
  const PartialUtf8 end = DecodeUtf8(trie.PieceCStr(token), partial_, cps_);
  if (end.nRemain < 0) return false;
  if (table_->Large()) Rebuild();
  StackTable::Budget budget(*table_, kStepBudget);
  return Check(state_, cps_, end, token);
}

void GrammarMatcher::AcceptPiece(int32_t token, const std::string& piece) {
  if (table_->Large()) Rebuild();
  const GrammarRules& rules = grammar_->rules();
  const PartialUtf8 end = DecodeUtf8(piece.c_str(), partial_, cps_);
  std::vector<int32_t> next;
  // Stacks topped by a token element take the token whole.
  for (int32_t s : table_->state(state_).tokens) {
    const uint32_t pos = table_->Top(s);
    if (!rules.MatchToken(pos, token)) continue;
    const int32_t below = table_->Below(s);
    const auto [begin, stop] = table_->Expand(rules.IsEnd(pos + 1) ? below : table_->Push(below, pos + 1));
    next.insert(next.end(), table_->pool().begin() + begin, table_->pool().begin() + stop);
  }
  // Stacks topped by a character class take its code points (an empty stack
  // takes nothing); invalid UTF-8 they refuse (llama.cpp's keep their stacks
  // as they were: it reads no code point).
  int32_t s = end.nRemain < 0 ? StackTable::kDead : table_->CharsOf(state_);
  for (size_t i = 0; i < cps_.size() && s != StackTable::kDead; i++) s = table_->Next(s, cps_[i]);
  if (s != StackTable::kDead) {
    const auto& stacks = table_->state(s).stacks;
    next.insert(next.end(), stacks.begin(), stacks.end());
  }
  const int32_t state = table_->StateOf(next);
  if (state == StackTable::kDead) {
    throw LlamaException(code::kInvalidArgument, "grammar rejected token " + std::to_string(token) + ": the grammar does not allow it here");
  }
  state_ = state;
  partial_ = end;
}

}  // namespace lg::grammar
