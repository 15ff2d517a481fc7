// Helpers shared by the truncation warpers (top-k, top-p, min-p, typical,
// epsilon, eta): they work on the finite scores only, which after an earlier
// truncation is a small set even for a large vocabulary.
#pragma once

#include "../Stage.h"

#include <cmath>
#include <vector>

namespace lg::sampling::hf {

// Ids of the tokens whose score is not -inf.
inline std::vector<int32_t> FiniteIds(const Scores& scores) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < scores.size(); i++)
    if (scores[i] != -INFINITY) ids.push_back(static_cast<int32_t>(i));
  return ids;
}

// The k-th largest score (k >= 1) over the whole vector, -inf when fewer than
// k scores are finite: transformers' `torch.topk(scores, k)[0][..., -1]`.
float KthLargest(const Scores& scores, const std::vector<int32_t>& finite, size_t k);

}  // namespace lg::sampling::hf
