// Logprobs: a chosen token's log-probability under the raw logits of its
// step (log-softmax), with the `top` most likely tokens when asked.
#pragma once

#include "Job.h"

namespace lg::generation {

TokenLogprob Logprobs(const float* row, int32_t n, llama_token chosen, int32_t top);

}  // namespace lg::generation
