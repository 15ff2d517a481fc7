// BeamConfig: what a beam-search request asks for (transformers'
// num_beams, num_beam_groups, num_return_sequences, length_penalty,
// early_stopping, do_sample and force_words_ids). Parsed by
// native/Generation.cc; read-only afterwards.
#pragma once

#include <llama.h>

#include <cstdint>
#include <vector>

namespace lg::generation::beam {

// transformers' early_stopping: true, false (a heuristic) or "never".
enum class EarlyStopping { kFalse, kTrue, kNever };

// One force_words_ids entry: a phrase (one word: its tokens, consecutively)
// or a disjunction (any one of several words).
struct ConstraintSpec {
  bool disjunctive = false;
  std::vector<std::vector<llama_token>> words;
};

struct BeamConfig {
  int32_t numBeams = 2;
  int32_t groups = 1;     // num_beam_groups: group (diverse) beam search when > 1
  int32_t numReturn = 1;  // num_return_sequences <= numBeams
  double lengthPenalty = 1.0;
  EarlyStopping earlyStopping = EarlyStopping::kFalse;
  bool doSample = false;  // beam sampling: candidates drawn from the softmax of the scores
  uint64_t seed = 0;      // of that draw
  std::vector<ConstraintSpec> constraints;  // constrained beam search when not empty

  int32_t groupSize() const { return numBeams / groups; }
};

}  // namespace lg::generation::beam
