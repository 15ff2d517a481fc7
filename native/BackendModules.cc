#include "BackendModules.h"

#include "Backend.h"

#include <ggml-backend.h>

#include <algorithm>
#include <cstdlib>
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
std::vector<std::pair<ggml_backend_reg_t, std::string>> g_files;  // what LoadOrRecord registered, from which file

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

#ifdef _WIN32
const std::string kPrefix = "ggml-", kExtension = ".dll";
#else
const std::string kPrefix = "libggml-", kExtension = ".so";
#endif

bool IsBackendModule(const fs::path& file) {
  const std::string name = file.filename().u8string();
  return name.rfind(kPrefix, 0) == 0 && file.extension() == kExtension && name != kPrefix + "base" + kExtension;
}

bool IsCpuModule(const fs::path& file) { return file.filename().u8string().rfind(kPrefix + "cpu", 0) == 0; }

// CPU variants ggml would choose that are skipped unless LLAMA_GENERATE_CPU_VARIANT
// names them. Built by GCC < 13 (CMakeLists.txt defines LLAMA_GENERATE_SKIP_AMX),
// ggml's AMX kernels (sapphirerapids) die with SIGILL in tileloadd on prompt
// processing of Q8_0 models, llama.cpp's own tools too; the best variant below
// it is used instead (zen4 on an AMX Xeon: AVX-512 with VBMI, VNNI and BF16).
bool SkippedByDefault(const std::string& variant) {
#ifdef LLAMA_GENERATE_SKIP_AMX
  return variant == "sapphirerapids";
#else
  (void)variant;
  return false;
#endif
}

// ggml_backend_score() of a CPU module: 0 when the CPU lacks what it was built for.
int ScoreOf(const fs::path& file) {
  using Score = int (*)();
#ifdef _WIN32
  HMODULE handle = LoadLibraryW(file.wstring().c_str());
  if (handle == nullptr) return 0;
  auto score = reinterpret_cast<Score>(GetProcAddress(handle, "ggml_backend_score"));
  const int s = score != nullptr ? score() : 0;
  FreeLibrary(handle);
#else
  void* handle = dlopen(file.u8string().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return 0;
  auto score = reinterpret_cast<Score>(dlsym(handle, "ggml_backend_score"));
  const int s = score != nullptr ? score() : 0;
  dlclose(handle);
#endif
  return s;
}

// Registers a module's backend, or records why it did not load (a missing driver, typically).
void LoadOrRecord(const fs::path& file) {
  CaptureErrors capture;
  if (ggml_backend_reg_t reg = ggml_backend_load(file.u8string().c_str())) {
    g_files.emplace_back(reg, file.u8string());
  } else {
    const std::string reason = capture.text();
    g_report.failed.push_back({file.u8string(), reason.empty() ? "the module did not load, or its device is not supported here" : reason});
  }
}

// The CPU module with the highest score among `modules`: every variant but
// those skipped by default, or only the one `forced` names.
void LoadCpu(const std::vector<fs::path>& modules, const std::string& forced) {
  fs::path best;
  int bestScore = 0;
  bool named = false;
  for (const fs::path& file : modules) {
    const std::string variant = CpuVariantOf(file.u8string());
    if (!forced.empty()) {
      if (variant != forced) continue;
      named = true;
    } else if (SkippedByDefault(variant)) {
      g_report.skipped.push_back({file.u8string(), "skipped by default; LLAMA_GENERATE_CPU_VARIANT=" + variant + " uses it"});
      continue;
    }
    const int score = ScoreOf(file);
    if (score > bestScore) {
      bestScore = score;
      best = file;
    }
  }
  if (best.empty() && !forced.empty()) {
    g_report.failed.push_back({"LLAMA_GENERATE_CPU_VARIANT=" + forced,
                               named ? "this CPU lacks what that variant is built for; the default choice is used"
                                     : "no such CPU variant in " + g_report.dir + "; the default choice is used"});
    return LoadCpu(modules, "");
  }
  if (!best.empty()) LoadOrRecord(best);
}

void Load(const std::string& dir, const std::vector<std::string>& extraModules) {
  g_report.dir = dir;
  std::vector<fs::path> cpu, others;
  std::error_code ec;
  for (fs::directory_iterator it(fs::u8path(dir), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path file = it->path();
    if (IsBackendModule(file)) (IsCpuModule(file) ? cpu : others).push_back(file);
  }
  std::sort(cpu.begin(), cpu.end());
  std::sort(others.begin(), others.end());
  // GPU (and other) backends first, as ggml registers them, then the CPU.
  for (const fs::path& file : others) LoadOrRecord(file);
  for (const std::string& extra : extraModules) {
    // Skip a backend that is already registered (e.g. a GPU package beside a build that has it).
    const std::string stem = fs::u8path(extra).stem().u8string();
    const std::string name = stem.substr(stem.find("ggml-") + 5);
    if (ggml_backend_reg_by_name(name.c_str()) == nullptr) LoadOrRecord(fs::u8path(extra));
  }
  const char* forced = std::getenv("LLAMA_GENERATE_CPU_VARIANT");
  LoadCpu(cpu, forced != nullptr ? forced : "");
  // an out-of-tree backend named by ggml's own variable, as ggml_backend_load_all() honours it
  if (const char* path = std::getenv("GGML_BACKEND_PATH")) LoadOrRecord(fs::u8path(path));

  for (size_t i = 0; i < ggml_backend_reg_count(); i++) {
    ggml_backend_reg_t reg = ggml_backend_reg_get(i);
    std::string file;
    for (const auto& [loaded, path] : g_files) if (loaded == reg) file = path;
    if (file.empty()) file = ModuleFileOf(reg);
    LoadedModule module{ggml_backend_reg_name(reg), file, static_cast<int>(ggml_backend_reg_dev_count(reg))};
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
  g_loaded = true;
}

}  // namespace

const ModuleReport& LoadModules(const std::string& dir, const std::vector<std::string>& extraModules) {
  std::call_once(g_once, [&] { Load(dir, extraModules); });
  return g_report;
}

const ModuleReport* Modules() { return g_loaded ? &g_report : nullptr; }

}  // namespace lg::backend
