#include "Devices.h"

#include <ggml-backend.h>

namespace lg::devices {
namespace {

const char* TypeName(enum ggml_backend_dev_type type) {
  switch (type) {
    case GGML_BACKEND_DEVICE_TYPE_CPU: return "cpu";
    case GGML_BACKEND_DEVICE_TYPE_GPU: return "gpu";
    case GGML_BACKEND_DEVICE_TYPE_IGPU: return "igpu";
    case GGML_BACKEND_DEVICE_TYPE_ACCEL: return "accel";
    default: return "other";
  }
}

}  // namespace

Napi::Array List(Napi::Env env) {
  const size_t count = ggml_backend_dev_count();
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    size_t free = 0;
    size_t total = 0;
    ggml_backend_dev_memory(dev, &free, &total);
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    Napi::Object d = Napi::Object::New(env);
    d.Set("name", ggml_backend_dev_name(dev));
    d.Set("description", ggml_backend_dev_description(dev));
    d.Set("backend", reg ? ggml_backend_reg_name(reg) : "");
    d.Set("type", TypeName(ggml_backend_dev_type(dev)));
    d.Set("memoryFree", static_cast<double>(free));
    d.Set("memoryTotal", static_cast<double>(total));
    out.Set(static_cast<uint32_t>(i), d);
  }
  return out;
}

}  // namespace lg::devices
