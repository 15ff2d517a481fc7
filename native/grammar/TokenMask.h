// TokenMask: the set of tokens a grammar allows at one step (a bitset over
// token ids), and how it is applied to a chain's scores. TokenSet: a fixed set
// of token ids stored in the smallest of three forms (the ids, the ids not in
// it, or a bitset), for the precompiled per-position sets.
#pragma once

#include "../sampling/Stage.h"

#include <cstdint>
#include <vector>

namespace lg::grammar {

class TokenSet {
 public:
  TokenSet() = default;
  // From a bitset over token ids (nVocab bits).
  TokenSet(const std::vector<uint64_t>& bits, int32_t nVocab);
  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // ORs the set into `mask` (nVocab bits).
  void OrInto(std::vector<uint64_t>& mask) const;
  bool Contains(int32_t token) const;
  size_t Bytes() const { return ids_.size() * sizeof(int32_t) + bits_.size() * sizeof(uint64_t); }

 private:
  enum Form : uint8_t { kIds, kComplement, kBits };
  Form form_ = kIds;
  size_t count_ = 0;
  int32_t nVocab_ = 0;
  std::vector<int32_t> ids_;  // kIds: the members; kComplement: the others
  std::vector<uint64_t> bits_;
};

class TokenMask {
 public:
  explicit TokenMask(int32_t nVocab) : nVocab_(nVocab), bits_((static_cast<size_t>(nVocab) + 63) / 64, 0) {}
  void Clear() { std::fill(bits_.begin(), bits_.end(), 0); }
  void Set(int32_t token) { bits_[static_cast<size_t>(token) >> 6] |= uint64_t{1} << (token & 63); }
  bool Test(int32_t token) const { return (bits_[static_cast<size_t>(token) >> 6] >> (token & 63)) & 1; }
  std::vector<uint64_t>& bits() { return bits_; }
  const std::vector<uint64_t>& bits() const { return bits_; }
  size_t Count() const;
  // Removes every token outside the mask: -inf over a dense mask's few
  // rejected scores, or, when few tokens are allowed, only the survivors
  // handed on as the candidate list (their scores untouched; the others
  // count as -inf until the chain materializes them).
  void Apply(sampling::Scores& scores, sampling::Candidates& candidates) const;

 private:
  int32_t nVocab_;
  std::vector<uint64_t> bits_;
  mutable std::vector<int32_t> kept_;
};

}  // namespace lg::grammar
