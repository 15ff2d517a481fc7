#include "Processors.h"
#include "../Softmax.h"

namespace lg::sampling::hf {
namespace {

// LogitNormalization: scores become log-probabilities (log-softmax).
class LogNormalizeStage : public Stage {
 public:
  const char* Name() const override { return "LogitNormalization"; }
  void Apply(Scores& scores, const History&) override {
    const double lse = LogSumExp(scores);
    for (float& s : scores) s = static_cast<float>(static_cast<double>(s) - lse);
  }
};

}  // namespace

StagePtr LogNormalize() { return std::make_unique<LogNormalizeStage>(); }

}  // namespace lg::sampling::hf
