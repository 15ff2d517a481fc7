#include "TokenMask.h"

#include <algorithm>
#include <cmath>

namespace lg::grammar {
namespace {

size_t PopCount(const std::vector<uint64_t>& bits) {
  size_t n = 0;
  for (uint64_t w : bits) n += static_cast<size_t>(__builtin_popcountll(w));
  return n;
}

template <typename F>
void ForEachBit(const std::vector<uint64_t>& bits, F&& f) {
  for (size_t w = 0; w < bits.size(); w++) {
    uint64_t word = bits[w];
    while (word != 0) {
      f(static_cast<int32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(word))));
      word &= word - 1;
    }
  }
}

}  // namespace

TokenSet::TokenSet(const std::vector<uint64_t>& bits, int32_t nVocab) : count_(PopCount(bits)), nVocab_(nVocab) {
  const auto n = static_cast<size_t>(nVocab);
  const size_t listLimit = n / 32;  // a list of ids is smaller than the bitset below this
  if (count_ <= listLimit) {
    form_ = kIds;
    ids_.reserve(count_);
    ForEachBit(bits, [&](int32_t id) { ids_.push_back(id); });
  } else if (n - count_ <= listLimit) {
    form_ = kComplement;
    for (int32_t id = 0; id < nVocab; id++)
      if (!((bits[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1)) ids_.push_back(id);
  } else {
    form_ = kBits;
    bits_ = bits;
  }
}

void TokenSet::OrInto(std::vector<uint64_t>& mask) const {
  switch (form_) {
    case kIds:
      for (int32_t id : ids_) mask[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
      break;
    case kBits:
      for (size_t w = 0; w < bits_.size(); w++) mask[w] |= bits_[w];
      break;
    case kComplement: {
      // every id but the listed ones: walk the gaps between them
      int32_t next = 0;
      auto fill = [&](int32_t from, int32_t to) {  // [from, to)
        for (int32_t id = from; id < to;) {
          if ((id & 63) == 0 && id + 64 <= to) {
            mask[static_cast<size_t>(id) >> 6] = ~uint64_t{0};
            id += 64;
          } else {
            mask[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
            id++;
          }
        }
      };
      for (int32_t id : ids_) {
        fill(next, id);
        next = id + 1;
      }
      fill(next, nVocab_);
      break;
    }
  }
}

bool TokenSet::Contains(int32_t token) const {
  switch (form_) {
    case kIds:
      return std::binary_search(ids_.begin(), ids_.end(), token);
    case kComplement:
      return !std::binary_search(ids_.begin(), ids_.end(), token);
    case kBits:
      return (bits_[static_cast<size_t>(token) >> 6] >> (token & 63)) & 1;
  }
  return false;
}

size_t TokenMask::Count() const { return PopCount(bits_); }

void TokenMask::Apply(sampling::Scores& scores, sampling::Candidates& candidates) const {
  if (candidates.known()) {
    kept_.clear();
    for (int32_t id : candidates.Of(scores))
      if (Test(id)) kept_.push_back(id);
    candidates.Set(kept_);
    return;
  }
  const size_t allowed = Count();
  if (allowed * 8 <= static_cast<size_t>(nVocab_)) {
    kept_.clear();
    ForEachBit(bits_, [&](int32_t id) {
      if (scores[id] != -INFINITY) kept_.push_back(id);
    });
    candidates.Set(kept_);
    return;
  }
  for (size_t w = 0; w < bits_.size(); w++) {
    uint64_t rejected = ~bits_[w];
    if (w == bits_.size() - 1 && (nVocab_ & 63) != 0) rejected &= (uint64_t{1} << (nVocab_ & 63)) - 1;
    while (rejected != 0) {
      scores[w * 64 + static_cast<size_t>(__builtin_ctzll(rejected))] = -INFINITY;
      rejected &= rejected - 1;
    }
  }
}

}  // namespace lg::grammar
