#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// MinPLogitsWarper: removes tokens with p < min_p * p_max (p / p_max is
// exp(s - s_max), no normalisation needed), never the `minKeep` most likely.
class MinPStage : public Stage {
 public:
  MinPStage(float p, size_t minKeep) : p_(p), minKeep_(minKeep) {}
  const char* Name() const override { return "MinPLogitsWarper"; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const std::vector<int32_t>& ids = candidates.Of(scores);
    if (ids.empty()) return;
    float max = -INFINITY;
    for (int32_t id : ids) max = std::max(max, scores[id]);
    const float keep = minKeep_ > 1 ? KthLargest(scores, ids, minKeep_) : max;
    // p / p_max < min_p  <=>  s < max + log(min_p); exp() only near that cut, for exactness.
    const double cut = static_cast<double>(max) + std::log(static_cast<double>(p_));
    for (int32_t id : ids) {
      const double s = scores[id];
      if (scores[id] >= keep || s > cut + 1e-6) continue;
      if (s < cut - 1e-6 || std::exp(s - max) < p_) scores[id] = -INFINITY;
    }
  }

 private:
  float p_;
  size_t minKeep_;
};

}  // namespace

StagePtr MinP(float p, size_t minKeep) { return std::make_unique<MinPStage>(p, minKeep); }

}  // namespace lg::sampling::hf
