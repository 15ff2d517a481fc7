#include "LlamaStage.h"

#include "../Errors.h"

#include <cmath>

namespace lg::sampling {

LlamaStage::LlamaStage(std::string name, llama_sampler* sampler, bool acceptPrompt)
    : name_(std::move(name)), sampler_(sampler), acceptPrompt_(acceptPrompt) {}

void LlamaStage::Apply(Scores& scores, const History& /*history*/, Candidates& candidates) {
  size_t n = 0;
  buffer_.resize(scores.size());
  candidates.ForEach(scores, [&](int32_t id) {
    llama_token_data& d = buffer_[n++];
    d.id = id;
    d.logit = scores[id];
    d.p = 0.0f;
  });
  llama_token_data_array array{buffer_.data(), n, -1, false};
  llama_sampler_apply(sampler_.get(), &array);
  if (array.size == n && array.data == buffer_.data()) {
    // Nothing cut from the array (penalties, grammar, DRY, logit bias...):
    // write every logit back, -inf included; the candidate list stays valid.
    for (size_t i = 0; i < n; i++) scores[array.data[i].id] = array.data[i].logit;
    return;
  }
  kept_.clear();
  for (size_t i = 0; i < array.size; i++) {
    scores[array.data[i].id] = array.data[i].logit;
    if (array.data[i].logit != -INFINITY) kept_.push_back(array.data[i].id);
  }
  candidates.Set(kept_);  // what the sampler cut becomes -inf (Candidates::Materialize)
}

void LlamaStage::Accept(llama_token token, bool isPrompt) {
  if (isPrompt && !acceptPrompt_) return;
  try {
    llama_sampler_accept(sampler_.get(), token);
  } catch (const std::exception& e) {
    // The grammar sampler throws when the token is not allowed.
    throw LlamaException(code::kInvalidArgument, name_ + " rejected token " + std::to_string(token) + ": " + e.what());
  }
}

void LlamaStage::Reset() { llama_sampler_reset(sampler_.get()); }

}  // namespace lg::sampling
