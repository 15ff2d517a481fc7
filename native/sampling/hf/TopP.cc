#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// TopPLogitsWarper. transformers sorts ascending and removes tokens while the
// cumulative probability is <= 1 - top_p, keeping the `minKeep` largest. From
// the top that is: a token stays iff the probability of the tokens ranked
// above it is < top_p. So only the head needs sorting: select the best m
// tokens (m doubling from 64) until their mass reaches top_p.
class TopPStage : public Stage {
 public:
  TopPStage(float p, size_t minKeep) : p_(p), minKeep_(minKeep) {}
  const char* Name() const override { return "TopPLogitsWarper"; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    std::vector<int32_t> ids = candidates.Of(scores);
    if (ids.empty()) return;
    auto better = [&](int32_t a, int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
    const double max = scores[*std::min_element(ids.begin(), ids.end(), better)];
    double total = 0.0;
    for (int32_t id : ids) total += std::exp(static_cast<double>(scores[id]) - max);
    size_t kept = ids.size();
    for (size_t m = std::min<size_t>(64, ids.size());; m = std::min(m * 2, ids.size())) {
      std::partial_sort(ids.begin(), ids.begin() + m, ids.end(), better);
      double above = 0.0;
      size_t i = 0;
      for (; i < m; i++) {
        if (above >= p_ && i >= minKeep_) break;  // mass above this token already reaches top_p
        above += std::exp(static_cast<double>(scores[ids[i]]) - max) / total;
      }
      if (i < m || m == ids.size()) {
        kept = i;
        break;
      }
    }
    for (size_t i = kept; i < ids.size(); i++) scores[ids[i]] = -INFINITY;
    ids.resize(kept);
    candidates.Set(std::move(ids));
  }

 private:
  double p_;
  size_t minKeep_;
};

}  // namespace

StagePtr TopP(float p, size_t minKeep) { return std::make_unique<TopPStage>(p, minKeep); }

}  // namespace lg::sampling::hf
