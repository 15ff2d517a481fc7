#include "Draw.h"

#include "../Errors.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lg::sampling {
namespace {

// Argmax over the whole vector, in id order: the same token as the loop in
// Argmax below (the first finite-or-NaN score starts, then only a strictly
// higher score replaces it; NaN and -inf never compare higher), but skimming
// blocks of 16 scores by their maximum, which the compiler can vectorize.
llama_token DenseArgmax(const Scores& scores) {
  const float* p = scores.data();
  const size_t n = scores.size();
  size_t i = 0;
  while (i < n && p[i] == -INFINITY) i++;
  if (i == n) return 0;
  size_t best = i;
  float top = p[i];
  if (std::isnan(top)) return static_cast<llama_token>(i);  // nothing compares higher than the first
  constexpr size_t kBlock = 16;
  for (i++; i < n && i % kBlock != 0; i++)
    if (p[i] > top) top = p[best = i];
  for (; i + kBlock <= n; i += kBlock) {
    float m = -INFINITY;
    for (size_t k = 0; k < kBlock; k++) m = p[i + k] > m ? p[i + k] : m;
    if (!(m > top)) continue;
    for (size_t k = 0; k < kBlock; k++)
      if (p[i + k] > top) top = p[best = i + k];
  }
  for (; i < n; i++)
    if (p[i] > top) top = p[best = i];
  return static_cast<llama_token>(best);
}

// The first highest score (token 0 when every score is -inf).
llama_token Argmax(const Scores& scores, const Candidates& candidates) {
  if (!candidates.known()) return DenseArgmax(scores);
  llama_token best = -1;  // only candidates count: other scores may be stale
  candidates.ForEach(scores, [&](int32_t id) {
    if (best < 0 || scores[id] > scores[best] || (scores[id] == scores[best] && id < best)) best = id;
  });
  return best < 0 ? 0 : best;
}

class Greedy : public Draw {
 public:
  llama_token Pick(const Scores& scores, Candidates& candidates) override { return Argmax(scores, candidates); }
  bool IsArgmax() const override { return true; }
};

class Distribution : public Draw {
 public:
  explicit Distribution(uint32_t seed) : seed_(seed), rng_(seed) {}

  llama_token Pick(const Scores& scores, Candidates& candidates) override {
    // Only the finite scores matter; after truncation they are few. Visit
    // them in id order so the draw does not depend on how they were found.
    finite_ = candidates.Of(scores);
    if (!std::is_sorted(finite_.begin(), finite_.end())) std::sort(finite_.begin(), finite_.end());
    double max = -INFINITY;
    for (int32_t id : finite_) max = std::max(max, static_cast<double>(scores[id]));
    if (finite_.empty() || !std::isfinite(max)) return Argmax(scores, candidates);
    weights_.resize(finite_.size());
    double total = 0.0;
    for (size_t j = 0; j < finite_.size(); j++) total += weights_[j] = std::exp(scores[finite_[j]] - max);
    const double target = Uniform() * total;
    double cumulative = 0.0;
    for (size_t j = 0; j < finite_.size(); j++) {
      cumulative += weights_[j];
      if (cumulative > target) return finite_[j];
    }
    return finite_.back();  // rounding: the last finite token
  }

  void Reset() override { rng_.seed(seed_); }

 private:
  double Uniform() {
    const uint64_t a = rng_() >> 5;
    const uint64_t b = rng_() >> 6;
    return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
  }

  uint32_t seed_;
  std::mt19937 rng_;
  std::vector<int32_t> finite_;
  std::vector<double> weights_;
};

class Selecting : public Draw {
 public:
  explicit Selecting(llama_sampler* sampler) : sampler_(sampler) {}
  ~Selecting() override { llama_sampler_free(sampler_); }
  Selecting(const Selecting&) = delete;
  Selecting& operator=(const Selecting&) = delete;

  llama_token Pick(const Scores& scores, Candidates& candidates) override {
    buffer_.clear();
    for (int32_t id : candidates.Of(scores)) buffer_.push_back({id, scores[id], 0.0f});
    if (buffer_.empty()) return Argmax(scores, candidates);
    llama_token_data_array array{buffer_.data(), buffer_.size(), -1, false};
    llama_sampler_apply(sampler_, &array);
    if (array.selected < 0 || static_cast<size_t>(array.selected) >= array.size) {
      throw LlamaException(code::kInternal, std::string(llama_sampler_name(sampler_)) + " selected no token");
    }
    return array.data[array.selected].id;
  }
  void Accept(llama_token token) override { llama_sampler_accept(sampler_, token); }
  void Reset() override { llama_sampler_reset(sampler_); }

 private:
  llama_sampler* sampler_;
  std::vector<llama_token_data> buffer_;
};

}  // namespace

std::unique_ptr<Draw> GreedyDraw() { return std::make_unique<Greedy>(); }
std::unique_ptr<Draw> DistributionDraw(uint32_t seed) { return std::make_unique<Distribution>(seed); }
std::unique_ptr<Draw> LlamaDraw(llama_sampler* sampler) { return std::make_unique<Selecting>(sampler); }

}  // namespace lg::sampling
