#include "Stage.h"

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

}  // namespace lg::sampling
