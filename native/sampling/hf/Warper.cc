#include "Warper.h"

#include <algorithm>

namespace lg::sampling::hf {

float KthLargest(const Scores& scores, const std::vector<int32_t>& finite, size_t k) {
  if (k == 0 || finite.size() < k) return -INFINITY;
  std::vector<float> values(finite.size());
  for (size_t i = 0; i < finite.size(); i++) values[i] = scores[finite[i]];
  std::nth_element(values.begin(), values.begin() + (k - 1), values.end(), std::greater<float>());
  return values[k - 1];
}

double LogSumExp(const Scores& scores, const std::vector<int32_t>& ids) {
  double max = -INFINITY;
  for (int32_t id : ids) max = std::max(max, static_cast<double>(scores[id]));
  double total = 0.0;
  for (int32_t id : ids) total += std::exp(scores[id] - max);
  return max + std::log(total);
}

}  // namespace lg::sampling::hf
