#include "PromptLookup.h"

#include <algorithm>

namespace lg::generation::speculative {

PromptLookup::PromptLookup(int32_t numTokens, int32_t maxNgram, std::vector<llama_token> eos)
    : numTokens_(numTokens), maxNgram_(maxNgram), eos_(std::move(eos)) {}

void PromptLookup::Draft(const std::vector<llama_token>& history, int32_t max, std::vector<sampling::Proposal>& out) {
  const size_t n = history.size();
  const size_t want = static_cast<size_t>(std::min(max, numTokens_));
  if (n < 2 || want == 0) return;
  for (size_t size = std::min(static_cast<size_t>(maxNgram_), n - 1); size > 0; size--) {
    const auto tail = history.end() - static_cast<std::ptrdiff_t>(size);
    for (size_t at = 0; at + size <= n; at++) {  // the first match, as transformers' match_indices
      if (!std::equal(tail, history.end(), history.begin() + static_cast<std::ptrdiff_t>(at))) continue;
      const size_t start = at + size;
      const size_t end = std::min(start + want, n);
      if (start >= end) continue;  // the tail matching itself
      for (size_t i = start; i < end; i++) {
        // transformers cuts the draft before an end-of-generation token.
        if (std::find(eos_.begin(), eos_.end(), history[i]) != eos_.end()) break;
        sampling::Proposal p;
        p.token = history[i];
        out.push_back(std::move(p));
      }
      return;
    }
  }
}

}  // namespace lg::generation::speculative
