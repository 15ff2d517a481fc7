// LogitBias: llama.cpp's logit bias (llama_sampler_logit_bias: `logit_bias`,
// and the ban on the end-of-generation tokens of `ignore_eos`) as a stage of
// its own: each listed token's score gets its bias added, a removed token
// stays removed. The same result as running llama.cpp's sampler through
// LlamaStage, without turning the whole vocabulary into a token-data array
// and back at every step (a third of the loop's own time at a 32k vocabulary
// with `ignore_eos`).
#pragma once

#include "Stage.h"

#include <memory>
#include <utility>
#include <vector>

namespace lg::sampling {

std::unique_ptr<Stage> LogitBias(std::vector<std::pair<llama_token, float>> biases);

}  // namespace lg::sampling
