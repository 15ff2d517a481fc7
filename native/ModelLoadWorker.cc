#include "ModelLoadWorker.h"
#include "SafeCall.h"

#include "AddonData.h"
#include "AssertGuard.h"
#include "Backend.h"

#include <ggml-backend.h>

#include <cstdio>
#include <filesystem>

namespace lg {

ModelLoadWorker::ModelLoadWorker(Napi::Env env, ModelLoadOptions options, Napi::Value onProgress,
                                 std::shared_ptr<std::atomic<bool>> abort)
    : Napi::AsyncProgressWorker<float>(env, "llama-generate:loadModel"),
      options_(std::move(options)),
      abort_(std::move(abort)),
      deferred_(Napi::Promise::Deferred::New(env)) {
  if (onProgress.IsFunction()) onProgress_ = Napi::Persistent(onProgress.As<Napi::Function>());
}

void ModelLoadWorker::Execute(const ExecutionProgress& progress) {
  progress_ = &progress;
  try {
    if (abort_->load()) throw LlamaException(code::kAborted, "model load aborted");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::u8path(options_.path), ec)) {
      throw LlamaException(code::kModelNotFound, "model file not found: " + options_.path);
    }
    llama_model_params params = llama_model_default_params();
    params.n_gpu_layers = options_.gpuLayers;
    std::vector<ggml_backend_dev_t> devices;
    if (!options_.devices.empty()) {
      for (const std::string& name : options_.devices) {
        ggml_backend_dev_t dev = ggml_backend_dev_by_name(name.c_str());
        if (dev == nullptr) throw LlamaException(code::kInvalidArgument, "devices: no device named " + name);
        devices.push_back(dev);
      }
      devices.push_back(nullptr);
      params.devices = devices.data();
    }
    params.load_mode = options_.loadMode;
    params.vocab_only = options_.vocabOnly;
    params.progress_callback = [](float p, void* self) -> bool {
      auto* worker = static_cast<ModelLoadWorker*>(self);
      worker->progress_->Send(&p, 1);
      return !worker->abort_->load();
    };
    params.progress_callback_user_data = this;

    backend::CaptureErrors capture;
    llama_model* model;
    {
      AssertGuard guard;  // a file that fails one of llama.cpp's load-time asserts is INVALID_MODEL
      model = llama_model_load_from_file(options_.path.c_str(), params);
    }
    if (model == nullptr) {
      if (abort_->load()) throw LlamaException(code::kAborted, "model load aborted");
      std::string why = capture.text();
      bool oom = why.find("alloc") != std::string::npos || why.find("out of memory") != std::string::npos;
      throw LlamaException(oom ? code::kOutOfMemory : code::kInvalidModel,
                           "failed to load model " + options_.path + (why.empty() ? "" : ": " + why));
    }
    model_ = AdoptModel(model);
  } catch (const std::exception& e) {
    error_ = Classify(e);
    SetError(error_.message);
  }
}

void ModelLoadWorker::OnProgress(const float* data, size_t count) {
  if (onProgress_.IsEmpty() || count == 0) return;
  Napi::HandleScope scope(Env());
  napi_value progress;
  if (napi_create_double(Env(), data[count - 1], &progress) != napi_ok) return;
  // a throwing progress callback must not break the load, nor a dying environment abort the process
  CallIgnoringErrors(Env(), onProgress_.Value(), {progress});
}

// OnOK/OnError let no exception out: node-addon-api aborts the process when
// one escapes while the environment shuts down (worker terminated mid-load).
void ModelLoadWorker::OnOK() {
  Napi::Env env = Env();
  LoadedModel loaded{std::move(model_), options_.vocabOnly};
  if (!CanCallIntoJs(env)) return;  // nobody is left to observe the promise; the model is freed here
  try {
    Napi::HandleScope scope(env);
    try {
      Napi::Object model = AddonData::Get(env)->modelClass.New({Napi::External<LoadedModel>::New(env, &loaded)});
      deferred_.Resolve(model);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  } catch (...) {
    // JS can no longer run: nobody is left to observe the promise
  }
}

void ModelLoadWorker::OnError(const Napi::Error& /*error*/) {
  if (!CanCallIntoJs(Env())) return;
  try {
    Napi::HandleScope scope(Env());
    deferred_.Reject(MakeError(Env(), error_.code, error_.message).Value());
  } catch (...) {
  }
}

}  // namespace lg
