#include "BeamHypotheses.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace lg::generation::beam {

BeamHypotheses::BeamHypotheses(size_t capacity, double lengthPenalty, EarlyStopping earlyStopping, int32_t maxNewTokens)
    : capacity_(capacity), lengthPenalty_(lengthPenalty), earlyStopping_(earlyStopping), maxNewTokens_(maxNewTokens) {}

void BeamHypotheses::Add(std::vector<llama_token> tokens, llama_token eos, float sumLogprobs, int32_t generatedLength) {
  // Python: sum_logprobs / (generated_len ** length_penalty), in doubles.
  const double score = static_cast<double>(sumLogprobs) / std::pow(static_cast<double>(generatedLength), lengthPenalty_);
  if (items_.size() >= capacity_ && !(score > worst_)) return;
  items_.push_back({score, std::move(tokens), eos});
  if (items_.size() > capacity_) {
    // sorted((score, index)): drop the lowest (the first of equal ones), the next lowest becomes the worst.
    std::vector<size_t> order(items_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [this](size_t a, size_t b) { return items_[a].score < items_[b].score; });
    worst_ = items_[order[1]].score;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(order[0]));
  } else {
    worst_ = std::min(score, worst_);
  }
}

bool BeamHypotheses::IsDone(float best, int32_t generatedLength) const {
  if (items_.size() < capacity_) return false;
  if (earlyStopping_ == EarlyStopping::kTrue) return true;
  const double sum = best;
  int32_t length = generatedLength;
  // "never" with a positive length penalty: the longest length gives the best reachable score.
  if (earlyStopping_ == EarlyStopping::kNever && lengthPenalty_ > 0) length = maxNewTokens_;
  const double highest = sum / std::pow(static_cast<double>(length), lengthPenalty_);
  return worst_ >= highest;
}

}  // namespace lg::generation::beam
