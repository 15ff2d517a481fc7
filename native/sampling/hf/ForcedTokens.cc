#include "Processors.h"

#include <algorithm>
#include <cmath>

namespace lg::sampling::hf {
namespace {

// ForcedBOSTokenLogitsProcessor / ForcedEOSTokenLogitsProcessor: at one
// length, every score is -inf except the forced token(s), which get 0.
// `atLength` counts the whole input (prompt + generated), or only the
// generated tokens when `countNewOnly` (max_new_tokens given).
class ForceStage : public Stage {
 public:
  ForceStage(const char* name, size_t atLength, TokenList tokens, bool countNewOnly = false)
      : name_(name), atLength_(atLength), tokens_(std::move(tokens)), countNewOnly_(countNewOnly) {}
  const char* Name() const override { return name_; }

  void Apply(Scores& scores, const History& h, Candidates& candidates) override {
    const size_t length = countNewOnly_ ? h.length() - std::min(h.length(), h.promptLength) : h.length();
    if (length != atLength_) return;
    std::fill(scores.begin(), scores.end(), -INFINITY);
    for (llama_token t : tokens_) scores[t] = 0.0f;
    candidates.Set(std::vector<int32_t>(tokens_.begin(), tokens_.end()));
  }

 private:
  const char* name_;
  size_t atLength_;
  TokenList tokens_;
  bool countNewOnly_;
};

}  // namespace

StagePtr ForcedBos(llama_token bos) { return std::make_unique<ForceStage>("ForcedBOSTokenLogitsProcessor", 1, TokenList{bos}); }

StagePtr ForcedEos(size_t maxLength, size_t maxNewTokens, TokenList eos) {
  // HF acts when cur_len == max_length - 1; generate() sets max_length to
  // prompt + max_new_tokens when max_new_tokens is given, so the EOS then lands
  // on the last new token allowed. A limit of 0 never triggers.
  if (maxNewTokens > 0) return std::make_unique<ForceStage>("ForcedEOSTokenLogitsProcessor", maxNewTokens - 1, std::move(eos), true);
  const size_t at = maxLength == 0 ? static_cast<size_t>(-1) : maxLength - 1;
  return std::make_unique<ForceStage>("ForcedEOSTokenLogitsProcessor", at, std::move(eos));
}

}  // namespace lg::sampling::hf
