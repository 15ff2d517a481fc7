#include "Logprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lg::generation {

TokenLogprob Logprobs(const float* row, int32_t n, llama_token chosen, int32_t top) {
  const float max = *std::max_element(row, row + n);
  double sum = 0;
  for (int32_t i = 0; i < n; i++) sum += std::exp(static_cast<double>(row[i] - max));
  const auto lse = static_cast<float>(max + std::log(sum));
  TokenLogprob out;
  out.token = chosen;
  out.logprob = row[chosen] - lse;
  if (top > 0) {
    const int32_t k = std::min(top, n);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [row](int32_t a, int32_t b) {
      return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    for (int32_t i = 0; i < k; i++) out.top.emplace_back(ids[static_cast<size_t>(i)], row[ids[static_cast<size_t>(i)]] - lse);
  }
  return out;
}

}  // namespace lg::generation
