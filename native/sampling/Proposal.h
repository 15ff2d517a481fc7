// Proposal and Verdict: speculative decoding's exchange between a drafter
// and the target's chain. A drafter proposes a token drawn from its
// distribution q; the target's chain (Chain::Verify) accepts it with
// probability min(1, p/q) or replaces it with a draw from max(0, p - q)
// normalised, so what comes out follows p, the target's distribution after
// every stage of its chain, whatever q is. Greedy chains accept a proposal
// when it is their argmax, so the output is plain greedy's.
#pragma once

#include <llama.h>

#include <utility>
#include <vector>

namespace lg::sampling {

struct Proposal {
  llama_token token = -1;
  // q as (id, probability) over the draft distribution's finite tokens, in
  // id order. Empty: a point mass on `token` (an n-gram lookup, a greedy draft).
  std::vector<std::pair<llama_token, double>> q;

  double QOf(llama_token id) const {
    if (q.empty()) return id == token ? 1.0 : 0.0;
    size_t lo = 0;
    size_t hi = q.size();
    while (lo < hi) {  // binary search: q is in id order
      const size_t mid = (lo + hi) / 2;
      if (q[mid].first < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < q.size() && q[lo].first == id ? q[lo].second : 0.0;
  }
};

struct Verdict {
  bool accepted = false;
  llama_token token = -1;  // the proposal when accepted, else its replacement
};

}  // namespace lg::sampling
