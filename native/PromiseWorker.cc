#include "PromiseWorker.h"
#include "SafeCall.h"

namespace lg {

PromiseWorker::PromiseWorker(Napi::Env env, const char* name)
    : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}

void PromiseWorker::Execute() {
  try {
    Run();
  } catch (const std::exception& e) {
    error_ = Classify(e);
    SetError(error_.message);
  } catch (...) {
    error_ = {code::kInternal, "unknown native error"};
    SetError(error_.message);
  }
}

// OnOK/OnError let no exception out: node-addon-api aborts the process when
// one escapes while the environment shuts down (process exit, worker terminated).
void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  if (!CanCallIntoJs(env)) return;  // nobody is left to observe the promise
  try {
    Napi::HandleScope scope(env);
    try {
      deferred_.Resolve(Guard(env, [&] { return Result(env); }));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  } catch (...) {
    // JS can no longer run: nobody is left to observe the promise
  }
}

void PromiseWorker::OnError(const Napi::Error& /*error*/) {
  Napi::Env env = Env();
  if (!CanCallIntoJs(env)) return;
  try {
    Napi::HandleScope scope(env);
    deferred_.Reject(MakeError(env, error_.code, error_.message).Value());
  } catch (...) {
  }
}

}  // namespace lg
