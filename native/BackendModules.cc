#include "BackendModules.h"

#include "Backend.h"

#include <ggml-backend.h>

#include <filesystem>
#include <mutex>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace lg::backend {
namespace {

namespace fs = std::filesystem;

std::once_flag g_once;
ModuleReport g_report;
bool g_loaded = false;

// The file a backend's code lives in: the module behind one of its functions.
std::string ModuleFileOf(ggml_backend_reg_t reg) {
  void* symbol = ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
  if (symbol == nullptr) symbol = reinterpret_cast<void*>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads"));
  if (symbol == nullptr) return "";
#ifdef _WIN32
  HMODULE module = nullptr;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          static_cast<LPCWSTR>(symbol), &module)) {
    return "";
  }
  wchar_t buffer[MAX_PATH];
  DWORD n = GetModuleFileNameW(module, buffer, MAX_PATH);
  return n == 0 ? "" : fs::path(std::wstring(buffer, n)).u8string();
#else
  Dl_info info{};
  if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
#endif
}

// "libggml-cpu-skylakex.so" -> "skylakex"; "libggml-cpu.so" -> "".
std::string CpuVariantOf(const std::string& file) {
  std::string stem = fs::u8path(file).stem().u8string();
  const std::string marker = "ggml-cpu-";
  size_t at = stem.find(marker);
  return at == std::string::npos ? "" : stem.substr(at + marker.size());
}

bool IsBackendModule(const fs::path& file) {
#ifdef _WIN32
  const std::string prefix = "ggml-", extension = ".dll";
#else
  const std::string prefix = "libggml-", extension = ".so";
#endif
  const std::string name = file.filename().u8string();
  return name.rfind(prefix, 0) == 0 && file.extension() == extension && name != prefix + "base" + extension;
}

// Tries to load a module that ggml skipped, to learn why (ggml is silent in release builds).
void RecordFailure(const fs::path& file) {
  CaptureErrors capture;
  ggml_backend_reg_t reg = ggml_backend_load(file.u8string().c_str());
  if (reg != nullptr) {
    g_report.loaded.push_back({ggml_backend_reg_name(reg), file.u8string(), static_cast<int>(ggml_backend_reg_dev_count(reg))});
    return;
  }
  std::string reason = capture.text();
  g_report.failed.push_back({file.u8string(), reason.empty() ? "the module did not load" : reason});
}

void Load(const std::string& dir, const std::vector<std::string>& extraModules) {
  g_report.dir = dir;
  ggml_backend_load_all_from_path(dir.c_str());
  for (const std::string& extra : extraModules) {
    // Skip a backend that is already registered (e.g. a GPU package beside a build that has it).
    std::string stem = fs::u8path(extra).stem().u8string();
    std::string name = stem.substr(stem.find("ggml-") + 5);
    if (ggml_backend_reg_by_name(name.c_str()) != nullptr) continue;
    CaptureErrors capture;
    if (ggml_backend_load(extra.c_str()) == nullptr) {
      std::string reason = capture.text();
      g_report.failed.push_back({extra, reason.empty() ? "the module did not load" : reason});
    }
  }

  for (size_t i = 0; i < ggml_backend_reg_count(); i++) {
    ggml_backend_reg_t reg = ggml_backend_reg_get(i);
    LoadedModule module{ggml_backend_reg_name(reg), ModuleFileOf(reg), static_cast<int>(ggml_backend_reg_dev_count(reg))};
    if (module.backend == "CPU") {
      g_report.cpuVariant = CpuVariantOf(module.path);
      auto getFeatures = reinterpret_cast<ggml_backend_get_features_t>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features"));
      if (getFeatures != nullptr) {
        for (ggml_backend_feature* f = getFeatures(reg); f != nullptr && f->name != nullptr; f++) {
          g_report.cpuFeatures.emplace_back(f->name, f->value != nullptr ? f->value : "");
        }
      }
    }
    g_report.loaded.push_back(std::move(module));
  }

  // GPU modules in the directory that ggml did not register: say why.
  std::error_code ec;
  for (fs::directory_iterator it(fs::u8path(dir), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path file = it->path();
    if (!IsBackendModule(file) || file.filename().u8string().find("ggml-cpu") != std::string::npos) continue;
    bool registered = false;
    for (const LoadedModule& m : g_report.loaded) {
      std::error_code same;
      if (!m.path.empty() && fs::equivalent(fs::u8path(m.path), file, same)) registered = true;
    }
    if (!registered) RecordFailure(file);
  }
  g_loaded = true;
}

}  // namespace

const ModuleReport& LoadModules(const std::string& dir, const std::vector<std::string>& extraModules) {
  std::call_once(g_once, [&] { Load(dir, extraModules); });
  return g_report;
}

const ModuleReport* Modules() { return g_loaded ? &g_report : nullptr; }

}  // namespace lg::backend
