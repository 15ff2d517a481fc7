// Draw: the last step of a chain, picking one token from processed scores:
// argmax (greedy), a seeded draw from softmax(scores), or a llama.cpp
// selecting sampler (mirostat v1/v2, adaptive-p).
#pragma once

#include "Stage.h"

#include <memory>
#include <random>

namespace lg::sampling {

class Draw {
 public:
  virtual ~Draw() = default;
  virtual llama_token Pick(const Scores& scores, Candidates& candidates) = 0;
  // The argmax: the first highest score, reading nothing but the scores.
  virtual bool IsArgmax() const { return false; }
  virtual void Accept(llama_token /*token*/) {}
  virtual void Reset() {}
};

std::unique_ptr<Draw> GreedyDraw();
// Portable: std::mt19937 and a 53-bit uniform, identical on every platform.
std::unique_ptr<Draw> DistributionDraw(uint32_t seed);
// Takes ownership of a llama.cpp sampler that selects (sets `selected`).
std::unique_ptr<Draw> LlamaDraw(llama_sampler* sampler);

}  // namespace lg::sampling
