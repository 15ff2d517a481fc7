// The context's heavy operations, each a PromiseWorker run off the JS thread:
// creating a context, evaluating tokens, emptying the whole KV cache.
#pragma once

#include "ContextState.h"
#include "PromiseWorker.h"

#include <napi.h>

#include <string>
#include <vector>

namespace lg {

struct ContextOptions {
  uint32_t contextSize = 0;  // 0: the model's training context
  uint32_t batchSize = 512;
  uint32_t ubatchSize = 512;
  uint32_t sequences = 1;
  int32_t threads = 1;
  int32_t threadsBatch = 1;
  llama_flash_attn_type flashAttention = LLAMA_FLASH_ATTN_TYPE_AUTO;
  ggml_type typeK = GGML_TYPE_F16;
  ggml_type typeV = GGML_TYPE_F16;
  bool kvUnified = true;
  uint32_t threadPoll = 50;  // ggml thread pool polling level, 0..100
};

// Validates and reads a context options object (see lib/context.ts).
ContextOptions ParseContextOptions(Napi::Object options);

class CreateContextWorker : public PromiseWorker {
 public:
  CreateContextWorker(Napi::Env env, ModelHandle model, ContextOptions options);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

  ModelHandle model_;
  ContextOptions options_;
  ContextStatePtr state_;
};

enum class LogitsMode { kNone, kLast, kAll };

class EvaluateWorker : public PromiseWorker {
 public:
  EvaluateWorker(Napi::Env env, ContextStatePtr state, std::vector<llama_token> tokens, llama_seq_id sequence,
                 LogitsMode mode, std::shared_ptr<std::atomic<bool>> abort);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

  ContextStatePtr state_;
  std::vector<llama_token> tokens_;
  llama_seq_id sequence_;
  LogitsMode mode_;
  std::shared_ptr<std::atomic<bool>> abort_;
  std::vector<float> logits_;
};

// clearAll(): empties every sequence and zeroes the cache's buffers (a
// fresh context's state, whatever ran before), which for a large context is
// gigabytes of memset: not on the JS thread.
class ClearWorker : public PromiseWorker {
 public:
  ClearWorker(Napi::Env env, ContextStatePtr state);

 private:
  void Run() override;

  ContextStatePtr state_;
};

}  // namespace lg
