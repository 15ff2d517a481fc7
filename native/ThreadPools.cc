#include "ThreadPools.h"

#include "Errors.h"

#include <string>

namespace lg {

ThreadPools::Pool ThreadPools::Create(int threads, uint32_t poll) {
  ggml_threadpool_params params = ggml_threadpool_params_default(threads);
  params.poll = poll;
  ggml_threadpool* pool = ggml_threadpool_new(&params);
  if (pool == nullptr) {
    throw LlamaException(code::kOutOfMemory, "cannot create a thread pool of " + std::to_string(threads) + " threads");
  }
  return Pool(pool);
}

ThreadPools::ThreadPools(int threads, int threadsBatch, uint32_t poll) : generation_(Create(threads, poll)) {
  if (threadsBatch != threads) batch_ = Create(threadsBatch, poll);
}

}  // namespace lg
