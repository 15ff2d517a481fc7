// Helpers shared by the truncation warpers (top-k, top-p, min-p, typical,
// epsilon, eta).
#pragma once

#include "../Stage.h"

#include <cmath>
#include <vector>

namespace lg::sampling::hf {

// The k-th largest score (k >= 1) over the whole vector, -inf when fewer than
// k scores are finite: transformers' `torch.topk(scores, k)[0][..., -1]`.
float KthLargest(const Scores& scores, const std::vector<int32_t>& finite, size_t k);

// log(sum(exp(scores[id]))) over `ids` (all finite), in double.
double LogSumExp(const Scores& scores, const std::vector<int32_t>& ids);

}  // namespace lg::sampling::hf
