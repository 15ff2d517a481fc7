// Devices: the ggml backend devices this build can use (CPU, CUDA, Metal, Vulkan...).
#pragma once

#include <napi.h>

namespace lg::devices {

// [{ name, description, type: 'cpu'|'gpu'|'igpu'|'accel', memoryFree, memoryTotal }]
Napi::Array List(Napi::Env env);

}  // namespace lg::devices
