#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// MinPLogitsWarper: removes tokens with p < min_p * p_max, keeping the
// `minKeep` most likely regardless.
class MinPStage : public Stage {
 public:
  MinPStage(float p, size_t minKeep) : p_(p), minKeep_(minKeep) {}
  const char* Name() const override { return "MinPLogitsWarper"; }

  void Apply(Scores& scores, const History&) override {
    std::vector<int32_t> ids = FiniteIds(scores);
    if (ids.empty()) return;
    // p_i / p_max = exp(s_i - s_max): no normalisation needed.
    float max = scores[ids[0]];
    for (int32_t id : ids) max = std::max(max, scores[id]);
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
    for (size_t i = minKeep_; i < ids.size(); i++) {
      if (std::exp(static_cast<double>(scores[ids[i]]) - max) < p_) scores[ids[i]] = -INFINITY;
    }
  }

 private:
  float p_;
  size_t minKeep_;
};

}  // namespace

StagePtr MinP(float p, size_t minKeep) { return std::make_unique<MinPStage>(p, minKeep); }

}  // namespace lg::sampling::hf
