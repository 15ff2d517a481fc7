#include "Processors.h"
#include "Warper.h"

#include <algorithm>
#include <numeric>

namespace lg::sampling::hf {
namespace {

// TypicalLogitsWarper: keeps the tokens whose surprise is closest to the
// entropy, up to a cumulative probability of `mass`.
class TypicalStage : public Stage {
 public:
  TypicalStage(float mass, size_t minKeep) : mass_(mass), minKeep_(minKeep) {}
  const char* Name() const override { return "TypicalLogitsWarper"; }

  void Apply(Scores& scores, const History&, Candidates& candidates) override {
    const std::vector<int32_t>& ids = candidates.Of(scores);
    const size_t n = ids.size();
    if (n == 0) return;
    const double logTotal = LogSumExp(scores, ids);
    std::vector<double> logp(n);
    double entropy = 0.0;
    for (size_t i = 0; i < n; i++) {
      logp[i] = scores[ids[i]] - logTotal;
      entropy -= logp[i] * std::exp(logp[i]);
    }
    std::vector<double> shifted(n);
    for (size_t i = 0; i < n; i++) shifted[i] = std::fabs(-logp[i] - entropy);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return shifted[a] < shifted[b]; });
    // last = number of sorted tokens whose cumulative probability is below `mass`.
    size_t last = 0;
    double cumulative = 0.0;
    for (size_t i : order) {
      cumulative += std::exp(logp[i]);
      if (!(cumulative < mass_)) break;
      last++;
    }
    last = std::min(last, n - 1);
    const double cut = shifted[order[last]];
    std::vector<int32_t> removed;
    for (size_t r = minKeep_; r < n; r++)
      if (shifted[order[r]] > cut) removed.push_back(ids[order[r]]);
    for (int32_t id : removed) scores[id] = -INFINITY;
  }

 private:
  float mass_;
  size_t minKeep_;
};

}  // namespace

StagePtr Typical(float mass, size_t minKeep) { return std::make_unique<TypicalStage>(mass, minKeep); }

}  // namespace lg::sampling::hf
