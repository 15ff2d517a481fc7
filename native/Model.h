// Model: the JS face of a loaded llama_model (see lib/model.ts). Holds one
// reference to the weights; contexts hold their own.
#pragma once

#include "ModelHandle.h"

#include <napi.h>

namespace lg {

class Model : public Napi::ObjectWrap<Model> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Model(const Napi::CallbackInfo& info);  // from ModelLoadWorker only

  // The live handle, or throws DISPOSED.
  const ModelHandle& Handle(Napi::Env env) const;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Tokenize(const Napi::CallbackInfo& info);
  Napi::Value Detokenize(const Napi::CallbackInfo& info);
  Napi::Value TokenToPiece(const Napi::CallbackInfo& info);
  Napi::Value IsEog(const Napi::CallbackInfo& info);
  Napi::Value CreateContext(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);

  const llama_vocab* Vocab(Napi::Env env) const { return llama_model_get_vocab(Handle(env).get()); }

  ModelHandle model_;
  bool vocabOnly_ = false;
};

}  // namespace lg
