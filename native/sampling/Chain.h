// Chain: the stages of one generation's sampler, its draw and the token
// history they read. Built from a plan made in TypeScript
// (lib/sampling/plan.ts): an ordered list of stage descriptors.
#pragma once

#include "Draw.h"
#include "Stage.h"

#include <memory>
#include <vector>

namespace lg::sampling {

class Chain {
 public:
  Chain(size_t vocabSize, std::vector<std::unique_ptr<Stage>> stages, std::unique_ptr<Draw> draw);

  size_t vocabSize() const { return vocabSize_; }
  size_t size() const { return stages_.size(); }
  const History& history() const { return history_; }

  // Sets the prompt: resets every stage, then feeds it the prompt tokens.
  void SetPrompt(const std::vector<llama_token>& prompt);
  // Applies stages [from, to) to `scores` (full vocabulary).
  void Apply(Scores& scores, size_t from, size_t to);
  // The draw alone, on scores processed elsewhere.
  llama_token Pick(const Scores& scores);
  // Every stage, then the draw (reusing what the stages learnt about which
  // tokens are left). Does not accept the token.
  llama_token Sample(Scores& scores);
  // Sample on a row of `n` logits that must stay as it is: a chain that is
  // a plain argmax reads the row, any other works on a copy in `buffer`.
  llama_token SampleRow(const float* row, size_t n, Scores& buffer);
  // Appends a generated token to the history and advances stateful stages.
  void Accept(llama_token token);
  // Back to the state right after SetPrompt.
  void Reset();
  // Speculative decoding (Proposal.h): whether the draw can propose and verify.
  bool Speculates() const { return draw_->Speculates(); }
  // See Draw::SeparateStream (a speculative draft's chain).
  void SeparateStream() { draw_->SeparateStream(); }
  // Every stage, then the draw's proposal (as Sample, with q and the pick's
  // probability) or its verdict on a proposal. Neither accepts the token.
  llama_token Propose(Scores& scores, Proposal& out, double& confidence);
  // `dense`: leave `scores` fully processed (-inf on every removed token), for output_scores.
  Verdict Verify(Scores& scores, const Proposal& proposal, bool dense = false);
  // A chain whose stages keep no state besides the history can move back:
  // Rewind drops generated tokens down to `length` (never the prompt).
  bool Rewindable() const;
  void Rewind(size_t length);
  // Group beam search: what the earlier groups chose in this step (see History).
  void SetEarlierGroupTokens(std::vector<llama_token> tokens) { history_.earlierGroupTokens = std::move(tokens); }

 private:
  size_t vocabSize_;
  std::vector<std::unique_ptr<Stage>> stages_;
  void ApplyStages(Scores& scores, size_t from, size_t to);

  std::unique_ptr<Draw> draw_;
  History history_;
  Candidates candidates_;
};

}  // namespace lg::sampling
