#include "Errors.h"

#include "AddonData.h"

#include <new>

namespace lg {

ErrorInfo Classify(const std::exception& e) {
  if (auto* le = dynamic_cast<const LlamaException*>(&e)) return {le->code(), le->what()};
  if (dynamic_cast<const std::bad_alloc*>(&e)) return {code::kOutOfMemory, "out of memory"};
  return {code::kInternal, std::string("llama.cpp error: ") + e.what()};
}

Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message) {
  AddonData* data = AddonData::Get(env);
  if (data != nullptr && !data->errorClass.IsEmpty()) {
    Napi::Object err = data->errorClass.New({Napi::String::New(env, code), Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

}  // namespace lg
