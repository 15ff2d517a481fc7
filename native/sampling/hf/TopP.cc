#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// TopPLogitsWarper: sorts ascending, removes tokens while the cumulative
// probability is <= 1 - top_p, always keeping the `minKeep` largest.
class TopPStage : public Stage {
 public:
  TopPStage(float p, size_t minKeep) : threshold_(static_cast<float>(1.0 - static_cast<double>(p))), minKeep_(minKeep) {}
  const char* Name() const override { return "TopPLogitsWarper"; }

  void Apply(Scores& scores, const History&) override {
    std::vector<int32_t> ids = FiniteIds(scores);
    if (ids.empty()) return;
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return scores[a] < scores[b]; });
    const double max = scores[ids.back()];
    double total = 0.0;
    for (int32_t id : ids) total += std::exp(static_cast<double>(scores[id]) - max);
    const size_t keepFrom = ids.size() > minKeep_ ? ids.size() - minKeep_ : 0;
    double cumulative = 0.0;
    for (size_t i = 0; i < keepFrom; i++) {
      cumulative += std::exp(static_cast<double>(scores[ids[i]]) - max) / total;
      if (cumulative > threshold_) break;
      scores[ids[i]] = -INFINITY;
    }
  }

 private:
  float threshold_;
  size_t minKeep_;
};

}  // namespace

StagePtr TopP(float p, size_t minKeep) { return std::make_unique<TopPStage>(p, minKeep); }

}  // namespace lg::sampling::hf
