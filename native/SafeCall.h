// Calling into JS from a thread-safe function callback without ever aborting
// the process. node-addon-api's Function::Call turns a failed napi call into
// a Napi::Error, and building that error itself fails while an environment is
// shutting down (worker termination, process exit): node-addon-api then calls
// Napi::Error::Fatal and the whole process aborts. These helpers use the C
// API directly and drop any failure or exception.
#pragma once

#include <napi.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace lg {

// Whether this environment can still run JS. While a worker is terminated or
// the process exits, napi calls that run JS fail, and node-addon-api aborts
// the process when it then tries to build the Napi::Error. A call that runs
// JS (setting a property) on a fresh object tells, without side effects.
inline bool CanCallIntoJs(napi_env env) {
  if (env == nullptr) return false;
  napi_value probe;
  if (napi_create_object(env, &probe) != napi_ok) return false;
  if (napi_set_named_property(env, probe, "probe", probe) == napi_ok) return true;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
  }
  return false;
}

// Calls `fn` with `args` and `undefined` as this; a thrown exception is
// cleared, a failed call (environment going away) ignored.
inline void CallIgnoringErrors(napi_env env, napi_value fn, std::initializer_list<napi_value> args = {}) {
  if (env == nullptr || fn == nullptr) return;
  napi_value recv;
  if (napi_get_undefined(env, &recv) != napi_ok) return;
  std::vector<napi_value> argv(args);
  napi_value result;
  if (napi_call_function(env, recv, fn, argv.size(), argv.data(), &result) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
  }
}

// A JS string, or nullptr when it cannot be made (environment going away).
inline napi_value StringOrNull(napi_env env, const std::string& text) {
  napi_value out;
  return napi_create_string_utf8(env, text.data(), text.size(), &out) == napi_ok ? out : nullptr;
}

}  // namespace lg
