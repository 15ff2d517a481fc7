#include "Processors.h"
#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {
namespace {

// TypicalLogitsWarper: keeps the tokens whose surprise is closest to the
// entropy, up to a cumulative probability of `mass`.
class TypicalStage : public Stage {
 public:
  TypicalStage(float mass, size_t minKeep) : mass_(mass), minKeep_(minKeep) {}
  const char* Name() const override { return "TypicalLogitsWarper"; }

  void Apply(Scores& scores, const History&) override {
    std::vector<int32_t> ids = FiniteIds(scores);
    if (ids.empty()) return;
    double max = -INFINITY;
    for (int32_t id : ids) max = std::max(max, static_cast<double>(scores[id]));
    double total = 0.0;
    for (int32_t id : ids) total += std::exp(scores[id] - max);
    const double logTotal = max + std::log(total);
    double entropy = 0.0;
    std::vector<double> logp(scores.size());
    for (int32_t id : ids) {
      logp[id] = scores[id] - logTotal;
      entropy -= logp[id] * std::exp(logp[id]);
    }
    std::vector<double> shifted(scores.size());
    for (int32_t id : ids) shifted[id] = std::fabs(-logp[id] - entropy);
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return shifted[a] < shifted[b]; });
    // last_ind = number of sorted tokens whose cumulative probability is below `mass`.
    size_t last = 0;
    double cumulative = 0.0;
    for (int32_t id : ids) {
      cumulative += std::exp(logp[id]);
      if (!(cumulative < mass_)) break;
      last++;
    }
    last = std::min(last, ids.size() - 1);
    const double cut = shifted[ids[last]];
    for (size_t i = minKeep_; i < ids.size(); i++)
      if (shifted[ids[i]] > cut) scores[ids[i]] = -INFINITY;
  }

 private:
  float mass_;
  size_t minKeep_;
};

}  // namespace

StagePtr Typical(float mass, size_t minKeep) { return std::make_unique<TypicalStage>(mass, minKeep); }

}  // namespace lg::sampling::hf
