// AddonData: everything the addon keeps per JS environment (main thread or a
// worker_thread): the exported functions, the class constructors, the
// LlamaError class injected by lib/native.ts. Nothing is shared between envs.
#pragma once

#include "DeliveryJs.h"

#include <napi.h>

namespace lg {

class AddonData : public Napi::Addon<AddonData> {
 public:
  AddonData(Napi::Env env, Napi::Object exports);

  static AddonData* Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

  Napi::FunctionReference errorClass;    // LlamaError from lib/errors.ts
  Napi::FunctionReference modelClass;    // native Model
  Napi::FunctionReference contextClass;  // native Context
  Napi::FunctionReference generationClass;  // native Generation
  DeliveryKeys deliveryKeys;                // property names of generation.read()'s result

 private:
  Napi::Value SetErrorClass(const Napi::CallbackInfo& info);
  Napi::Value SetLogLevel(const Napi::CallbackInfo& info);
  Napi::Value SetLogCallback(const Napi::CallbackInfo& info);
  Napi::Value LoadBackends(const Napi::CallbackInfo& info);
  Napi::Value SystemInfo(const Napi::CallbackInfo& info);
  Napi::Value ListDevices(const Napi::CallbackInfo& info);
  Napi::Value LoadModel(const Napi::CallbackInfo& info);
  Napi::Value LiveObjects(const Napi::CallbackInfo& info);
};

}  // namespace lg
