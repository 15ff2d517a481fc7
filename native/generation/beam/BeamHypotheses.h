// BeamHypotheses: transformers' list of finished hypotheses of one beam
// search (or of one group of a group beam search): the `capacity` best by
// score = sum of log-probs / generated length ** length_penalty, and the
// is_done rule of early_stopping.
#pragma once

#include "BeamConfig.h"

#include <vector>

namespace lg::generation::beam {

struct Hypothesis {
  double score = 0;                 // normalised by length (HF's sequences_scores, before the float32 cast)
  std::vector<llama_token> tokens;  // generated tokens, without the EOS that ended it
  llama_token eos = -1;             // the EOS id that ended it; -1 when it was still running at the end
};

class BeamHypotheses {
 public:
  // `maxNewTokens` = max_length - prompt length (for early_stopping "never").
  BeamHypotheses(size_t capacity, double lengthPenalty, EarlyStopping earlyStopping, int32_t maxNewTokens);

  // Offers a hypothesis: `sumLogprobs` is its float32 running score,
  // `generatedLength` its length as transformers counts it (the EOS included).
  void Add(std::vector<llama_token> tokens, llama_token eos, float sumLogprobs, int32_t generatedLength);
  // Whether no running beam can beat the worst kept hypothesis any more:
  // `best` is the step's best candidate score, `generatedLength` the length after the step.
  bool IsDone(float best, int32_t generatedLength) const;

  size_t size() const { return items_.size(); }
  // In insertion order (with evictions), as transformers keeps them.
  const std::vector<Hypothesis>& items() const { return items_; }

 private:
  size_t capacity_;
  double lengthPenalty_;
  EarlyStopping earlyStopping_;
  int32_t maxNewTokens_;
  std::vector<Hypothesis> items_;
  double worst_ = 1e9;
};

}  // namespace lg::generation::beam
