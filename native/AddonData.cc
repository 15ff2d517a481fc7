#include "AddonData.h"

#include "Args.h"
#include "Backend.h"
#include "BackendModules.h"
#include "ChatTemplate.h"
#include "Context.h"
#include "Devices.h"
#include "Errors.h"
#include "Generation.h"
#include "GrammarStats.h"
#include "LiveCounts.h"
#include "Model.h"
#include "ModelLoadWorker.h"
#include "Sampler.h"
#include "SamplerBenchmark.h"
#include "sampling/StageFactory.h"

#include <ggml-backend.h>
#include <llama.h>

#include <string>
#include <vector>

namespace lg {

AddonData::AddonData(Napi::Env env, Napi::Object exports) : deliveryKeys(env) {
  backend::EnsureInitialized();
  modelClass = Napi::Persistent(Model::Init(env));
  contextClass = Napi::Persistent(Context::Init(env));
  generationClass = Napi::Persistent(Generation::Init(env));
  DefineAddon(exports, {
                           InstanceMethod<&AddonData::SetErrorClass>("setErrorClass"),
                           InstanceMethod<&AddonData::SetLogLevel>("setLogLevel"),
                           InstanceMethod<&AddonData::SetLogCallback>("setLogCallback"),
                           InstanceMethod<&AddonData::LoadBackends>("loadBackends"),
                           InstanceMethod<&AddonData::SystemInfo>("systemInfo"),
                           InstanceMethod<&AddonData::ListDevices>("listDevices"),
                           InstanceMethod<&AddonData::LoadModel>("loadModel"),
                           InstanceMethod<&AddonData::LiveObjects>("liveObjects"),
                           InstanceValue("applyChatTemplate", Napi::Function::New<ApplyChatTemplate>(env)),
                           InstanceValue("NativeSampler", Sampler::Init(env)),
                           InstanceValue("benchmarkSampler", Napi::Function::New<BenchmarkSampler>(env)),
                           InstanceValue("benchmarkLlamaChain", Napi::Function::New<BenchmarkLlamaChain>(env)),
                           InstanceValue("grammarCacheStats", Napi::Function::New<GrammarCacheStats>(env)),
                           InstanceValue("grammarCacheClear", Napi::Function::New<GrammarCacheClear>(env)),
                           InstanceValue("stageKinds", Napi::Function::New<sampling::StageKinds>(env)),
                       });
}

Napi::Value AddonData::SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw MakeError(info.Env(), code::kInvalidArgument, "setErrorClass expects a class");
  errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value AddonData::SetLogLevel(const Napi::CallbackInfo& info) {
  backend::SetLogLevel(info.Env(), static_cast<int>(args::Integer(info[0], "level", 0, 4)));
  return info.Env().Undefined();
}

Napi::Value AddonData::SetLogCallback(const Napi::CallbackInfo& info) {
  backend::SetLogCallback(info.Env(), info[0]);
  return info.Env().Undefined();
}

namespace {

// An array of one object per item, each filled by `fill(object, item)`.
template <typename T, typename Fill>
Napi::Array ObjectArray(Napi::Env env, const std::vector<T>& items, Fill fill) {
  Napi::Array out = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    fill(o, items[i]);
    out.Set(i, o);
  }
  return out;
}

Napi::Object ModuleReportObject(Napi::Env env, const backend::ModuleReport& report) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("dir", report.dir);
  out.Set("cpuVariant", report.cpuVariant);
  Napi::Object features = Napi::Object::New(env);
  for (const auto& [name, value] : report.cpuFeatures) features.Set(name, value);
  out.Set("cpuFeatures", features);
  out.Set("loaded", ObjectArray(env, report.loaded, [](Napi::Object& o, const backend::LoadedModule& m) {
    o.Set("backend", m.backend);
    o.Set("path", m.path);
    o.Set("devices", m.devices);
  }));
  const auto pathAndReason = [](Napi::Object& o, const backend::FailedModule& m) {
    o.Set("path", m.path);
    o.Set("reason", m.reason);
  };
  out.Set("failed", ObjectArray(env, report.failed, pathAndReason));
  out.Set("skipped", ObjectArray(env, report.skipped, pathAndReason));
  return out;
}

}  // namespace

// loadBackends(dir, extraModules: string[]) -> the module report (once per process; later calls return the first report)
Napi::Value AddonData::LoadBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string dir = args::String(info[0], "dir");
  std::vector<std::string> extra;
  if (!info[1].IsUndefined()) {
    if (!info[1].IsArray()) throw MakeError(env, code::kInvalidArgument, "extraModules must be an array of paths");
    Napi::Array list = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) extra.push_back(args::String(list.Get(i), "extraModules[i]"));
  }
  return ModuleReportObject(env, backend::LoadModules(dir, extra));
}

Napi::Value AddonData::SystemInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (const backend::ModuleReport* report = backend::Modules()) out.Set("modules", ModuleReportObject(env, *report));
  out.Set("llamaCppBuild", llama_version());
  out.Set("system", llama_print_system_info());
  out.Set("supportsGpuOffload", llama_supports_gpu_offload());
  out.Set("supportsMmap", llama_supports_mmap());
  out.Set("supportsMlock", llama_supports_mlock());
  out.Set("maxSequences", static_cast<double>(llama_max_parallel_sequences()));
  return out;
}

Napi::Value AddonData::ListDevices(const Napi::CallbackInfo& info) { return devices::List(info.Env()); }

// loadModel(path, { gpuLayers, useMmap, useMlock, vocabOnly }, onProgress?) -> { promise, abort }
Napi::Value AddonData::LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (backend::Modules() == nullptr || ggml_backend_dev_count() == 0) {
    throw MakeError(env, code::kBackendUnavailable, "no ggml backend is loaded (loadBackends() found no CPU module in the binary directory)");
  }
  ModelLoadOptions options;
  options.path = args::String(info[0], "path");
  if (options.path.empty()) throw MakeError(env, code::kInvalidArgument, "path must not be empty");
  Napi::Object o = args::OptionalObject(info[1], "options");
  options.gpuLayers = static_cast<int32_t>(args::OptionalInteger(o, "gpuLayers", -1, -1, INT32_MAX));
  options.vocabOnly = args::OptionalBool(o, "vocabOnly", false);
  const Napi::Value devices = o.Get("devices");
  if (!devices.IsUndefined()) {
    if (!devices.IsArray()) throw MakeError(env, code::kInvalidArgument, "devices must be an array of device names");
    Napi::Array list = devices.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) options.devices.push_back(args::String(list.Get(i), "devices[i]"));
  }
  const bool mlock = args::OptionalBool(o, "useMlock", false);
  const Napi::Value mmapValue = o.Get("useMmap");
  if (mmapValue.IsUndefined() || mmapValue.IsNull()) {
    options.loadMode = mlock ? LLAMA_LOAD_MODE_MMAP_MLOCK : LLAMA_LOAD_MODE_AUTO;
  } else if (args::OptionalBool(o, "useMmap", true)) {
    options.loadMode = mlock ? LLAMA_LOAD_MODE_MMAP_MLOCK : LLAMA_LOAD_MODE_MMAP;
  } else {
    options.loadMode = mlock ? LLAMA_LOAD_MODE_MLOCK : LLAMA_LOAD_MODE_NONE;
  }
  auto abort = std::make_shared<std::atomic<bool>>(false);
  auto* worker = new ModelLoadWorker(env, std::move(options), info[2], abort);
  Napi::Object out = Napi::Object::New(env);
  out.Set("promise", worker->Promise());
  out.Set("abort", Napi::Function::New(env, [abort](const Napi::CallbackInfo&) { abort->store(true); }));
  worker->Queue();
  return out;
}

}  // namespace lg

namespace lg {

// Process-wide counts of live llama.cpp models and contexts (for leak tests).
Napi::Value AddonData::LiveObjects(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("models", live::models.load());
  out.Set("contexts", live::contexts.load());
  return out;
}

}  // namespace lg
