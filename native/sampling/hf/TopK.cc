#include "Processors.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>

namespace lg::sampling::hf {
namespace {

// TopKLogitsWarper: removes scores below the k-th largest (ties with it
// stay). One pass with a size-k min-heap: most scores lose the comparison
// with the heap's top, so this costs about one comparison per token. Scores
// equal to the top when seen (rejected or evicted) may tie with the final
// threshold, so they are kept aside and checked at the end.
class TopKStage : public Stage {
 public:
  TopKStage(size_t k, size_t minKeep) : k_(std::max(k, minKeep)) {}
  const char* Name() const override { return "TopKLogitsWarper"; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const size_t k = std::min(k_, scores.size());
    if (k == 0) return;
    using Entry = std::pair<float, int32_t>;
    auto greater = [](const Entry& a, const Entry& b) { return a.first > b.first; };
    std::vector<Entry> heap;
    heap.reserve(k);
    std::vector<int32_t> maybeTied;
    candidates.ForEach(scores, [&](int32_t id) {
      const float s = scores[id];
      if (heap.size() < k) {
        heap.emplace_back(s, id);
        std::push_heap(heap.begin(), heap.end(), greater);
      } else if (s > heap.front().first) {
        std::pop_heap(heap.begin(), heap.end(), greater);
        maybeTied.push_back(heap.back().second);
        heap.back() = {s, id};
        std::push_heap(heap.begin(), heap.end(), greater);
      } else if (s == heap.front().first) {
        maybeTied.push_back(id);
      }
    });
    if (heap.size() < k) return;  // fewer than k finite scores: the k-th is -inf, nothing goes
    const float threshold = heap.front().first;
    std::vector<int32_t> kept;
    kept.reserve(heap.size() + maybeTied.size());
    for (const Entry& e : heap) kept.push_back(e.second);
    for (int32_t id : maybeTied)
      if (scores[id] == threshold) kept.push_back(id);
    candidates.Set(std::move(kept));  // the rest become -inf (Candidates::Materialize)
  }

 private:
  size_t k_;
};

}  // namespace

StagePtr TopK(size_t k, size_t minKeep) { return std::make_unique<TopKStage>(k, minKeep); }

}  // namespace lg::sampling::hf
