#include "Processors.h"

#include <unordered_map>

namespace lg::sampling::hf {
namespace {

// RepetitionPenaltyLogitsProcessor: once per distinct token of the whole
// sequence, negative scores are multiplied and others divided by the penalty.
class RepetitionPenaltyStage : public Stage {
 public:
  explicit RepetitionPenaltyStage(float penalty) : penalty_(penalty) {}
  const char* Name() const override { return "RepetitionPenaltyLogitsProcessor"; }

  void Apply(Scores& scores, const History& h, Candidates&) override {
    std::unordered_map<llama_token, float> penalised;  // gathered from the input scores, then scattered
    for (llama_token t : h.ids) {
      if (penalised.count(t)) continue;
      const float s = scores[t];
      penalised[t] = s < 0 ? s * penalty_ : s / penalty_;
    }
    for (const auto& [t, s] : penalised) scores[t] = s;
  }

 private:
  float penalty_;
};

}  // namespace

StagePtr RepetitionPenalty(float penalty) { return std::make_unique<RepetitionPenaltyStage>(penalty); }

}  // namespace lg::sampling::hf
