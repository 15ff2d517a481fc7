// Stage: one step of a sampler chain, working on the full vocabulary's scores
// (index = token id; a removed token has -inf), as transformers' logits
// processors do. History is the token sequence so far (prompt included).
#pragma once

#include <llama.h>

#include <cstddef>
#include <vector>

namespace lg::sampling {

using Scores = std::vector<float>;

struct History {
  std::vector<llama_token> ids;  // prompt + generated tokens (HF's input_ids)
  size_t promptLength = 0;       // HF's input_ids_seq_length
  size_t length() const { return ids.size(); }  // HF's cur_len
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual const char* Name() const = 0;
  virtual void Apply(Scores& scores, const History& history) = 0;
  // A token was appended to the history (prompt tokens at creation included,
  // `isPrompt` true for those).
  virtual void Accept(llama_token /*token*/, bool /*isPrompt*/) {}
  virtual void Reset() {}
};

}  // namespace lg::sampling
