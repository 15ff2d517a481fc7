#include "Processors.h"

#include <cmath>

namespace lg::sampling::hf {
namespace {

// SuppressTokensLogitsProcessor (always) and SuppressTokensAtBeginLogitsProcessor
// (only at the first generated position).
class SuppressStage : public Stage {
 public:
  SuppressStage(const char* name, TokenList tokens, bool atBeginOnly, bool forcedBos)
      : name_(name), tokens_(std::move(tokens)), atBeginOnly_(atBeginOnly), forcedBos_(forcedBos) {}
  const char* Name() const override { return name_; }

  void Apply(Scores& scores, const History& h, Candidates&) override {
    if (atBeginOnly_) {
      const size_t begin = h.promptLength + (h.promptLength == 1 && forcedBos_ ? 1 : 0);
      if (h.length() != begin) return;
    }
    for (llama_token t : tokens_) scores[t] = -INFINITY;
  }

 private:
  const char* name_;
  TokenList tokens_;
  bool atBeginOnly_;
  bool forcedBos_;
};

}  // namespace

StagePtr SuppressTokens(TokenList tokens) {
  return std::make_unique<SuppressStage>("SuppressTokensLogitsProcessor", std::move(tokens), false, false);
}

StagePtr SuppressTokensAtBegin(TokenList tokens, bool forcedBos) {
  return std::make_unique<SuppressStage>("SuppressTokensAtBeginLogitsProcessor", std::move(tokens), true, forcedBos);
}

}  // namespace lg::sampling::hf
