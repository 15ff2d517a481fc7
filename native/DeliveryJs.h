// DeliveryJs: what Generation::Read hands to JS, a generation::Delivery as
// plain JS objects (the shapes of NativeDelivery in lib/native.ts).
#pragma once

#include "generation/Job.h"

#include <napi.h>

#include <array>
#include <cstdint>

namespace lg {

// The property names of a delivery, created once per environment: a name
// given as a C string is converted and looked up in V8's string table at
// every set, and a streamed generation is read while llama.cpp's threads
// wait for the core the JS thread took.
class DeliveryKeys {
 public:
  enum Key : uint8_t {
    kChunks, kEnds, kProgress, kFinish,
    kIndex, kTokens, kText, kLogprobs, kScores, kLogits,
    kToken, kLogprob, kTop,
    kFinishReason, kStopString, kCachedTokens, kScore, kSpeculative,
    kDrafted, kAccepted, kSteps, kLimit,
    kEvaluated, kTotal,
    kError, kPromptTokens, kCachedPromptTokens, kPromptMs, kGenerationMs,
    kCount
  };
  explicit DeliveryKeys(Napi::Env env);

  // The names for one read, each fetched at its first use. (Node-API before
  // version 10 cannot reference a string, so the names live in an array.)
  class Scope {
   public:
    explicit Scope(const DeliveryKeys& keys) : names_(keys.names_.Value()) {}
    napi_value operator[](Key key) {
      if (values_[key] == nullptr) values_[key] = names_.Get(static_cast<uint32_t>(key));
      return values_[key];
    }

   private:
    Napi::Array names_;
    std::array<napi_value, kCount> values_{};
  };

 private:
  Napi::Reference<Napi::Array> names_;
};

Napi::Object DeliveryToJs(Napi::Env env, const DeliveryKeys& keys, const generation::Delivery& d);

}  // namespace lg
