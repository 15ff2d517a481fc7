// FlatMap: an open-addressing hash map from 64-bit keys to 32-bit values, for
// the grammar engine's interning tables and memoized transitions (lookups on
// every trie edge a walk takes, so no node allocation per entry).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lg::grammar {

class FlatMap {
 public:
  FlatMap() { Clear(); }

  bool Find(uint64_t key, int32_t& value) const {
    for (size_t i = Slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == kFree) return false;
      if (keys_[i] == key) {
        value = values_[i];
        return true;
      }
    }
  }
  // Inserts or overwrites.
  void Set(uint64_t key, int32_t value) {
    if ((size_ + 1) * 4 > keys_.size() * 3) Grow();
    for (size_t i = Slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == kFree) {
        keys_[i] = key;
        values_[i] = value;
        size_++;
        return;
      }
      if (keys_[i] == key) {
        values_[i] = value;
        return;
      }
    }
  }
  void Clear() {
    keys_.assign(64, kFree);
    values_.assign(64, 0);
    mask_ = 63;
    size_ = 0;
  }
  size_t size() const { return size_; }
  size_t Bytes() const { return keys_.size() * (sizeof(uint64_t) + sizeof(int32_t)); }

 private:
  static constexpr uint64_t kFree = ~0ULL;
  size_t Slot(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 29) & mask_; }
  void Grow() {
    std::vector<uint64_t> keys;
    std::vector<int32_t> values;
    keys.swap(keys_);
    values.swap(values_);
    keys_.assign(keys.size() * 2, kFree);
    values_.assign(keys.size() * 2, 0);
    mask_ = keys_.size() - 1;
    size_ = 0;
    for (size_t i = 0; i < keys.size(); i++)
      if (keys[i] != kFree) Set(keys[i], values[i]);
  }

  std::vector<uint64_t> keys_;
  std::vector<int32_t> values_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace lg::grammar
