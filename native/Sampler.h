// Sampler: the JS face of a sampler chain (see lib/sampling/sampler.ts),
// used synchronously on the JS thread: process scores, draw, accept.
#pragma once

#include "ModelHandle.h"
#include "sampling/Chain.h"

#include <napi.h>

#include <memory>

namespace lg {

class Sampler : public Napi::ObjectWrap<Sampler> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new NativeSampler(plan, model | null, inputIds, promptLength)
  explicit Sampler(const Napi::CallbackInfo& info);

 private:
  // apply(scores: Float32Array, from, to) -> Float32Array (a processed copy)
  Napi::Value Apply(const Napi::CallbackInfo& info);
  // pick(scores: Float32Array) -> token (the draw only)
  Napi::Value Pick(const Napi::CallbackInfo& info);
  // sample(logits: Float32Array, accept: boolean) -> token (every stage, the draw, optionally accept)
  Napi::Value Sample(const Napi::CallbackInfo& info);
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value History(const Napi::CallbackInfo& info);
  Napi::Value StageCount(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  sampling::Chain& Chain(Napi::Env env);
  sampling::Scores ScoresArg(Napi::Value value);

  ModelHandle model_;  // keeps the vocabulary alive for grammar/DRY stages
  std::unique_ptr<sampling::Chain> chain_;
};

}  // namespace lg
