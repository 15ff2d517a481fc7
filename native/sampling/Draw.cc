#include "Draw.h"

#include "../Errors.h"

#include <cmath>
#include <vector>

namespace lg::sampling {
namespace {

llama_token Argmax(const Scores& scores) {
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); i++)
    if (scores[i] > scores[best]) best = i;
  return static_cast<llama_token>(best);
}

class Greedy : public Draw {
 public:
  llama_token Pick(const Scores& scores) override { return Argmax(scores); }
};

class Distribution : public Draw {
 public:
  explicit Distribution(uint32_t seed) : seed_(seed), rng_(seed) {}

  llama_token Pick(const Scores& scores) override {
    double max = -INFINITY;
    for (float s : scores) max = std::max(max, static_cast<double>(s));
    if (!std::isfinite(max)) return Argmax(scores);
    double total = 0.0;
    for (float s : scores) total += std::exp(s - max);
    const double target = Uniform() * total;
    double cumulative = 0.0;
    llama_token last = 0;
    for (size_t i = 0; i < scores.size(); i++) {
      if (scores[i] == -INFINITY) continue;
      cumulative += std::exp(scores[i] - max);
      last = static_cast<llama_token>(i);
      if (cumulative > target) return last;
    }
    return last;  // rounding: the last finite token
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
};

class Selecting : public Draw {
 public:
  explicit Selecting(llama_sampler* sampler) : sampler_(sampler) {}
  ~Selecting() override { llama_sampler_free(sampler_); }
  Selecting(const Selecting&) = delete;
  Selecting& operator=(const Selecting&) = delete;

  llama_token Pick(const Scores& scores) override {
    buffer_.clear();
    for (size_t i = 0; i < scores.size(); i++)
      if (scores[i] != -INFINITY) buffer_.push_back({static_cast<llama_token>(i), scores[i], 0.0f});
    if (buffer_.empty()) return Argmax(scores);
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
