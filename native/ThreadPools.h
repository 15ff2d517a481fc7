// ThreadPools: the persistent ggml CPU thread pools of one context, one for
// generation and one for batch (prompt) processing. Without them ggml spawns
// and joins its threads on every llama_decode, which costs more than a small
// model's whole forward pass.
#pragma once

#include <ggml.h>

#include <memory>

namespace lg {

class ThreadPools {
 public:
  // `poll`: how eagerly idle threads spin for new work (0..100, ggml's default 50).
  ThreadPools(int threads, int threadsBatch, uint32_t poll);
  ThreadPools(const ThreadPools&) = delete;
  ThreadPools& operator=(const ThreadPools&) = delete;

  ggml_threadpool* generation() const { return generation_.get(); }
  // The batch pool, or the generation pool when both have the same size.
  ggml_threadpool* batch() const { return batch_ ? batch_.get() : generation_.get(); }

 private:
  struct Free {
    void operator()(ggml_threadpool* pool) const;
  };
  using Pool = std::unique_ptr<ggml_threadpool, Free>;
  static Pool Create(int threads, uint32_t poll);

  Pool generation_;
  Pool batch_;
};

}  // namespace lg
