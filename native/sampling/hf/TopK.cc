#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// TopKLogitsWarper: removes scores below the k-th largest (ties with it stay).
class TopKStage : public Stage {
 public:
  TopKStage(size_t k, size_t minKeep) : k_(std::max(k, minKeep)) {}
  const char* Name() const override { return "TopKLogitsWarper"; }
  void Apply(Scores& scores, const History&) override {
    const std::vector<int32_t> finite = FiniteIds(scores);
    const float threshold = KthLargest(scores, finite, std::min(k_, scores.size()));
    for (int32_t id : finite)
      if (scores[id] < threshold) scores[id] = -INFINITY;
  }

 private:
  size_t k_;
};

}  // namespace

StagePtr TopK(size_t k, size_t minKeep) { return std::make_unique<TopKStage>(k, minKeep); }

}  // namespace lg::sampling::hf
