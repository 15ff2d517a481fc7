#include "Sampler.h"

#include "Args.h"
#include "Errors.h"
#include "Model.h"
#include "sampling/StageFactory.h"

#include <cmath>

namespace lg {

Napi::Function Sampler::Init(Napi::Env env) {
  return DefineClass(env, "NativeSampler",
                     {
                         InstanceMethod<&Sampler::Apply>("apply"),
                         InstanceMethod<&Sampler::Pick>("pick"),
                         InstanceMethod<&Sampler::Sample>("sample"),
                         InstanceMethod<&Sampler::Accept>("accept"),
                         InstanceMethod<&Sampler::Reset>("reset"),
                         InstanceMethod<&Sampler::History>("history"),
                         InstanceMethod<&Sampler::StageCount>("stageCount"),
                         InstanceMethod<&Sampler::Dispose>("dispose"),
                     });
}

Sampler::Sampler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Sampler>(info) {
  Napi::Env env = info.Env();
  Guard(env, [&] {
    if (!info[0].IsObject()) throw LlamaException(code::kInvalidArgument, "a sampler needs a plan object");
    const llama_vocab* vocab = nullptr;
    if (info[1].IsObject()) {
      model_ = Model::Unwrap(info[1].As<Napi::Object>())->Handle(env);
      vocab = llama_model_get_vocab(model_.get());
    }
    chain_ = sampling::BuildChain(info[0].As<Napi::Object>(), vocab);
    std::vector<int32_t> ids = args::Tokens(info[2], "inputIds", static_cast<int32_t>(chain_->vocabSize()));
    const auto promptLength = static_cast<size_t>(args::Integer(info[3], "promptLength", 0, static_cast<int64_t>(ids.size())));
    chain_->SetPrompt(std::vector<llama_token>(ids.begin(), ids.begin() + promptLength));
    for (size_t i = promptLength; i < ids.size(); i++) chain_->Accept(ids[i]);
    return 0;
  });
}

sampling::Chain& Sampler::Chain(Napi::Env env) {
  if (!chain_) throw MakeError(env, code::kDisposed, "the sampler has been disposed");
  return *chain_;
}

sampling::Scores Sampler::ScoresArg(Napi::Value value) {
  sampling::Chain& chain = Chain(value.Env());
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw MakeError(value.Env(), code::kInvalidArgument, "logits must be a Float32Array");
  }
  Napi::Float32Array array = value.As<Napi::Float32Array>();
  if (array.ElementLength() != chain.vocabSize()) {
    throw MakeError(value.Env(), code::kInvalidArgument,
                    "logits has " + std::to_string(array.ElementLength()) + " entries, the vocabulary " +
                        std::to_string(chain.vocabSize()));
  }
  return sampling::Scores(array.Data(), array.Data() + array.ElementLength());
}

Napi::Value Sampler::Apply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    sampling::Scores scores = ScoresArg(info[0]);
    const auto n = static_cast<int64_t>(Chain(env).size());
    const auto from = static_cast<size_t>(args::Integer(info[1], "from", 0, n));
    const auto to = static_cast<size_t>(args::Integer(info[2], "to", static_cast<int64_t>(from), n));
    Chain(env).Apply(scores, from, to);
    Napi::Float32Array out = Napi::Float32Array::New(env, scores.size());
    std::copy(scores.begin(), scores.end(), out.Data());
    return out;
  });
}

Napi::Value Sampler::Pick(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    sampling::Scores scores = ScoresArg(info[0]);
    return Napi::Number::New(env, Chain(env).Pick(scores));
  });
}

Napi::Value Sampler::Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    sampling::Scores scores = ScoresArg(info[0]);
    sampling::Chain& chain = Chain(env);
    const llama_token token = chain.Sample(scores);
    if (info[1].ToBoolean()) chain.Accept(token);
    return Napi::Number::New(env, token);
  });
}

Napi::Value Sampler::Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    sampling::Chain& chain = Chain(env);
    auto token = static_cast<llama_token>(args::Integer(info[0], "token", 0, static_cast<int64_t>(chain.vocabSize()) - 1));
    chain.Accept(token);
    return env.Undefined();
  });
}

Napi::Value Sampler::Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    Chain(env).Reset();
    return env.Undefined();
  });
}

Napi::Value Sampler::History(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& ids = Chain(env).history().ids;
  Napi::Int32Array out = Napi::Int32Array::New(env, ids.size());
  std::copy(ids.begin(), ids.end(), out.Data());
  return out;
}

Napi::Value Sampler::StageCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Chain(info.Env()).size()));
}

Napi::Value Sampler::Dispose(const Napi::CallbackInfo& info) {
  chain_.reset();
  model_.reset();
  return info.Env().Undefined();
}

}  // namespace lg
