#include "LlamaStage.h"

#include "../Errors.h"

#include <cmath>

namespace lg::sampling {

LlamaStage::LlamaStage(std::string name, llama_sampler* sampler, bool acceptPrompt)
    : name_(std::move(name)), sampler_(sampler), acceptPrompt_(acceptPrompt) {}

void LlamaStage::Apply(Scores& scores, const History& /*history*/) {
  buffer_.clear();
  for (size_t i = 0; i < scores.size(); i++) {
    if (scores[i] != -INFINITY) buffer_.push_back({static_cast<llama_token>(i), scores[i], 0.0f});
  }
  llama_token_data_array array{buffer_.data(), buffer_.size(), -1, false};
  llama_sampler_apply(sampler_.get(), &array);
  std::fill(scores.begin(), scores.end(), -INFINITY);
  for (size_t i = 0; i < array.size; i++) scores[array.data[i].id] = array.data[i].logit;
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
