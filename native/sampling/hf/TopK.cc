#include "Processors.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>

namespace lg::sampling::hf {
namespace {

// TopKLogitsWarper: removes scores below the k-th largest (ties with it stay).
// The k-th largest comes from one pass with a size-k min-heap: most scores
// fail the comparison with the heap's top, so this costs about one
// comparison per token instead of a selection over the whole vocabulary.
class TopKStage : public Stage {
 public:
  TopKStage(size_t k, size_t minKeep) : k_(std::max(k, minKeep)) {}
  const char* Name() const override { return "TopKLogitsWarper"; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const size_t k = std::min(k_, scores.size());
    if (k == 0) return;
    std::vector<float> heap;
    heap.reserve(k);
    candidates.ForEach(scores, [&](int32_t id) {
      const float s = scores[id];
      if (heap.size() < k) {
        heap.push_back(s);
        std::push_heap(heap.begin(), heap.end(), std::greater<float>());
      } else if (s > heap.front()) {
        std::pop_heap(heap.begin(), heap.end(), std::greater<float>());
        heap.back() = s;
        std::push_heap(heap.begin(), heap.end(), std::greater<float>());
      }
    });
    if (heap.size() < k) return;  // fewer than k finite scores: the k-th is -inf, nothing goes
    const float threshold = heap.front();
    std::vector<int32_t> kept;
    candidates.ForEach(scores, [&](int32_t id) {
      if (scores[id] >= threshold) kept.push_back(id);
    });
    candidates.Set(std::move(kept));  // the rest become -inf (Candidates::Materialize)
  }

 private:
  size_t k_;
};

}  // namespace

StagePtr TopK(size_t k, size_t minKeep) { return std::make_unique<TopKStage>(k, minKeep); }

}  // namespace lg::sampling::hf
