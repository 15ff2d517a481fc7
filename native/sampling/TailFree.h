// Tail-free sampling (`tfs_z`), https://www.trentonbricken.com/Tail-Free-Sampling/
//
// llama.cpp dropped its tail-free sampler; this is our own llama_sampler with
// the semantics llama.cpp had (llama_sample_tail_free / llama_sampler_tail_free):
//
//   1. softmax over the candidates, sorted by probability, descending;
//   2. first derivatives  d1[i] = p[i] - p[i+1]        (n - 1 values);
//   3. second derivatives d2[i] = |d1[i] - d1[i+1]|     (n - 2 values),
//      normalised to sum 1 (all equal to 1 / (n - 2) when their sum is <= 1e-6);
//   4. the first i with cumsum(d2)[0..i] > z and i >= min_keep is where the
//      tail starts: the i most likely tokens are kept, the rest removed. When
//      no i qualifies every token is kept.
//
// z >= 1 (or NaN) disables it, as do 2 or fewer candidates.
//
// Differences from llama.cpp's float implementation, all deliberate:
//   - Candidates are the tokens whose logit is > -INFINITY. Tokens already
//     removed (-INFINITY) take no part in the softmax or the derivatives, so
//     the result does not depend on whether an earlier stage cut them from
//     `size` or set them to -INFINITY (llama.cpp only ever saw cut arrays).
//   - Probabilities and derivatives are computed in double: results can differ
//     from float32 only where the cumulative sum lands within rounding of z.
//   - At least one token is always kept (min_keep 0 behaves as 1); llama.cpp
//     could leave an empty array, which its own dist sampler cannot draw from.
//
// Output contract (for the chain that maps the array back to full-vocabulary
// scores): when active (z < 1 and more than 2 candidates), apply() leaves the
// array sorted by logit, descending (`sorted = true`), with exactly the kept
// tokens in data[0, size). Removed tokens — the ones it drops now and any that
// were -INFINITY before — are BOTH cut from `size` AND left with logit
// -INFINITY (p = 0) in the buffer past `size`, so either way of mapping back
// (data[0, size) only, or every entry of the original buffer) is correct.
// `data` itself is never moved. When inactive the array is left untouched.
#pragma once

#include <llama.h>

#include <cstddef>

namespace lg::sampling {

// A new tail-free sampler; free it with llama_sampler_free unless a chain owns it.
llama_sampler* InitTailFree(float z, size_t minKeep);

}  // namespace lg::sampling
