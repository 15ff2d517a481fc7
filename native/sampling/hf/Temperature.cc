#include "Processors.h"

namespace lg::sampling::hf {
namespace {

// TemperatureLogitsWarper: scores / temperature, in float32 as transformers does.
class TemperatureStage : public Stage {
 public:
  explicit TemperatureStage(float t) : t_(t) {}
  const char* Name() const override { return "TemperatureLogitsWarper"; }
  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const float t = t_;  // > 0, so -inf stays -inf
    candidates.Map(scores, [t](float s) { return s / t; });
  }

 private:
  float t_;
};

}  // namespace

StagePtr Temperature(float temperature) { return std::make_unique<TemperatureStage>(temperature); }

}  // namespace lg::sampling::hf
