// Drafter: proposes the tokens that may follow an output's sequence, for the
// target model to verify all at once in the next batch (speculative
// decoding). One per output; used on the engine thread only. Two kinds:
// PromptLookup (n-grams of the sequence itself) and DraftModel (a smaller
// model sharing the tokenizer, in its own context).
#pragma once

#include "../../sampling/Proposal.h"

#include <llama.h>

#include <cstdint>
#include <vector>

namespace lg::generation::speculative {

// What one output's speculation did, reported with its end.
struct Stats {
  int32_t drafted = 0;   // tokens proposed
  int32_t accepted = 0;  // proposals the target kept
  int32_t steps = 0;     // target decodes that verified at least one proposal
  int32_t limit = 0;     // proposals allowed per step at the end (num_assistant_tokens after its schedule)
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  // Up to min(max, Limit()) proposals to follow `history` (prompt +
  // generated; the target has not evaluated its last token yet). Appends to
  // `out`, which the caller cleared.
  virtual void Draft(const std::vector<llama_token>& history, int32_t max, std::vector<sampling::Proposal>& out) = 0;
  // The target kept `accepted` of the `drafted` proposals of the last Draft.
  virtual void Verified(int32_t /*drafted*/, int32_t /*accepted*/) {}
  // Proposals allowed per step now.
  virtual int32_t Limit() const = 0;
};

}  // namespace lg::generation::speculative
