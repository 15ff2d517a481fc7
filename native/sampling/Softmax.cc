#include "Softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace lg::sampling {

float MaxScore(const Scores& scores) {
  float max = -std::numeric_limits<float>::infinity();
  for (float s : scores) max = std::max(max, s);
  return max;
}

double LogSumExp(const Scores& scores) {
  const double max = MaxScore(scores);
  if (!std::isfinite(max)) return max;
  double sum = 0.0;
  for (float s : scores) sum += std::exp(static_cast<double>(s) - max);
  return max + std::log(sum);
}

std::vector<double> Softmax(const Scores& scores) {
  std::vector<double> p(scores.size(), 0.0);
  const double max = MaxScore(scores);
  if (!std::isfinite(max)) return p;
  double sum = 0.0;
  for (size_t i = 0; i < scores.size(); i++) sum += p[i] = std::exp(static_cast<double>(scores[i]) - max);
  for (double& v : p) v /= sum;
  return p;
}

std::vector<int32_t> SortedByScoreDescending(const Scores& scores) {
  std::vector<int32_t> ids(scores.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  return ids;
}

}  // namespace lg::sampling
