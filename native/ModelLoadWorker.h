// ModelLoadWorker: loads a GGUF file on a worker thread, reporting progress
// to JS and honouring an abort flag, and resolves with a native Model.
#pragma once

#include "Errors.h"
#include "ModelHandle.h"

#include <napi.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace lg {

struct ModelLoadOptions {
  std::string path;
  int32_t gpuLayers = -1;
  llama_load_mode loadMode = LLAMA_LOAD_MODE_AUTO;
  bool vocabOnly = false;
  // ggml device names (e.g. "CUDA0", "Vulkan1") to place layers on; empty = llama.cpp's choice (every GPU).
  std::vector<std::string> devices;
};

class ModelLoadWorker : public Napi::AsyncProgressWorker<float> {
 public:
  ModelLoadWorker(Napi::Env env, ModelLoadOptions options, Napi::Value onProgress,
                  std::shared_ptr<std::atomic<bool>> abort);
  Napi::Promise Promise() { return deferred_.Promise(); }

 private:
  void Execute(const ExecutionProgress& progress) override;
  void OnProgress(const float* data, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

  ModelLoadOptions options_;
  std::shared_ptr<std::atomic<bool>> abort_;
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference onProgress_;
  const ExecutionProgress* progress_ = nullptr;
  ModelHandle model_;
  ErrorInfo error_;
};

}  // namespace lg
