#include "Draw.h"

#include "../Errors.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lg::sampling {
namespace {

// Skims blocks of 64 scores by their maximum, kept in 16 independent lanes
// so that the compiler can vectorize it (one running maximum would be a chain
// of dependent scalar comparisons: floats do not reassociate). A lane starts
// at -inf and takes a score only when it is higher, so NaN never enters it.
float BlockMax(const float* p) {
  constexpr size_t kLanes = 16;
  float lane[kLanes];
  for (size_t k = 0; k < kLanes; k++) lane[k] = -INFINITY;
  for (size_t j = 0; j < 64; j += kLanes)
    for (size_t k = 0; k < kLanes; k++) lane[k] = p[j + k] > lane[k] ? p[j + k] : lane[k];
  float m = -INFINITY;
  for (size_t k = 0; k < kLanes; k++) m = lane[k] > m ? lane[k] : m;
  return m;
}

}  // namespace

// The first finite-or-NaN score starts, then only a strictly higher score
// replaces it (NaN and -inf never compare higher): the same token as the
// loop over candidates in Argmax below, whole blocks skipped when their
// maximum is not higher.
llama_token ArgmaxOf(const float* p, size_t n) {
  size_t i = 0;
  while (i < n && p[i] == -INFINITY) i++;
  if (i == n) return 0;
  size_t best = i;
  float top = p[i];
  if (std::isnan(top)) return static_cast<llama_token>(i);  // nothing compares higher than the first
  constexpr size_t kBlock = 64;
  for (i++; i < n && i % kBlock != 0; i++)
    if (p[i] > top) top = p[best = i];
  for (; i + kBlock <= n; i += kBlock) {
    if (!(BlockMax(p + i) > top)) continue;
    for (size_t k = 0; k < kBlock; k++)
      if (p[i + k] > top) top = p[best = i + k];
  }
  for (; i < n; i++)
    if (p[i] > top) top = p[best = i];
  return static_cast<llama_token>(best);
}

namespace {

// The first highest score (token 0 when every score is -inf).
llama_token Argmax(const Scores& scores, const Candidates& candidates) {
  if (!candidates.known()) return ArgmaxOf(scores.data(), scores.size());
  llama_token best = -1;  // only candidates count: other scores may be stale
  candidates.ForEach(scores, [&](int32_t id) {
    if (best < 0 || scores[id] > scores[best] || (scores[id] == scores[best] && id < best)) best = id;
  });
  return best < 0 ? 0 : best;
}

// softmax(scores) over the finite tokens, in id order: false when none is finite.
bool Softmax(const Scores& scores, Candidates& candidates, std::vector<int32_t>& ids, std::vector<double>& probs) {
  ids = candidates.Of(scores);
  if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());
  double max = -INFINITY;
  for (int32_t id : ids) max = std::max(max, static_cast<double>(scores[id]));
  if (ids.empty() || !std::isfinite(max)) return false;
  probs.resize(ids.size());
  double total = 0.0;
  for (size_t j = 0; j < ids.size(); j++) total += probs[j] = std::exp(scores[ids[j]] - max);
  for (double& p : probs) p /= total;
  return true;
}

double ProbabilityOf(llama_token token, const std::vector<int32_t>& ids, const std::vector<double>& probs) {
  const auto it = std::lower_bound(ids.begin(), ids.end(), token);
  return it != ids.end() && *it == token ? probs[static_cast<size_t>(it - ids.begin())] : 0.0;
}

class Greedy : public Draw {
 public:
  llama_token Pick(const Scores& scores, Candidates& candidates) override { return Argmax(scores, candidates); }
  bool IsArgmax() const override { return true; }
  bool Speculates() const override { return true; }

  llama_token Propose(const Scores& scores, Candidates& candidates, Proposal& out, double& confidence) override {
    out.token = Argmax(scores, candidates);
    out.q.clear();  // a point mass: greedy verification compares tokens only
    confidence = Softmax(scores, candidates, ids_, probs_) ? ProbabilityOf(out.token, ids_, probs_) : 1.0;
    return out.token;
  }
  Verdict Verify(const Scores& scores, Candidates& candidates, const Proposal& proposal) override {
    const llama_token best = Argmax(scores, candidates);
    return {best == proposal.token, best};
  }

 private:
  std::vector<int32_t> ids_;
  std::vector<double> probs_;
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
  bool Speculates() const override { return true; }
  void SeparateStream() override {
    seed_ = seed_ * 2654435761u + 0x9e3779b9u;  // x * (even + 1) + odd: never x itself
    rng_.seed(seed_);
  }

  llama_token Propose(const Scores& scores, Candidates& candidates, Proposal& out, double& confidence) override {
    out.q.clear();
    if (!Softmax(scores, candidates, finite_, probs_)) {
      out.token = Argmax(scores, candidates);
      confidence = 1.0;
      return out.token;
    }
    out.token = Choose(finite_, probs_, 1.0);
    for (size_t j = 0; j < finite_.size(); j++) out.q.emplace_back(finite_[j], probs_[j]);
    confidence = ProbabilityOf(out.token, finite_, probs_);
    return out.token;
  }

  // Accepted with probability min(1, p/q); otherwise a draw from the
  // residual max(0, p - q), normalised (Leviathan et al. 2023, Chen et al. 2023).
  Verdict Verify(const Scores& scores, Candidates& candidates, const Proposal& proposal) override {
    if (!Softmax(scores, candidates, finite_, probs_)) {
      const llama_token best = Argmax(scores, candidates);
      return {best == proposal.token, best};
    }
    const double p = ProbabilityOf(proposal.token, finite_, probs_);
    const double q = proposal.QOf(proposal.token);
    if (q > 0.0 && Uniform() * q < p) return {true, proposal.token};
    residual_.resize(finite_.size());
    double total = 0.0;
    for (size_t j = 0; j < finite_.size(); j++) total += residual_[j] = std::max(0.0, probs_[j] - proposal.QOf(finite_[j]));
    if (!(total > 0.0)) return {false, Choose(finite_, probs_, 1.0)};  // p <= q everywhere: only rounding gets here
    return {false, Choose(finite_, residual_, total)};
  }

 private:
  // A draw from `weights` (summing to `total`) over `ids`.
  llama_token Choose(const std::vector<int32_t>& ids, const std::vector<double>& weights, double total) {
    const double target = Uniform() * total;
    double cumulative = 0.0;
    for (size_t j = 0; j < ids.size(); j++) {
      cumulative += weights[j];
      if (cumulative > target) return ids[j];
    }
    for (size_t j = ids.size(); j-- > 0;)  // rounding: the last token with weight
      if (weights[j] > 0.0) return ids[j];
    return ids.back();
  }

  double Uniform() {
    const uint64_t a = rng_() >> 5;
    const uint64_t b = rng_() >> 6;
    return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
  }

  uint32_t seed_;
  std::mt19937 rng_;
  std::vector<int32_t> finite_;
  std::vector<double> weights_;
  std::vector<double> probs_;
  std::vector<double> residual_;
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

llama_token Draw::Propose(const Scores&, Candidates&, Proposal&, double&) {
  throw LlamaException(code::kNotImplemented, "this sampler cannot draft for speculative decoding");
}

Verdict Draw::Verify(const Scores&, Candidates&, const Proposal&) {
  throw LlamaException(code::kNotImplemented, "this sampler cannot verify speculative drafts");
}

std::unique_ptr<Draw> GreedyDraw() { return std::make_unique<Greedy>(); }
std::unique_ptr<Draw> DistributionDraw(uint32_t seed) { return std::make_unique<Distribution>(seed); }
std::unique_ptr<Draw> LlamaDraw(llama_sampler* sampler) { return std::make_unique<Selecting>(sampler); }

}  // namespace lg::sampling
