// BackendModules: loads ggml's backend modules (the build uses GGML_BACKEND_DL)
// once per process and remembers what was loaded, for systemInfo().
//
// The binary directory holds one CPU module per instruction-set level
// (libggml-cpu-haswell.so, libggml-cpu-skylakex.so, …): each is scored
// against the running CPU with its own ggml_backend_score(), as ggml does, and
// the best is loaded, except variants skipped by default (AMX, see the .cc) or
// the one LLAMA_GENERATE_CPU_VARIANT names. GPU modules (libggml-vulkan.so,
// libggml-cuda.so) in that directory or in GPU packages load when their driver
// does; one that does not is recorded with the loader's reason, not fatal.
#pragma once

#include <string>
#include <vector>

namespace lg::backend {

struct LoadedModule {
  std::string backend;  // ggml's registry name: CPU, Vulkan, CUDA, …
  std::string path;     // the file it came from
  int devices = 0;
};

struct FailedModule {
  std::string path;
  std::string reason;
};

struct ModuleReport {
  std::string dir;         // the binary directory
  std::string cpuVariant;  // e.g. "skylakex"; "" when the CPU module has no variant suffix
  std::vector<std::pair<std::string, std::string>> cpuFeatures;  // ggml's get_features of the CPU backend
  std::vector<LoadedModule> loaded;
  std::vector<FailedModule> failed;
  std::vector<FailedModule> skipped;  // CPU variants passed over by default (reason)
};

// Loads the modules of `dir`, then the GPU modules named in `extraModules`
// (skipping a backend already loaded). Runs once per process; later calls,
// from any environment, return the first call's report. Not thread-safe
// against itself except through its own once-guard.
const ModuleReport& LoadModules(const std::string& dir, const std::vector<std::string>& extraModules);

// The report of the load, or nullptr before LoadModules ran.
const ModuleReport* Modules();

}  // namespace lg::backend
