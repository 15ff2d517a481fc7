#include "Processors.h"

#include <cmath>

namespace lg::sampling::hf {
namespace {

// MinLengthLogitsProcessor / MinNewTokensLengthLogitsProcessor: EOS is
// impossible until the sequence (or its generated part) is long enough.
class EosMaskStage : public Stage {
 public:
  EosMaskStage(const char* name, size_t minimum, bool countNewOnly, TokenList eos)
      : name_(name), minimum_(minimum), countNewOnly_(countNewOnly), eos_(std::move(eos)) {}
  const char* Name() const override { return name_; }

  void Apply(Scores& scores, const History& h, Candidates&) override {
    const size_t length = countNewOnly_ ? h.length() - std::min(h.length(), h.promptLength) : h.length();
    if (length >= minimum_) return;
    for (llama_token t : eos_) scores[t] = -INFINITY;
  }

 private:
  const char* name_;
  size_t minimum_;
  bool countNewOnly_;
  TokenList eos_;
};

}  // namespace

StagePtr MinLength(size_t minLength, TokenList eos) {
  return std::make_unique<EosMaskStage>("MinLengthLogitsProcessor", minLength, false, std::move(eos));
}

StagePtr MinNewTokens(size_t minNewTokens, TokenList eos) {
  return std::make_unique<EosMaskStage>("MinNewTokensLengthLogitsProcessor", minNewTokens, true, std::move(eos));
}

}  // namespace lg::sampling::hf
