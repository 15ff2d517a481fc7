// Module entry point: one AddonData per environment (context-aware addon).
#include "AddonData.h"
#include "AssertGuard.h"
#include "ModulePin.h"

namespace {

// node-addon-api's own registration turns an exception into a JS one, and
// aborts the process if that fails too, which happens when a worker thread is
// terminated while it loads the addon. Here nothing escapes: the load fails
// with a JS error when JS can still run, quietly when it cannot.
napi_value Init(napi_env env, napi_value exports) {
  lg::PinModule();
  lg::AssertGuard::Install();
  try {
    return lg::AddonData::Init(Napi::Env(env), Napi::Object(env, exports));
  } catch (const Napi::Error& error) {
    try {
      error.ThrowAsJavaScriptException();
    } catch (...) {
    }
  } catch (...) {
  }
  return nullptr;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
