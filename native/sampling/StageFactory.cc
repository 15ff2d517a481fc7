#include "StageFactory.h"

#include "../Args.h"
#include "../Errors.h"
#include "../grammar/GrammarStage.h"
#include "LlamaStage.h"
#include "LogitBias.h"
#include "TailFree.h"
#include "hf/Processors.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace lg::sampling {
namespace {

using hf::StagePtr;
using hf::TokenList;

[[noreturn]] void Invalid(const std::string& message) { throw LlamaException(code::kInvalidArgument, message); }

// Reads the fields of one descriptor, naming it in every error, and
// remembers which it read: a field the factory did not read is unknown to it
// (CheckNoOthers), so a plan and this file cannot drift apart silently.
class Params {
 public:
  Params(Napi::Object obj, std::string kind, int32_t vocabSize) : obj_(obj), kind_(std::move(kind)), vocab_(vocabSize) {}

  double Number(const char* key, double min, double max) const {
    Napi::Value v = Get(key);
    if (!v.IsNumber()) Invalid(Where(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d) || d < min || d > max) Invalid(Where(key) + " is out of range: " + std::to_string(d));
    return d;
  }
  size_t Count(const char* key, double max = 1e9) const { return static_cast<size_t>(Integer(key, 0, max)); }
  int64_t Integer(const char* key, double min, double max) const {
    double d = Number(key, min, max);
    if (std::floor(d) != d) Invalid(Where(key) + " must be an integer");
    return static_cast<int64_t>(d);
  }
  llama_token Token(const char* key) const { return static_cast<llama_token>(Integer(key, 0, vocab_ - 1)); }
  TokenList Tokens(const char* key) const { return TokensOf(Get(key), Where(key)); }
  TokenList TokensOf(Napi::Value v, const std::string& where) const {
    if (!v.IsArray()) Invalid(where + " must be an array of token ids");
    Napi::Array a = v.As<Napi::Array>();
    TokenList out;
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value t = a.Get(i);
      if (!t.IsNumber()) Invalid(where + " must hold token ids");
      double d = t.As<Napi::Number>().DoubleValue();
      if (std::floor(d) != d || d < 0 || d >= vocab_) Invalid(where + " holds " + std::to_string(d) + ", not a token id");
      out.push_back(static_cast<llama_token>(d));
    }
    return out;
  }
  std::vector<std::string> Strings(const char* key) const {
    Napi::Value v = Get(key);
    if (!v.IsArray()) Invalid(Where(key) + " must be an array of strings");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<std::string> out;
    for (uint32_t i = 0; i < a.Length(); i++) {
      if (!a.Get(i).IsString()) Invalid(Where(key) + " must hold strings");
      out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    }
    return out;
  }
  std::string String(const char* key) const {
    Napi::Value v = Get(key);
    if (!v.IsString()) Invalid(Where(key) + " must be a string");
    return v.As<Napi::String>().Utf8Value();
  }
  std::string OptionalString(const char* key) const {
    Napi::Value v = Get(key);
    return v.IsUndefined() || v.IsNull() ? std::string() : String(key);
  }
  bool Bool(const char* key) const {
    Napi::Value v = Get(key);
    if (!v.IsBoolean()) Invalid(Where(key) + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }
  // [[ids...], bias] pairs.
  std::vector<std::pair<TokenList, float>> Biases(const char* key) const {
    Napi::Value v = Get(key);
    if (!v.IsArray()) Invalid(Where(key) + " must be an array of [token ids, bias] pairs");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<std::pair<TokenList, float>> out;
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value pair = a.Get(i);
      if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) Invalid(Where(key) + " must hold [token ids, bias] pairs");
      Napi::Array p = pair.As<Napi::Array>();
      TokenList ids = TokensOf(p.Get(0u), Where(key));
      if (ids.empty()) Invalid(Where(key) + " holds an empty token sequence");
      if (!p.Get(1u).IsNumber()) Invalid(Where(key) + " biases must be numbers");
      out.emplace_back(std::move(ids), static_cast<float>(p.Get(1u).As<Napi::Number>().DoubleValue()));
    }
    return out;
  }
  const llama_vocab* Vocab(const llama_vocab* vocab) const {
    if (vocab == nullptr) Invalid(kind_ + " needs a model's vocabulary: pass { model }");
    return vocab;
  }
  uint32_t Seed() const { return static_cast<uint32_t>(Integer("seed", 0, 4294967295.0)); }

  // Every field besides `kind` and `hf` (transformers' class name, a
  // string) must have been read by the factory.
  void CheckNoOthers() const {
    Napi::Value hf = obj_.Get("hf");
    if (!hf.IsUndefined() && !hf.IsString()) Invalid(Where("hf") + " must be a string");
    Napi::Array names = obj_.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      const std::string name = names.Get(i).ToString().Utf8Value();
      if (name != "kind" && name != "hf" && read_.count(name) == 0) Invalid(kind_ + " has no parameter '" + name + "'");
    }
  }

 private:
  Napi::Value Get(const char* key) const {
    read_.insert(key);
    return obj_.Get(key);
  }
  std::string Where(const char* key) const { return kind_ + "." + key; }
  Napi::Object obj_;
  std::string kind_;
  int32_t vocab_;
  mutable std::set<std::string> read_;
};

using Factory = std::function<StagePtr(const Params&, const llama_vocab*)>;

StagePtr Llama(const char* name, llama_sampler* s, bool acceptPrompt = true) {
  if (s == nullptr) Invalid(std::string(name) + ": llama.cpp refused the parameters");
  return std::make_unique<LlamaStage>(name, s, acceptPrompt);
}

std::vector<const char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<const char*> out;
  for (const auto& s : strings) out.push_back(s.c_str());
  return out;
}

const std::map<std::string, Factory>& Factories() {
  static const std::map<std::string, Factory> factories = {
      {"sequence_bias", [](const Params& p, auto) { return hf::SequenceBias(p.Biases("biases")); }},
      {"no_bad_words",
       [](const Params& p, auto) {
         std::vector<std::pair<TokenList, float>> words = p.Biases("words");
         std::vector<TokenList> lists;
         for (auto& w : words) lists.push_back(w.first);
         return hf::NoBadWords(lists, p.Tokens("eos"));
       }},
      {"hamming_diversity", [](const Params& p, auto) { return hf::HammingDiversity(static_cast<float>(p.Number("penalty", 0, 1e9))); }},
      {"repetition_penalty", [](const Params& p, auto) { return hf::RepetitionPenalty(static_cast<float>(p.Number("penalty", 1e-9, 1e9))); }},
      {"no_repeat_ngram", [](const Params& p, auto) { return hf::NoRepeatNGram(p.Count("size")); }},
      {"min_length", [](const Params& p, auto) { return hf::MinLength(p.Count("length"), p.Tokens("eos")); }},
      {"min_new_tokens", [](const Params& p, auto) { return hf::MinNewTokens(p.Count("length"), p.Tokens("eos")); }},
      {"forced_bos", [](const Params& p, auto) { return hf::ForcedBos(p.Token("token")); }},
      {"forced_eos", [](const Params& p, auto) { return hf::ForcedEos(p.Count("max_length"), p.Count("max_new_tokens"), p.Tokens("eos")); }},
      {"inf_nan_remove", [](const Params&, auto) { return hf::InfNanRemove(); }},
      {"exponential_decay",
       [](const Params& p, auto) { return hf::ExponentialDecay(p.Count("start"), static_cast<float>(p.Number("factor", 0, 1e9)), p.Tokens("eos")); }},
      {"suppress_tokens", [](const Params& p, auto) { return hf::SuppressTokens(p.Tokens("tokens")); }},
      {"begin_suppress_tokens", [](const Params& p, auto) { return hf::SuppressTokensAtBegin(p.Tokens("tokens"), p.Bool("forced_bos")); }},
      {"temperature", [](const Params& p, auto) { return hf::Temperature(static_cast<float>(p.Number("temperature", 1e-30, 1e30))); }},
      {"top_k", [](const Params& p, auto) { return hf::TopK(p.Count("k"), p.Count("min_keep")); }},
      {"top_p", [](const Params& p, auto) { return hf::TopP(static_cast<float>(p.Number("p", 0, 1)), p.Count("min_keep")); }},
      {"min_p", [](const Params& p, auto) { return hf::MinP(static_cast<float>(p.Number("p", 0, 1)), p.Count("min_keep")); }},
      {"typical_p", [](const Params& p, auto) { return hf::Typical(static_cast<float>(p.Number("p", 0, 1)), p.Count("min_keep")); }},
      {"epsilon", [](const Params& p, auto) { return hf::Epsilon(static_cast<float>(p.Number("epsilon", 0, 1)), p.Count("min_keep")); }},
      {"eta", [](const Params& p, auto) { return hf::Eta(static_cast<float>(p.Number("epsilon", 0, 1)), p.Count("min_keep")); }},
      {"log_normalize", [](const Params&, auto) { return hf::LogNormalize(); }},
      {"logit_bias",
       [](const Params& p, const llama_vocab*) {
         p.Integer("vocab_size", 1, INT32_MAX);  // checked, as llama.cpp's sampler took it
         std::vector<std::pair<llama_token, float>> biases;
         for (auto& [ids, bias] : p.Biases("biases"))
           for (llama_token t : ids) biases.emplace_back(t, bias);
         return LogitBias(std::move(biases));
       }},
      {"penalties",
       [](const Params& p, auto) {
         return Llama("penalties", llama_sampler_init_penalties(static_cast<int32_t>(p.Integer("vocab_size", 1, INT32_MAX)),
                                                                static_cast<int32_t>(p.Integer("last_n", -1, INT32_MAX)),
                                                                static_cast<float>(p.Number("repeat", 1e-9, 1e9)),
                                                                static_cast<float>(p.Number("frequency", -1e9, 1e9)),
                                                                static_cast<float>(p.Number("presence", -1e9, 1e9))));
       }},
      {"dry",
       [](const Params& p, const llama_vocab* vocab) {
         std::vector<std::string> breakers = p.Strings("sequence_breakers");
         std::vector<const char*> c = CStrings(breakers);
         return Llama("dry", llama_sampler_init_dry(p.Vocab(vocab), static_cast<float>(p.Number("multiplier", 0, 1e9)),
                                                    static_cast<float>(p.Number("base", 0, 1e9)),
                                                    static_cast<int32_t>(p.Integer("allowed_length", 0, INT32_MAX)),
                                                    static_cast<int32_t>(p.Integer("last_n", -1, INT32_MAX)), c.data(), c.size()));
       }},
      {"grammar",
       [](const Params& p, const llama_vocab* vocab) {
         const llama_vocab* v = p.Vocab(vocab);
         std::string text = p.String("grammar");
         std::string root = p.String("root");
         std::vector<std::string> patterns = p.Strings("trigger_patterns");
         TokenList tokens = p.Tokens("trigger_tokens");
         if (!grammar::UseLlamaCppEngine(p.OptionalString("engine"))) {
           return StagePtr(std::make_unique<grammar::GrammarStage>(v, text, root, p.Bool("lazy"), patterns, tokens));
         }
         std::vector<const char*> c = CStrings(patterns);
         llama_sampler* s = p.Bool("lazy") ? llama_sampler_init_grammar_lazy_patterns(v, text.c_str(), root.c_str(), c.data(), c.size(),
                                                                                      tokens.data(), tokens.size())
                                           : llama_sampler_init_grammar(v, text.c_str(), root.c_str());
         if (s == nullptr) Invalid("grammar: llama.cpp could not parse the grammar");
         return Llama("grammar", s, false);
       }},
      {"temp_ext",
       [](const Params& p, auto) {
         return Llama("temp_ext", llama_sampler_init_temp_ext(static_cast<float>(p.Number("temperature", 0, 1e30)),
                                                              static_cast<float>(p.Number("range", 0, 1e30)),
                                                              static_cast<float>(p.Number("exponent", 0, 1e30))));
       }},
      {"top_n_sigma", [](const Params& p, auto) { return Llama("top_n_sigma", llama_sampler_init_top_n_sigma(static_cast<float>(p.Number("n", 0, 1e30)))); }},
      {"xtc",
       [](const Params& p, auto) {
         return Llama("xtc", llama_sampler_init_xtc(static_cast<float>(p.Number("probability", 0, 1)), static_cast<float>(p.Number("threshold", 0, 1)),
                                                    p.Count("min_keep"), p.Seed()));
       }},
      {"tail_free", [](const Params& p, auto) { return Llama("tail_free", InitTailFree(static_cast<float>(p.Number("z", 0, 1)), p.Count("min_keep"))); }},
  };
  return factories;
}

std::string KindOf(Napi::Object obj) {
  Napi::Value kind = obj.Get("kind");
  if (!kind.IsString()) Invalid("every stage needs a string `kind`");
  return kind.As<Napi::String>().Utf8Value();
}

using DrawFactory = std::function<std::unique_ptr<Draw>(const Params&, int32_t vocabSize)>;

const std::map<std::string, DrawFactory>& DrawFactories() {
  static const std::map<std::string, DrawFactory> factories = {
      {"greedy", [](const Params&, int32_t) { return GreedyDraw(); }},
      {"dist", [](const Params& p, int32_t) { return DistributionDraw(p.Seed()); }},
      {"mirostat",
       [](const Params& p, int32_t vocabSize) {
         return LlamaDraw(llama_sampler_init_mirostat(vocabSize, p.Seed(), static_cast<float>(p.Number("tau", 0, 1e9)),
                                                      static_cast<float>(p.Number("eta", 0, 1e9)), 100));
       }},
      {"mirostat_v2",
       [](const Params& p, int32_t) {
         return LlamaDraw(
             llama_sampler_init_mirostat_v2(p.Seed(), static_cast<float>(p.Number("tau", 0, 1e9)), static_cast<float>(p.Number("eta", 0, 1e9))));
       }},
      {"adaptive_p",
       [](const Params& p, int32_t) {
         return LlamaDraw(
             llama_sampler_init_adaptive_p(static_cast<float>(p.Number("target", 0, 1)), static_cast<float>(p.Number("decay", 0, 0.99)), p.Seed()));
       }},
  };
  return factories;
}

std::unique_ptr<Draw> BuildDraw(Napi::Object obj, int32_t vocabSize) {
  const std::string kind = KindOf(obj);
  auto factory = DrawFactories().find(kind);
  if (factory == DrawFactories().end()) Invalid("unknown draw kind '" + kind + "'");
  Params p(obj, "draw " + kind, vocabSize);
  std::unique_ptr<Draw> draw = factory->second(p, vocabSize);
  p.CheckNoOthers();
  return draw;
}

template <typename Map>
Napi::Array Keys(Napi::Env env, const Map& map) {
  Napi::Array out = Napi::Array::New(env, map.size());
  uint32_t i = 0;
  for (const auto& entry : map) out.Set(i++, entry.first);
  return out;
}

}  // namespace

std::unique_ptr<Chain> BuildChain(Napi::Object plan, const llama_vocab* vocab, bool statelessOnly) {
  const auto vocabSize = static_cast<int32_t>(args::Integer(plan.Get("vocabSize"), "vocabSize", 1, INT32_MAX));
  if (vocab != nullptr && llama_vocab_n_tokens(vocab) != vocabSize) {
    Invalid("vocabSize " + std::to_string(vocabSize) + " does not match the model's " + std::to_string(llama_vocab_n_tokens(vocab)));
  }
  Napi::Value stagesValue = plan.Get("stages");
  if (!stagesValue.IsArray()) Invalid("plan.stages must be an array");
  Napi::Array stages = stagesValue.As<Napi::Array>();
  std::vector<std::unique_ptr<Stage>> built;
  for (uint32_t i = 0; i < stages.Length(); i++) {
    Napi::Value item = stages.Get(i);
    if (!item.IsObject()) Invalid("plan.stages must hold objects");
    Napi::Object obj = item.As<Napi::Object>();
    const std::string kind = KindOf(obj);
    auto factory = Factories().find(kind);
    if (factory == Factories().end()) Invalid("unknown stage kind '" + kind + "'");
    Params params(obj, kind, vocabSize);
    std::unique_ptr<Stage> stage = factory->second(params, vocab);
    params.CheckNoOthers();
    if (statelessOnly && stage->Stateful()) continue;
    built.push_back(std::move(stage));
  }
  Napi::Value draw = plan.Get("draw");
  if (!draw.IsObject()) Invalid("plan.draw must be an object");
  return std::make_unique<Chain>(static_cast<size_t>(vocabSize), std::move(built), BuildDraw(draw.As<Napi::Object>(), vocabSize));
}

Napi::Value StageKinds(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("stages", Keys(info.Env(), Factories()));
  out.Set("draws", Keys(info.Env(), DrawFactories()));
  return out;
}

}  // namespace lg::sampling
