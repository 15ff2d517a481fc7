#include "GrammarStage.h"

#include "../Errors.h"
#include "GrammarCache.h"

#include <cstdlib>

namespace lg::grammar {

bool UseLlamaCppEngine(const std::string& engine) {
  std::string choice = engine;
  if (choice.empty()) {
    const char* env = std::getenv("LLAMA_GENERATE_GRAMMAR_ENGINE");
    choice = env != nullptr ? env : "";
    if (choice.empty()) return false;
  }
  if (choice == "llama.cpp") return true;
  if (choice == "llama-generate") return false;
  throw LlamaException(code::kInvalidArgument, "grammar engine must be 'llama-generate' or 'llama.cpp', got '" + choice + "'" +
                                                   (engine.empty() ? " (LLAMA_GENERATE_GRAMMAR_ENGINE)" : ""));
}

GrammarStage::GrammarStage(const llama_vocab* vocab, std::string text, std::string root, bool lazy,
                           const std::vector<std::string>& triggerPatterns, std::vector<int32_t> triggerTokens)
    : vocab_(vocab), text_(std::move(text)), root_(std::move(root)), trigger_(lazy, triggerPatterns, std::move(triggerTokens)) {
  compiled_ = FindCompiled(vocab_, root_, text_);
  if (!compiled_) rules_ = GrammarRules::Parse(vocab_, text_, root_);  // refuse a bad grammar now
}

void GrammarStage::Ready() {
  if (matcher_) return;
  if (!compiled_) compiled_ = Compiled(vocab_, root_, text_, rules_);
  rules_.reset();
  mask_ = std::make_unique<TokenMask>(compiled_->trie().nVocab());
  matcher_ = std::make_unique<GrammarMatcher>(compiled_);
}

void GrammarStage::Apply(sampling::Scores& scores, const sampling::History& /*history*/, sampling::Candidates& candidates) {
  Ready();
  if (trigger_.awaiting()) return;  // a lazy grammar constrains nothing before its trigger
  matcher_->FillMask(*mask_);
  mask_->Apply(scores, candidates);
}

bool GrammarStage::CheckArgmaxFirst() {
  Ready();
  return trigger_.awaiting() || matcher_->LikelyDense();
}

bool GrammarStage::Keeps(llama_token token) {
  Ready();
  if (trigger_.awaiting()) return true;
  try {
    return matcher_->Allows(token);
  } catch (const StackTable::Overflow&) {
    return false;  // the full mask decides (it falls back to llama.cpp's evaluation)
  }
}

void GrammarStage::Accept(llama_token token, bool isPrompt) {
  if (isPrompt) return;  // the grammar covers the generated text only
  Ready();
  const VocabTrie& trie = compiled_->trie();
  const std::string piece(trie.Piece(token));
  if (trigger_.awaiting()) {
    if (trigger_.Feed(token, piece, replay_))
      for (const auto& [t, p] : replay_) matcher_->AcceptPiece(t, p);
    return;
  }
  if (trie.IsEog(token)) {
    if (!matcher_->CanEnd()) throw LlamaException(code::kInvalidArgument, "grammar rejected token " + std::to_string(token) + ": the grammar cannot end here");
    return;
  }
  matcher_->AcceptPiece(token, piece);
}

void GrammarStage::Reset() {
  trigger_.Reset();
  if (matcher_) matcher_->Reset();
}

}  // namespace lg::grammar
