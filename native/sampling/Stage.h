// Stage: one step of a sampler chain, working on the full vocabulary's scores
// (index = token id; a removed token has -inf), as transformers' logits
// processors do. History is the token sequence so far (prompt included).
#pragma once

#include <llama.h>

#include <cmath>
#include <cstddef>
#include <vector>

namespace lg::sampling {

using Scores = std::vector<float>;

struct History {
  std::vector<llama_token> ids;  // prompt + generated tokens (HF's input_ids)
  size_t promptLength = 0;       // HF's input_ids_seq_length
  // Group beam search: the tokens the earlier groups chose in this step (HF's
  // current_tokens before this group), read by HammingDiversityLogitsProcessor.
  std::vector<llama_token> earlierGroupTokens;
  size_t length() const { return ids.size(); }  // HF's cur_len
};

// The token ids that may still have a finite score, so stages after a
// truncation visit a few dozen ids, not the whole vocabulary. Stages that
// remove tokens may leave it as it is (it is then a superset); a stage that
// can make a -inf score finite again says so (MayRevive). A truncating stage
// hands over its survivors with Set() and need not write -inf over the rest:
// until Materialize(), scores outside a set list are stale and mean -inf.
class Candidates {
 public:
  // The ids whose score is finite (computed by a full scan when unknown).
  const std::vector<int32_t>& Of(const Scores& scores);
  // Calls f(id) for every id with a finite score, without building a list
  // when none is known (a dense pass over the vocabulary).
  template <typename F>
  void ForEach(const Scores& scores, F&& f) const {
    if (known_) {
      for (int32_t id : ids_)
        if (scores[id] != -INFINITY) f(id);
      return;
    }
    for (size_t i = 0; i < scores.size(); i++)
      if (scores[i] != -INFINITY) f(static_cast<int32_t>(i));
  }
  // scores[id] = f(scores[id]) for every id with a finite score. f must keep
  // -inf at -inf: without a list the pass then covers every score with no
  // branch, which the compiler vectorises (a dense ForEach does not).
  template <typename F>
  void Map(Scores& scores, F&& f) const {
    if (known_) {
      ForEach(scores, [&](int32_t id) { scores[id] = f(scores[id]); });
      return;
    }
    for (float& s : scores) s = f(s);
  }
  void Set(std::vector<int32_t> ids) {
    ids_ = std::move(ids);
    known_ = true;
  }
  void Forget() { known_ = false; }
  bool known() const { return known_; }
  // Writes -inf over every score outside the list, making `scores` dense again.
  void Materialize(Scores& scores) const;

 private:
  std::vector<int32_t> ids_;
  bool known_ = false;
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual const char* Name() const = 0;
  virtual void Apply(Scores& scores, const History& history, Candidates& candidates) = 0;
  // Whether Apply can turn a -inf score into a finite one.
  virtual bool MayRevive() const { return false; }
  // A filter only removes tokens (never changes a kept score) and can tell
  // whether it keeps one token without processing the others. A greedy chain
  // ending with one asks it, each step, whether to check the argmax first
  // (Chain::Sample): worth it when it would keep many tokens (the argmax
  // scans them all anyway), not when it keeps few (the argmax then scans
  // only those).
  virtual bool CheckArgmaxFirst() { return false; }
  virtual bool Keeps(llama_token /*token*/) { return true; }
  // A token was appended to the history (prompt tokens at creation included,
  // `isPrompt` true for those).
  virtual void Accept(llama_token /*token*/, bool /*isPrompt*/) {}
  virtual void Reset() {}
  // Whether Accept changes state beyond the history (a llama.cpp sampler, a
  // grammar): such a chain cannot move back (Chain::Rewind).
  virtual bool Stateful() const { return false; }
};

}  // namespace lg::sampling
