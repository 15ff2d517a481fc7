#include "ModulePin.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace lg {

void PinModule() {
  static const bool pinned = [] {
#if defined(_WIN32)
    HMODULE self = nullptr;
    return GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                              reinterpret_cast<LPCWSTR>(&PinModule), &self) != 0;
#else
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&PinModule), &info) == 0 || info.dli_fname == nullptr) return false;
    // RTLD_NOLOAD: the module is already loaded; RTLD_NODELETE: never unload it.
    return dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != nullptr;
#endif
  }();
  (void)pinned;
}

}  // namespace lg
