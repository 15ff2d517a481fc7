#include "Model.h"

#include "AddonData.h"
#include "Args.h"
#include "ContextWorkers.h"
#include "Errors.h"
#include "Tokenizer.h"

#include <string>
#include <vector>

namespace lg {
namespace {

Napi::Value TokenOrNull(Napi::Env env, llama_token token) {
  if (token == LLAMA_TOKEN_NULL) return env.Null();
  return Napi::Number::New(env, token);
}

Napi::Value MetaString(Napi::Env env, const llama_model* model, const char* key) {
  int32_t n = llama_model_meta_val_str(model, key, nullptr, 0);
  if (n < 0) return env.Null();
  std::string value(static_cast<size_t>(n) + 1, '\0');
  llama_model_meta_val_str(model, key, value.data(), value.size());
  value.resize(static_cast<size_t>(n));
  return Napi::String::New(env, value);
}

const char* VocabTypeName(enum llama_vocab_type type) {
  switch (type) {
    case LLAMA_VOCAB_TYPE_NONE: return "none";
    case LLAMA_VOCAB_TYPE_SPM: return "spm";
    case LLAMA_VOCAB_TYPE_BPE: return "bpe";
    case LLAMA_VOCAB_TYPE_WPM: return "wpm";
    case LLAMA_VOCAB_TYPE_UGM: return "ugm";
    case LLAMA_VOCAB_TYPE_RWKV: return "rwkv";
    default: return "other";
  }
}

}  // namespace

Napi::Function Model::Init(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         InstanceMethod<&Model::Info>("info"),
                         InstanceMethod<&Model::Tokenize>("tokenize"),
                         InstanceMethod<&Model::Detokenize>("detokenize"),
                         InstanceMethod<&Model::TokenToPiece>("tokenToPiece"),
                         InstanceMethod<&Model::IsEog>("isEog"),
                         InstanceMethod<&Model::CreateContext>("createContext"),
                         InstanceMethod<&Model::Dispose>("dispose"),
                         InstanceMethod<&Model::IsDisposed>("isDisposed"),
                     });
}

Model::Model(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Model>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw MakeError(info.Env(), code::kInvalidArgument, "models are created by loadModel()");
  }
  const LoadedModel* loaded = info[0].As<Napi::External<LoadedModel>>().Data();
  model_ = loaded->handle;
  vocabOnly_ = loaded->vocabOnly;
}

const ModelHandle& Model::Handle(Napi::Env env) const {
  if (!model_) throw MakeError(env, code::kDisposed, "the model has been disposed");
  return model_;
}

Napi::Value Model::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const llama_model* model = Handle(env).get();
  const llama_vocab* vocab = llama_model_get_vocab(model);
  Napi::Object out = Napi::Object::New(env);

  char desc[256] = {0};
  llama_model_desc(model, desc, sizeof(desc));
  out.Set("description", desc);
  out.Set("architecture", MetaString(env, model, "general.architecture"));
  out.Set("name", MetaString(env, model, "general.name"));
  out.Set("trainContextSize", llama_model_n_ctx_train(model));
  out.Set("embeddingSize", llama_model_n_embd(model));
  out.Set("layerCount", llama_model_n_layer(model));
  // Per-layer values abort in llama.cpp when no layers were loaded (vocabOnly).
  const bool hasLayers = llama_model_n_layer(model) > 0;
  out.Set("headCount", hasLayers ? llama_model_n_head(model) : 0);
  out.Set("headCountKv", hasLayers ? llama_model_n_head_kv(model) : 0);
  out.Set("vocabSize", llama_vocab_n_tokens(vocab));
  out.Set("vocabType", VocabTypeName(llama_vocab_type(vocab)));
  out.Set("parameterCount", static_cast<double>(llama_model_n_params(model)));
  out.Set("sizeBytes", static_cast<double>(llama_model_size(model)));
  out.Set("hasEncoder", llama_model_has_encoder(model));
  out.Set("hasDecoder", llama_model_has_decoder(model));
  out.Set("isRecurrent", llama_model_is_recurrent(model));
  out.Set("ropeType", static_cast<int32_t>(llama_model_rope_type(model)));
  out.Set("addBos", llama_vocab_get_add_bos(vocab));
  out.Set("addEos", llama_vocab_get_add_eos(vocab));
  std::vector<int32_t> eog;
  for (int32_t t = 0, n = llama_vocab_n_tokens(vocab); t < n; t++)
    if (llama_vocab_is_eog(vocab, t)) eog.push_back(t);
  Napi::Int32Array eogTokens = Napi::Int32Array::New(env, eog.size());
  std::copy(eog.begin(), eog.end(), eogTokens.Data());
  out.Set("eogTokens", eogTokens);
  const char* tmpl = llama_model_chat_template(model, nullptr);
  out.Set("chatTemplate", tmpl ? Napi::Value(Napi::String::New(env, tmpl)) : env.Null());

  Napi::Object tokens = Napi::Object::New(env);
  tokens.Set("bos", TokenOrNull(env, llama_vocab_bos(vocab)));
  tokens.Set("eos", TokenOrNull(env, llama_vocab_eos(vocab)));
  tokens.Set("eot", TokenOrNull(env, llama_vocab_eot(vocab)));
  tokens.Set("sep", TokenOrNull(env, llama_vocab_sep(vocab)));
  tokens.Set("nl", TokenOrNull(env, llama_vocab_nl(vocab)));
  tokens.Set("pad", TokenOrNull(env, llama_vocab_pad(vocab)));
  tokens.Set("fimPrefix", TokenOrNull(env, llama_vocab_fim_pre(vocab)));
  tokens.Set("fimSuffix", TokenOrNull(env, llama_vocab_fim_suf(vocab)));
  tokens.Set("fimMiddle", TokenOrNull(env, llama_vocab_fim_mid(vocab)));
  out.Set("specialTokens", tokens);

  Napi::Object sampling = Napi::Object::New(env);
  const llama_model_meta_key keys[] = {
      LLAMA_MODEL_META_KEY_SAMPLING_SEQUENCE,       LLAMA_MODEL_META_KEY_SAMPLING_TOP_K,
      LLAMA_MODEL_META_KEY_SAMPLING_TOP_P,          LLAMA_MODEL_META_KEY_SAMPLING_MIN_P,
      LLAMA_MODEL_META_KEY_SAMPLING_XTC_PROBABILITY, LLAMA_MODEL_META_KEY_SAMPLING_XTC_THRESHOLD,
      LLAMA_MODEL_META_KEY_SAMPLING_TEMP,           LLAMA_MODEL_META_KEY_SAMPLING_PENALTY_LAST_N,
      LLAMA_MODEL_META_KEY_SAMPLING_PENALTY_REPEAT, LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT,
      LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT_TAU,   LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT_ETA,
  };
  for (llama_model_meta_key key : keys) {
    const char* name = llama_model_meta_key_str(key);
    Napi::Value value = MetaString(env, model, name);
    if (!value.IsNull()) sampling.Set(std::string(name).substr(sizeof("general.sampling.") - 1), value);
  }
  out.Set("samplingMetadata", sampling);
  return out;
}

Napi::Value Model::Tokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    std::string text = args::String(info[0], "text");
    bool addSpecial = info[1].ToBoolean();
    bool parseSpecial = info[2].ToBoolean();
    std::vector<llama_token> tokens = tokenizer::Tokenize(Vocab(env), text, addSpecial, parseSpecial);
    Napi::Int32Array out = Napi::Int32Array::New(env, tokens.size());
    std::copy(tokens.begin(), tokens.end(), out.Data());
    return out;
  });
}

Napi::Value Model::Detokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const llama_vocab* vocab = Vocab(env);
    std::vector<int32_t> tokens = args::Tokens(info[0], "tokens", llama_vocab_n_tokens(vocab));
    return Napi::String::New(env, tokenizer::Detokenize(vocab, tokens, info[1].ToBoolean(), info[2].ToBoolean()));
  });
}

Napi::Value Model::TokenToPiece(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const llama_vocab* vocab = Vocab(env);
    auto token = static_cast<llama_token>(args::Integer(info[0], "token", 0, llama_vocab_n_tokens(vocab) - 1));
    std::string piece = tokenizer::Piece(vocab, token, info[1].ToBoolean());
    return Napi::Buffer<char>::Copy(env, piece.data(), piece.size());
  });
}

Napi::Value Model::IsEog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const llama_vocab* vocab = Vocab(env);
  auto token = static_cast<llama_token>(args::Integer(info[0], "token", 0, llama_vocab_n_tokens(vocab) - 1));
  return Napi::Boolean::New(env, llama_vocab_is_eog(vocab, token));
}

Napi::Value Model::CreateContext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const ModelHandle& model = Handle(env);
    if (vocabOnly_) throw LlamaException(code::kUnsupported, "this model was loaded with vocabOnly: it has no weights to run");
    ContextOptions options = ParseContextOptions(args::OptionalObject(info[0], "options"));
    auto* worker = new CreateContextWorker(env, model, options);
    worker->Queue();
    return worker->Promise();
  });
}

Napi::Value Model::Dispose(const Napi::CallbackInfo& info) {
  model_.reset();
  return info.Env().Undefined();
}

Napi::Value Model::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !model_); }

}  // namespace lg
