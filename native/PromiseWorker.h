// PromiseWorker: an AsyncWorker bound to a Promise. Run() does the heavy part
// on a libuv worker thread; any exception it throws rejects the promise with a
// LlamaError carrying the exception's code. Result() builds the resolved
// value on the JS thread.
#pragma once

#include "Errors.h"

#include <napi.h>

namespace lg {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error& error) final;

  Napi::Promise::Deferred deferred_;
  ErrorInfo error_;
};

}  // namespace lg
