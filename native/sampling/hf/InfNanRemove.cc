#include "Processors.h"

#include <cmath>
#include <limits>

namespace lg::sampling::hf {
namespace {

// InfNanRemoveLogitsProcessor: NaN -> 0, +inf -> float max, -inf -> float lowest.
class InfNanRemoveStage : public Stage {
 public:
  const char* Name() const override { return "InfNanRemoveLogitsProcessor"; }
  bool MayRevive() const override { return true; }
  void Apply(Scores& scores, const History&, Candidates&) override {
    for (float& s : scores) {
      if (std::isnan(s)) {
        s = 0.0f;
      } else if (std::isinf(s)) {
        s = s > 0 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
      }
    }
  }
};

}  // namespace

StagePtr InfNanRemove() { return std::make_unique<InfNanRemoveStage>(); }

}  // namespace lg::sampling::hf
