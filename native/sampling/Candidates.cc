#include "Stage.h"

#include <algorithm>
#include <cmath>

namespace lg::sampling {

const std::vector<int32_t>& Candidates::Of(const Scores& scores) {
  if (known_) {
    // Drop ids that stages removed since the list was made.
    size_t kept = 0;
    for (int32_t id : ids_)
      if (scores[id] != -INFINITY) ids_[kept++] = id;
    ids_.resize(kept);
    return ids_;
  }
  ids_.clear();
  for (size_t i = 0; i < scores.size(); i++)
    if (scores[i] != -INFINITY) ids_.push_back(static_cast<int32_t>(i));
  known_ = true;
  return ids_;
}

void Candidates::Materialize(Scores& scores) const {
  if (!known_) return;
  std::vector<float> kept(ids_.size());
  for (size_t i = 0; i < ids_.size(); i++) kept[i] = scores[ids_[i]];
  std::fill(scores.begin(), scores.end(), -INFINITY);
  for (size_t i = 0; i < ids_.size(); i++) scores[ids_[i]] = kept[i];
}

}  // namespace lg::sampling
