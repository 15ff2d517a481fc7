#include "Processors.h"

#include <cmath>

namespace lg::sampling::hf {
namespace {

// ExponentialDecayLengthPenalty: after `start` generated tokens, each EOS
// score grows by |score| * (factor^(cur_len - start - prompt_length) - 1).
class ExponentialDecayStage : public Stage {
 public:
  ExponentialDecayStage(size_t start, float factor, TokenList eos) : start_(start), factor_(factor), eos_(std::move(eos)) {}
  const char* Name() const override { return "ExponentialDecayLengthPenalty"; }
  bool MayRevive() const override { return true; }  // |-inf| * x: NaN, as in transformers

  void Apply(Scores& scores, const History& h, Candidates&) override {
    const size_t regulationStart = start_ + h.promptLength;
    if (h.length() <= regulationStart) return;
    const double index = static_cast<double>(h.length() - regulationStart);
    const float growth = static_cast<float>(std::pow(static_cast<double>(factor_), index) - 1.0);
    for (llama_token t : eos_) scores[t] = scores[t] + std::fabs(scores[t]) * growth;
  }

 private:
  size_t start_;
  float factor_;
  TokenList eos_;
};

}  // namespace

StagePtr ExponentialDecay(size_t startIndex, float factor, TokenList eos) {
  return std::make_unique<ExponentialDecayStage>(startIndex, factor, std::move(eos));
}

}  // namespace lg::sampling::hf
