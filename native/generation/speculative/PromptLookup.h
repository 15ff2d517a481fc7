// PromptLookup: transformers' prompt lookup decoding
// (PromptLookupCandidateGenerator, 4.47): the last n tokens of the sequence
// (n from max_matching_ngram_size down to 1) are looked up earlier in the
// sequence, prompt and output alike; the first match's continuation, up to
// prompt_lookup_num_tokens and cut before an end-of-generation token, is the
// draft. A point-mass proposal: no model runs.
#pragma once

#include "Drafter.h"

namespace lg::generation::speculative {

class PromptLookup : public Drafter {
 public:
  PromptLookup(int32_t numTokens, int32_t maxNgram, std::vector<llama_token> eos);
  void Draft(const std::vector<llama_token>& history, int32_t max, std::vector<sampling::Proposal>& out) override;
  int32_t Limit() const override { return numTokens_; }

 private:
  int32_t numTokens_;
  int32_t maxNgram_;
  std::vector<llama_token> eos_;
};

}  // namespace lg::generation::speculative
