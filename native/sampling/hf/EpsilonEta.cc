#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// EpsilonLogitsWarper (cutoff = epsilon) and EtaLogitsWarper (cutoff =
// min(epsilon, sqrt(epsilon) * exp(-entropy))): remove tokens with p < cutoff,
// never those scoring at least the `minKeep`-th best score.
class CutoffStage : public Stage {
 public:
  CutoffStage(const char* name, float epsilon, bool eta, size_t minKeep)
      : name_(name), epsilon_(epsilon), eta_(eta), minKeep_(minKeep) {}
  const char* Name() const override { return name_; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const std::vector<int32_t>& ids = candidates.Of(scores);
    if (ids.empty()) return;
    const double logTotal = LogSumExp(scores, ids);
    double cutoff = epsilon_;
    if (eta_) {
      double entropy = 0.0;
      for (int32_t id : ids) entropy -= (scores[id] - logTotal) * std::exp(scores[id] - logTotal);
      cutoff = std::min<double>(epsilon_, std::sqrt(static_cast<double>(epsilon_)) * std::exp(-entropy));
    }
    const float kth = KthLargest(scores, ids, std::min(minKeep_, scores.size()));
    std::vector<int32_t> removed;
    for (int32_t id : ids) {
      const double p = std::exp(scores[id] - logTotal);
      if (p < cutoff && scores[id] < kth) removed.push_back(id);
    }
    for (int32_t id : removed) scores[id] = -INFINITY;
  }

 private:
  const char* name_;
  float epsilon_;
  bool eta_;
  size_t minKeep_;
};

}  // namespace

StagePtr Epsilon(float epsilon, size_t minKeep) { return std::make_unique<CutoffStage>("EpsilonLogitsWarper", epsilon, false, minKeep); }
StagePtr Eta(float epsilon, size_t minKeep) { return std::make_unique<CutoffStage>("EtaLogitsWarper", epsilon, true, minKeep); }

}  // namespace lg::sampling::hf
