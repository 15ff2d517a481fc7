#include "LlamaStage.h"

#include "../Errors.h"

#include <cmath>

namespace lg::sampling {

LlamaStage::LlamaStage(std::string name, llama_sampler* sampler, bool acceptPrompt)
    : name_(std::move(name)), sampler_(sampler), acceptPrompt_(acceptPrompt) {}

void LlamaStage::Apply(Scores& scores, const History& /*history*/, Candidates& candidates) {
  const std::vector<int32_t>& ids = candidates.Of(scores);
  buffer_.clear();
  for (int32_t id : ids) buffer_.push_back({id, scores[id], 0.0f});
  llama_token_data_array array{buffer_.data(), buffer_.size(), -1, false};
  llama_sampler_apply(sampler_.get(), &array);
  std::vector<int32_t> kept;
  kept.reserve(array.size);
  for (size_t i = 0; i < array.size; i++) {
    scores[array.data[i].id] = array.data[i].logit;
    if (array.data[i].logit != -INFINITY) kept.push_back(array.data[i].id);
  }
  candidates.Set(std::move(kept));  // what the sampler dropped becomes -inf (Candidates::Materialize)
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
