// ContextState: a llama_context plus what every operation on it needs. Owned
// by shared_ptr: the JS Context holds one reference, each in-flight worker
// another, so dispose() never frees a context that a worker is using.
#pragma once

#include "Errors.h"
#include "LiveCounts.h"
#include "MemoryTrim.h"
#include "ModelHandle.h"
#include "ThreadPools.h"

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace lg {

struct ContextState {
  ContextState() { live::contexts++; }
  ~ContextState() {
    ctx.reset();
    threadPools.reset();
    live::contexts--;
    ReleaseFreedMemory();
  }
  ContextState(const ContextState&) = delete;
  ContextState& operator=(const ContextState&) = delete;

  // Destroyed in reverse order: the context first, then its thread pools, then the model.
  ModelHandle model;
  std::unique_ptr<ThreadPools> threadPools;
  std::unique_ptr<llama_context, decltype(&llama_free)> ctx{nullptr, llama_free};

  // Held by whatever operation is using `ctx`. Workers wait for it; the
  // synchronous KV-cache calls refuse with BUSY instead of blocking JS.
  std::mutex mutex;
  // The abort flag of the running operation, read by llama.cpp's abort callback.
  std::atomic<const std::atomic<bool>*> abort{nullptr};

  int32_t nVocab = 0;
  uint32_t nCtx = 0;
  uint32_t nCtxSeq = 0;
  uint32_t nBatch = 0;
  uint32_t nUbatch = 0;
  uint32_t nSeqMax = 0;
  bool kvUnified = true;

  llama_memory_t Memory() const { return llama_get_memory(ctx.get()); }

  // For synchronous calls from JS: the lock, or a BUSY error.
  std::unique_lock<std::mutex> TryLock(Napi::Env env) {
    std::unique_lock<std::mutex> lock(mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
      throw MakeError(env, code::kBusy, "another operation is running on this context; await it first");
    }
    return lock;
  }
};

using ContextStatePtr = std::shared_ptr<ContextState>;

// Sets the running operation's abort flag for the lifetime of this object.
class AbortScope {
 public:
  AbortScope(ContextState& state, const std::atomic<bool>* flag) : state_(state) { state_.abort.store(flag); }
  ~AbortScope() { state_.abort.store(nullptr); }
  AbortScope(const AbortScope&) = delete;
  AbortScope& operator=(const AbortScope&) = delete;

 private:
  ContextState& state_;
};

}  // namespace lg
