#include "Processors.h"

#include <algorithm>
#include <cmath>

namespace lg::sampling::hf {
namespace {

// ForcedBOSTokenLogitsProcessor / ForcedEOSTokenLogitsProcessor: at one
// length, every score is -inf except the forced token(s), which get 0.
class ForceStage : public Stage {
 public:
  ForceStage(const char* name, size_t atLength, TokenList tokens)
      : name_(name), atLength_(atLength), tokens_(std::move(tokens)) {}
  const char* Name() const override { return name_; }

  void Apply(Scores& scores, const History& h, Candidates& candidates) override {
    if (h.length() != atLength_) return;
    std::fill(scores.begin(), scores.end(), -INFINITY);
    for (llama_token t : tokens_) scores[t] = 0.0f;
    candidates.Set(std::vector<int32_t>(tokens_.begin(), tokens_.end()));
  }

 private:
  const char* name_;
  size_t atLength_;
  TokenList tokens_;
};

}  // namespace

StagePtr ForcedBos(llama_token bos) { return std::make_unique<ForceStage>("ForcedBOSTokenLogitsProcessor", 1, TokenList{bos}); }

StagePtr ForcedEos(size_t maxLength, TokenList eos) {
  // HF acts when cur_len == max_length - 1; a max_length of 0 never triggers.
  const size_t at = maxLength == 0 ? static_cast<size_t>(-1) : maxLength - 1;
  return std::make_unique<ForceStage>("ForcedEOSTokenLogitsProcessor", at, std::move(eos));
}

}  // namespace lg::sampling::hf
