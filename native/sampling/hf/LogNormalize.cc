#include "Processors.h"
#include "Warper.h"
#include <algorithm>
#include <cmath>

namespace lg::sampling::hf {
namespace {

// LogitNormalization: scores become log-probabilities (log-softmax).
class LogNormalizeStage : public Stage {
 public:
  const char* Name() const override { return "LogitNormalization"; }
  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const std::vector<int32_t>& ids = candidates.Of(scores);
    if (ids.empty()) return;
    const double lse = LogSumExp(scores, ids);
    for (int32_t id : ids) scores[id] = static_cast<float>(static_cast<double>(scores[id]) - lse);
  }
};

}  // namespace

StagePtr LogNormalize() { return std::make_unique<LogNormalizeStage>(); }

}  // namespace lg::sampling::hf
