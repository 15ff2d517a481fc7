#include "SamplerBenchmark.h"

#include "Args.h"
#include "Errors.h"
#include "Model.h"
#include "sampling/StageFactory.h"

#include <chrono>
#include <vector>

namespace lg {
namespace {

struct BenchArgs {
  const llama_vocab* vocab = nullptr;
  ModelHandle model;
  std::vector<float> logits;
  int64_t tokens = 0;
  int64_t resetEvery = 0;
};

BenchArgs ReadArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BenchArgs a;
  if (info[1].IsObject()) {
    a.model = Model::Unwrap(info[1].As<Napi::Object>())->Handle(env);
    a.vocab = llama_model_get_vocab(a.model.get());
  }
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw MakeError(env, code::kInvalidArgument, "logits must be a Float32Array");
  }
  Napi::Float32Array logits = info[2].As<Napi::Float32Array>();
  a.logits.assign(logits.Data(), logits.Data() + logits.ElementLength());
  a.tokens = args::Integer(info[3], "tokens", 1, 1 << 24);
  a.resetEvery = args::Integer(info[4], "resetEvery", 1, 1 << 24);
  return a;
}

template <typename Step>
double TimePerToken(int64_t tokens, Step&& step) {
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < tokens; i++) step(i);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(tokens);
}

float NumberOr(Napi::Object o, const char* key, float fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().FloatValue() : fallback;
}

}  // namespace

Napi::Value BenchmarkSampler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    BenchArgs a = ReadArgs(info);
    std::unique_ptr<sampling::Chain> chain = sampling::BuildChain(info[0].As<Napi::Object>(), a.vocab);
    chain->SetPrompt({});
    sampling::Scores scores;
    const double ns = TimePerToken(a.tokens, [&](int64_t i) {
      if (i % a.resetEvery == 0) chain->Reset();
      scores.assign(a.logits.begin(), a.logits.end());
      chain->Accept(chain->Sample(scores));
    });
    return Napi::Number::New(env, ns);
  });
}

Napi::Value BenchmarkLlamaChain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    BenchArgs a = ReadArgs(info);
    Napi::Object spec = info[0].As<Napi::Object>();
    const auto nVocab = static_cast<int32_t>(a.logits.size());
    llama_sampler* chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    Napi::Value grammar = spec.Get("grammar");
    if (grammar.IsString()) {
      if (a.vocab == nullptr) throw MakeError(env, code::kInvalidArgument, "a grammar benchmark needs a model");
      std::string text = grammar.As<Napi::String>().Utf8Value();
      llama_sampler* g = llama_sampler_init_grammar(a.vocab, text.c_str(), "root");
      if (g == nullptr) throw MakeError(env, code::kInvalidArgument, "grammar does not parse");
      llama_sampler_chain_add(chain, g);
    }
    if (spec.Get("penalty_repeat").IsNumber()) {
      llama_sampler_chain_add(chain, llama_sampler_init_penalties(nVocab, static_cast<int32_t>(NumberOr(spec, "penalty_last_n", 64)),
                                                                  NumberOr(spec, "penalty_repeat", 1), 0, 0));
    }
    if (spec.Get("top_k").IsNumber()) llama_sampler_chain_add(chain, llama_sampler_init_top_k(static_cast<int32_t>(NumberOr(spec, "top_k", 40))));
    if (spec.Get("top_p").IsNumber()) llama_sampler_chain_add(chain, llama_sampler_init_top_p(NumberOr(spec, "top_p", 1), 1));
    if (spec.Get("min_p").IsNumber()) llama_sampler_chain_add(chain, llama_sampler_init_min_p(NumberOr(spec, "min_p", 0), 1));
    if (spec.Get("temp").IsNumber()) llama_sampler_chain_add(chain, llama_sampler_init_temp(NumberOr(spec, "temp", 1)));
    llama_sampler_chain_add(chain, spec.Get("greedy").ToBoolean() ? llama_sampler_init_greedy()
                                                                  : llama_sampler_init_dist(static_cast<uint32_t>(NumberOr(spec, "seed", 0))));
    std::vector<llama_token_data> cur(a.logits.size());
    double ns = 0;
    try {
      ns = TimePerToken(a.tokens, [&](int64_t i) {
        if (i % a.resetEvery == 0) llama_sampler_reset(chain);
        // As llama_sampler_sample does: the full vocabulary from the logits.
        for (int32_t t = 0; t < nVocab; t++) cur[t] = {t, a.logits[t], 0.0f};
        llama_token_data_array array{cur.data(), cur.size(), -1, false};
        llama_sampler_apply(chain, &array);
        llama_sampler_accept(chain, array.data[array.selected].id);
      });
    } catch (...) {
      llama_sampler_free(chain);
      throw;
    }
    llama_sampler_free(chain);
    return Napi::Number::New(env, ns);
  });
}

}  // namespace lg
