// Numerics shared by the stages: softmax / log-sum-exp over full score
// vectors, in double precision, skipping -inf entries.
#pragma once

#include "Stage.h"

#include <vector>

namespace lg::sampling {

// Largest finite-or-+inf score, or -inf when every score is -inf.
float MaxScore(const Scores& scores);
// log(sum(exp(scores))), in double.
double LogSumExp(const Scores& scores);
// Probabilities softmax(scores) in double; all zero when every score is -inf.
std::vector<double> Softmax(const Scores& scores);
// Token ids sorted by score, descending, stable (ties keep id order).
std::vector<int32_t> SortedByScoreDescending(const Scores& scores);

}  // namespace lg::sampling
