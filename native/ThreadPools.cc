#include "ThreadPools.h"

#include "Errors.h"

#include <ggml-backend.h>

#include <string>

namespace lg {
namespace {

// The thread-pool functions live in the CPU backend module ggml loaded at run
// time (GGML_BACKEND_DL): reach them through its registry entry.
using ThreadpoolNew = ggml_threadpool* (*)(ggml_threadpool_params*);
using ThreadpoolFree = void (*)(ggml_threadpool*);

template <typename Fn>
Fn CpuFunction(const char* name) {
  ggml_backend_reg_t reg = ggml_backend_reg_by_name("CPU");
  void* fn = reg != nullptr ? ggml_backend_reg_get_proc_address(reg, name) : nullptr;
  if (fn == nullptr) throw LlamaException(code::kBackendUnavailable, std::string("the CPU backend has no ") + name);
  return reinterpret_cast<Fn>(fn);
}

}  // namespace

void ThreadPools::Free::operator()(ggml_threadpool* pool) const {
  static ThreadpoolFree free = CpuFunction<ThreadpoolFree>("ggml_threadpool_free");
  free(pool);
}

ThreadPools::Pool ThreadPools::Create(int threads, uint32_t poll) {
  static ThreadpoolNew create = CpuFunction<ThreadpoolNew>("ggml_threadpool_new");
  ggml_threadpool_params params = ggml_threadpool_params_default(threads);
  params.poll = poll;
  ggml_threadpool* pool = create(&params);
  if (pool == nullptr) {
    throw LlamaException(code::kOutOfMemory, "cannot create a thread pool of " + std::to_string(threads) + " threads");
  }
  return Pool(pool);
}

ThreadPools::ThreadPools(int threads, int threadsBatch, uint32_t poll) : generation_(Create(threads, poll)) {
  if (threadsBatch != threads) batch_ = Create(threadsBatch, poll);
}

}  // namespace lg
