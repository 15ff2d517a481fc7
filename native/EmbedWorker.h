// EmbedWorker: context.embed() and context.rank() off the JS thread. Runs the
// model over a list of inputs with embeddings enabled, several inputs per
// llama_decode (one sequence each), and pools each input's token states into
// one vector: by llama.cpp when the context pools natively (the GGUF declares
// mean, CLS, last or rank), else here from the per-token embeddings (a
// generative model, whose GGUF declares no pooling). See lib/embed/.
#pragma once

#include "ContextState.h"
#include "PromiseWorker.h"

#include <napi.h>

#include <atomic>
#include <memory>
#include <vector>

namespace lg {

enum class Pooling { kMean, kCls, kLast, kRank };

class EmbedWorker : public PromiseWorker {
 public:
  EmbedWorker(Napi::Env env, ContextStatePtr state, std::vector<std::vector<llama_token>> inputs, Pooling pooling,
              bool normalize, std::shared_ptr<std::atomic<bool>> abort);

  // embed(inputs: Int32Array[], pooling: 'mean'|'cls'|'last'|'rank', normalize) -> { promise, abort }
  static Napi::Value Start(const Napi::CallbackInfo& info, const ContextStatePtr& state);
  // The context's native pooling: 'none', 'mean', 'cls', 'last' or 'rank'.
  static const char* NativePoolingName(llama_context* ctx);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

  // Decodes inputs [first, last) together, one sequence each, and pools them.
  void RunGroup(size_t first, size_t last);
  // Decodes one long input in nBatch chunks (causal model, pooled here).
  void RunChunked(size_t index);
  void Decode(llama_batch& batch, size_t index);
  void Finish(size_t index, std::vector<float> pooled);

  ContextStatePtr state_;
  std::vector<std::vector<llama_token>> inputs_;
  Pooling pooling_;
  bool normalize_;
  std::shared_ptr<std::atomic<bool>> abort_;
  bool nativePooling_ = false;
  int32_t dimension_ = 0;
  std::vector<float> out_;
};

}  // namespace lg
