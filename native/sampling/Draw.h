// Draw: the last step of a chain, picking one token from processed scores:
// argmax (greedy), a seeded draw from softmax(scores), or a llama.cpp
// selecting sampler (mirostat v1/v2, adaptive-p).
#pragma once

#include "Proposal.h"
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

  // Speculative decoding (see Proposal.h). Whether this draw can judge and
  // make proposals: the argmax and the seeded draw can, llama.cpp's selecting
  // samplers (mirostat, adaptive-p) cannot.
  virtual bool Speculates() const { return false; }
  // A random stream of its own, derived from the seed: a draft's chain is
  // built from its target's plan, and a proposal drawn with the numbers that
  // then judge it would not be exact.
  virtual void SeparateStream() {}
  // Picks as Pick does and describes the distribution the pick came from
  // (`out.q`), with the picked token's probability under softmax(scores)
  // (transformers' ConfidenceCriteria reads it).
  virtual llama_token Propose(const Scores& scores, Candidates& candidates, Proposal& out, double& confidence);
  // The decision on a proposal, from scores processed by every stage.
  virtual Verdict Verify(const Scores& scores, Candidates& candidates, const Proposal& proposal);
};

// The first highest of `n` dense scores (token 0 when every score is -inf;
// a NaN never compares higher), as transformers' argmax.
llama_token ArgmaxOf(const float* scores, size_t n);

std::unique_ptr<Draw> GreedyDraw();
// Portable: std::mt19937 and a 53-bit uniform, identical on every platform.
std::unique_ptr<Draw> DistributionDraw(uint32_t seed);
// Takes ownership of a llama.cpp sampler that selects (sets `selected`).
std::unique_ptr<Draw> LlamaDraw(llama_sampler* sampler);

}  // namespace lg::sampling
