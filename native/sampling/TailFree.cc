// Tail-free sampling: see TailFree.h for the semantics and the output contract.
#include "TailFree.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace lg::sampling {
namespace {

struct TailFreeParams {
  const float z;
  const size_t minKeep;
  // Scratch, reused between calls.
  std::vector<double> probs;    // softmax of the sorted candidates
  std::vector<double> weights;  // normalised |second derivatives|
  std::vector<uint64_t> keys;   // radix sort: (descending-logit key << 32) | buffer index
  std::vector<uint64_t> keysTmp;
  std::vector<llama_token_data> tokens;
};

bool IsCandidate(const llama_token_data& token) {
  return token.logit > -INFINITY;  // false for -inf and NaN
}

// A key whose unsigned ascending order is the float's descending order.
uint32_t DescendingKey(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const uint32_t ascending = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
  return ~ascending;
}

// Moves the candidates to the front of data[0, size), sorted by logit,
// descending, ties in their previous order (stable); the other tokens follow
// in their previous order.
void SortCandidates(TailFreeParams& params, llama_token_data* data, size_t size) {
  constexpr size_t kRadixThreshold = 2048;
  if (size < kRadixThreshold) {
    const auto mid = std::stable_partition(data, data + size, IsCandidate);
    std::stable_sort(data, mid, [](const llama_token_data& a, const llama_token_data& b) { return a.logit > b.logit; });
    return;
  }
  // Large vocabularies: LSD radix sort of 32-bit keys (3 passes of 11 bits),
  // an order of magnitude faster than a comparison sort of 150k tokens. Stable,
  // and the buffer index in the low bits carries each key's token along.
  auto& keys = params.keys;
  auto& tmp = params.keysTmp;
  keys.clear();
  for (size_t i = 0; i < size; ++i) {
    if (IsCandidate(data[i])) keys.push_back((static_cast<uint64_t>(DescendingKey(data[i].logit)) << 32) | i);
  }
  const size_t n = keys.size();
  tmp.resize(n);
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  for (int shift = 32; shift < 64; shift += kBits) {
    std::array<size_t, kBuckets> offsets{};
    for (uint64_t key : keys) ++offsets[(key >> shift) & (kBuckets - 1)];
    size_t total = 0;
    for (size_t& offset : offsets) {
      const size_t count = offset;
      offset = total;
      total += count;
    }
    for (uint64_t key : keys) tmp[offsets[(key >> shift) & (kBuckets - 1)]++] = key;
    keys.swap(tmp);
  }
  auto& tokens = params.tokens;
  tokens.clear();
  for (uint64_t key : keys) tokens.push_back(data[key & 0xffffffffu]);
  for (size_t i = 0; i < size; ++i) {
    if (!IsCandidate(data[i])) tokens.push_back(data[i]);
  }
  std::copy(tokens.begin(), tokens.end(), data);
}

const char* TailFreeName(const llama_sampler* /*smpl*/) {
  return "tail-free";
}

void TailFreeApply(llama_sampler* smpl, llama_token_data_array* cur_p) {
  auto* params = static_cast<TailFreeParams*>(smpl->ctx);
  if (!(params->z < 1.0f) || cur_p->size <= 2) return;

  llama_token_data* const data = cur_p->data;
  const size_t size = cur_p->size;
  const size_t n = static_cast<size_t>(std::count_if(data, data + size, IsCandidate));
  if (n <= 2) return;

  // Candidates first, sorted by logit, descending. The whole candidate list has
  // to be sorted, not just down to the cut: the |d2| are normalised by their
  // sum over every candidate, which depends on the full order.
  if (cur_p->sorted) {
    std::stable_partition(data, data + size, IsCandidate);  // already in order
  } else {
    SortCandidates(*params, data, size);
  }
  cur_p->sorted = true;

  const float maxLogit = data[0].logit;
  if (!std::isfinite(maxLogit)) return;  // +inf: the softmax is not defined; leave the logits alone

  // Softmax over the candidates.
  std::vector<double>& probs = params->probs;
  probs.resize(n);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    probs[i] = std::exp(static_cast<double>(data[i].logit) - static_cast<double>(maxLogit));
    sum += probs[i];
  }
  for (size_t i = 0; i < n; ++i) {
    probs[i] /= sum;
    data[i].p = static_cast<float>(probs[i]);
  }

  // |second derivatives| of the sorted probabilities, normalised.
  std::vector<double>& weights = params->weights;
  weights.resize(n - 2);
  double weightSum = 0.0;
  for (size_t i = 0; i < n - 2; ++i) {
    const double d1 = probs[i] - probs[i + 1];
    const double d1Next = probs[i + 1] - probs[i + 2];
    weights[i] = std::fabs(d1 - d1Next);
    weightSum += weights[i];
  }
  if (weightSum > 1e-6) {
    for (double& w : weights) w /= weightSum;
  } else {
    std::fill(weights.begin(), weights.end(), 1.0 / static_cast<double>(n - 2));
  }

  // The tail starts at the first i whose cumulative weight exceeds z (and that
  // keeps at least min_keep tokens, and at least one): keep data[0, i).
  const size_t minKeep = std::max<size_t>(params->minKeep, 1);
  const double z = params->z;
  size_t keep = n;
  double cumulative = 0.0;
  for (size_t i = 0; i < n - 2; ++i) {
    cumulative += weights[i];
    if (cumulative > z && i >= minKeep) {
      keep = i;
      break;
    }
  }

  // Removed tokens: -inf in the buffer and cut from size (TailFree.h).
  for (size_t i = keep; i < n; ++i) {
    data[i].logit = -INFINITY;
    data[i].p = 0.0f;
  }
  cur_p->size = keep;
}

llama_sampler* TailFreeClone(const llama_sampler* smpl) {
  const auto* params = static_cast<const TailFreeParams*>(smpl->ctx);
  return InitTailFree(params->z, params->minKeep);
}

void TailFreeFree(llama_sampler* smpl) {
  delete static_cast<TailFreeParams*>(smpl->ctx);
}

llama_sampler_i kTailFreeInterface = {
    /* .name              = */ TailFreeName,
    /* .accept            = */ nullptr,
    /* .apply             = */ TailFreeApply,
    /* .reset             = */ nullptr,  // stateless
    /* .clone             = */ TailFreeClone,
    /* .free              = */ TailFreeFree,
    /* .backend_init      = */ nullptr,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ nullptr,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ nullptr,
};

}  // namespace

llama_sampler* InitTailFree(float z, size_t minKeep) {
  return llama_sampler_init(&kTailFreeInterface, new TailFreeParams{z, minKeep, {}, {}, {}, {}, {}});
}

}  // namespace lg::sampling
