#include "DeliveryJs.h"

#include "Errors.h"

namespace lg {
namespace {

using K = DeliveryKeys;
using Keys = DeliveryKeys::Scope;

constexpr const char* kNames[K::kCount] = {
    "chunks", "ends", "progress", "finish",
    "index", "tokens", "text", "logprobs", "scores", "logits",
    "token", "logprob", "top",
    "finishReason", "stopString", "cachedTokens", "score", "speculative",
    "drafted", "accepted", "steps", "limit",
    "evaluated", "total",
    "error", "promptTokens", "cachedPromptTokens", "promptMs", "generationMs",
};

Napi::Float32Array FloatArray(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array out = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

Napi::Array FloatArrays(Napi::Env env, const std::vector<std::vector<float>>& rows) {
  Napi::Array out = Napi::Array::New(env, rows.size());
  for (uint32_t i = 0; i < rows.size(); i++) out.Set(i, FloatArray(env, rows[i]));
  return out;
}

// A chunk's few tokens as a plain array: cheaper to make than a typed
// array (no backing store) and what the JS side keeps anyway.
Napi::Array Tokens(Napi::Env env, const std::vector<llama_token>& tokens) {
  Napi::Array out = Napi::Array::New(env, tokens.size());
  for (uint32_t i = 0; i < tokens.size(); i++) out.Set(i, Napi::Number::New(env, tokens[i]));
  return out;
}

Napi::Array Logprobs(Napi::Env env, Keys& k, const std::vector<generation::TokenLogprob>& logprobs) {
  Napi::Array out = Napi::Array::New(env, logprobs.size());
  for (uint32_t i = 0; i < logprobs.size(); i++) {
    const generation::TokenLogprob& l = logprobs[i];
    Napi::Object entry = Napi::Object::New(env);
    entry.Set(k[K::kToken], Napi::Number::New(env, l.token));
    entry.Set(k[K::kLogprob], Napi::Number::New(env, l.logprob));
    Napi::Array top = Napi::Array::New(env, l.top.size());
    for (uint32_t t = 0; t < l.top.size(); t++) {
      Napi::Object alt = Napi::Object::New(env);
      alt.Set(k[K::kToken], Napi::Number::New(env, l.top[t].first));
      alt.Set(k[K::kLogprob], Napi::Number::New(env, l.top[t].second));
      top.Set(t, alt);
    }
    entry.Set(k[K::kTop], top);
    out.Set(i, entry);
  }
  return out;
}

Napi::Object Chunk(Napi::Env env, Keys& k, const generation::Chunk& c) {
  Napi::Object chunk = Napi::Object::New(env);
  chunk.Set(k[K::kIndex], Napi::Number::New(env, c.index));
  chunk.Set(k[K::kTokens], Tokens(env, c.tokens));
  chunk.Set(k[K::kText], Napi::String::New(env, c.text));
  if (!c.logprobs.empty()) chunk.Set(k[K::kLogprobs], Logprobs(env, k, c.logprobs));
  if (!c.scores.empty()) chunk.Set(k[K::kScores], FloatArrays(env, c.scores));
  if (!c.logits.empty()) chunk.Set(k[K::kLogits], FloatArrays(env, c.logits));
  return chunk;
}

Napi::Object End(Napi::Env env, Keys& k, const generation::OutputEnd& e) {
  Napi::Object end = Napi::Object::New(env);
  end.Set(k[K::kIndex], Napi::Number::New(env, e.index));
  end.Set(k[K::kFinishReason], Napi::String::New(env, e.finishReason));
  if (!e.stopString.empty()) end.Set(k[K::kStopString], Napi::String::New(env, e.stopString));
  end.Set(k[K::kCachedTokens], Napi::Number::New(env, e.cachedTokens));
  if (e.score) end.Set(k[K::kScore], Napi::Number::New(env, *e.score));
  if (const auto& s = e.speculative) {
    Napi::Object stats = Napi::Object::New(env);
    stats.Set(k[K::kDrafted], Napi::Number::New(env, s->drafted));
    stats.Set(k[K::kAccepted], Napi::Number::New(env, s->accepted));
    stats.Set(k[K::kSteps], Napi::Number::New(env, s->steps));
    stats.Set(k[K::kLimit], Napi::Number::New(env, s->limit));
    end.Set(k[K::kSpeculative], stats);
  }
  return end;
}

Napi::Object Finish(Napi::Env env, Keys& k, const generation::Finish& f) {
  Napi::Object fin = Napi::Object::New(env);
  if (f.failed) fin.Set(k[K::kError], MakeError(env, f.error.code, f.error.message).Value());
  fin.Set(k[K::kPromptTokens], Napi::Number::New(env, f.promptTokens));
  fin.Set(k[K::kCachedPromptTokens], Napi::Number::New(env, f.cachedPromptTokens));
  fin.Set(k[K::kPromptMs], Napi::Number::New(env, f.promptMs));
  fin.Set(k[K::kGenerationMs], Napi::Number::New(env, f.generationMs));
  return fin;
}

}  // namespace

DeliveryKeys::DeliveryKeys(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env, kCount);
  for (uint32_t i = 0; i < kCount; i++) names.Set(i, Napi::String::New(env, kNames[i]));
  names_ = Napi::Persistent(names);
}

Napi::Object DeliveryToJs(Napi::Env env, const DeliveryKeys& keys, const generation::Delivery& d) {
  Keys k(keys);
  Napi::Object out = Napi::Object::New(env);
  Napi::Array chunks = Napi::Array::New(env, d.chunks.size());
  for (uint32_t i = 0; i < d.chunks.size(); i++) chunks.Set(i, Chunk(env, k, d.chunks[i]));
  out.Set(k[K::kChunks], chunks);
  Napi::Array ends = Napi::Array::New(env, d.ends.size());
  for (uint32_t i = 0; i < d.ends.size(); i++) ends.Set(i, End(env, k, d.ends[i]));
  out.Set(k[K::kEnds], ends);
  if (d.progress) {
    Napi::Object p = Napi::Object::New(env);
    p.Set(k[K::kEvaluated], Napi::Number::New(env, d.progress->evaluated));
    p.Set(k[K::kTotal], Napi::Number::New(env, d.progress->total));
    out.Set(k[K::kProgress], p);
  }
  if (d.finish) out.Set(k[K::kFinish], Finish(env, k, *d.finish));
  return out;
}

}  // namespace lg
