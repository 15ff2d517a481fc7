// SamplerBenchmark: times a sampler chain per token entirely in C++ (no JS in
// the loop), ours and llama.cpp's own equivalent chain side by side, for
// bench/sampler.ts.
#pragma once

#include <napi.h>

namespace lg {

// benchmarkSampler(plan, model | null, logits: Float32Array, tokens: number, resetEvery: number) -> ns per token
Napi::Value BenchmarkSampler(const Napi::CallbackInfo& info);
// benchmarkLlamaChain(spec, model | null, logits, tokens, resetEvery) -> ns per token, where spec =
// { penalty_repeat?, penalty_last_n?, top_k?, top_p?, min_p?, temp?, grammar?, greedy?, seed }
Napi::Value BenchmarkLlamaChain(const Napi::CallbackInfo& info);

}  // namespace lg
