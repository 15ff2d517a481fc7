#include "Processors.h"

#include <unordered_map>

namespace lg::sampling::hf {
namespace {

// HammingDiversityLogitsProcessor (group beam search): a token chosen n times
// by the earlier groups in this step loses diversity_penalty × n. The first
// group (no earlier tokens) is left as it is.
class HammingDiversityStage : public Stage {
 public:
  explicit HammingDiversityStage(float penalty) : penalty_(penalty) {}
  const char* Name() const override { return "HammingDiversityLogitsProcessor"; }
  void Apply(Scores& scores, const History& history, Candidates&) override {
    std::unordered_map<llama_token, int32_t> counts;
    for (llama_token t : history.earlierGroupTokens)
      if (t >= 0 && static_cast<size_t>(t) < scores.size()) counts[t]++;
    // float32, as torch computes penalty * bincount.
    for (const auto& [token, count] : counts) scores[static_cast<size_t>(token)] -= penalty_ * static_cast<float>(count);
  }

 private:
  float penalty_;
};

}  // namespace

StagePtr HammingDiversity(float penalty) { return std::make_unique<HammingDiversityStage>(penalty); }

}  // namespace lg::sampling::hf
