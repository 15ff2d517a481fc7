#include "Processors.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <type_traits>

namespace lg::sampling::hf {
namespace {

// TopKLogitsWarper: removes scores below the k-th largest (ties with it
// stay). One pass with a size-k min-heap: most scores lose the comparison
// with the heap's top, so this costs about one comparison per token. Scores
// equal to the top when seen (rejected or evicted) may tie with the final
// threshold, so they are kept aside and checked at the end.
// The id source of a dense pass (ids 0..n-1, scores read in order).
struct DenseIds {
  int32_t operator()(size_t i) const { return static_cast<int32_t>(i); }
};
template <typename IdAt>
constexpr bool kDense = std::is_same_v<IdAt, DenseIds>;

class TopKStage : public Stage {
  using Entry = std::pair<float, int32_t>;
  static bool Greater(const Entry& a, const Entry& b) { return a.first > b.first; }

  // Collects the ids scoring at least the k-th largest finite score among
  // ids idAt(0..count); false when fewer than k are finite (nothing goes).
  template <typename IdAt>
  static bool Select(const Scores& scores, size_t k, size_t count, IdAt idAt, std::vector<int32_t>& kept) {
    std::vector<Entry> heap;
    heap.reserve(k);
    size_t i = 0;
    for (; i < count && heap.size() < k; i++) {
      const int32_t id = idAt(i);
      if (scores[id] != -INFINITY) heap.emplace_back(scores[id], id);
    }
    if (heap.size() < k) return false;
    std::make_heap(heap.begin(), heap.end(), Greater);
    std::vector<int32_t> maybeTied;  // equal to the heap's top when seen: may tie with the final threshold
    float min = heap.front().first;
    auto visit = [&](size_t at) {
      const int32_t id = idAt(at);
      const float s = scores[id];
      if (s < min) return;  // the common case: one comparison per token
      if (s == min) {
        maybeTied.push_back(id);
        return;
      }
      std::pop_heap(heap.begin(), heap.end(), Greater);
      maybeTied.push_back(heap.back().second);
      heap.back() = {s, id};
      std::push_heap(heap.begin(), heap.end(), Greater);
      min = heap.front().first;
    };
    if constexpr (kDense<IdAt>) {
      // Blocks of 16: one vectorisable max decides whether any token of the block matters.
      constexpr size_t kBlock = 16;
      for (; i % kBlock != 0 && i < count; i++) visit(i);
      for (; i + kBlock <= count; i += kBlock) {
        float blockMax = scores[i];
        for (size_t j = 1; j < kBlock; j++) blockMax = std::max(blockMax, scores[i + j]);
        if (blockMax < min) continue;
        for (size_t j = 0; j < kBlock; j++) visit(i + j);
      }
    }
    for (; i < count; i++) visit(i);
    kept.reserve(heap.size() + maybeTied.size());
    for (const Entry& e : heap) kept.push_back(e.second);
    for (int32_t id : maybeTied)
      if (scores[id] == min) kept.push_back(id);
    return true;
  }

 public:
  TopKStage(size_t k, size_t minKeep) : k_(std::max(k, minKeep)) {}
  const char* Name() const override { return "TopKLogitsWarper"; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const size_t k = std::min(k_, scores.size());
    if (k == 0) return;
    std::vector<int32_t> kept;
    if (candidates.known()) {
      const std::vector<int32_t>& ids = candidates.Of(scores);
      if (!Select(scores, k, ids.size(), [&](size_t i) { return ids[i]; }, kept)) return;
    } else {
      if (!Select(scores, k, scores.size(), DenseIds{}, kept)) return;
    }
    candidates.Set(std::move(kept));  // the rest become -inf (Candidates::Materialize)
  }

 private:
  size_t k_;
};

}  // namespace

StagePtr TopK(size_t k, size_t minKeep) { return std::make_unique<TopKStage>(k, minKeep); }

}  // namespace lg::sampling::hf
