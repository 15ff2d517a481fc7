// Engine: the decode loop of one context. A thread of its own runs every
// active Job together (continuous batching): each step builds one batch with
// the next token of every generating sequence plus prompt tokens of joining
// ones, makes one llama_decode call, then samples each sequence with its own
// chain. Jobs join and leave between steps.
#pragma once

#include "../ContextState.h"
#include "Job.h"
#include "Slot.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace lg::generation {

class Engine {
 public:
  explicit Engine(ContextStatePtr state);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // JS thread: queue a job (starts the thread on first use).
  void Submit(std::shared_ptr<Job> job);
  // JS thread: something changed (a read made room, an abort).
  void Wake(bool interrupt = false);
  // Ends every job (reason DISPOSED) and joins the thread. Idempotent.
  void Stop();

 private:
  struct Active {
    std::shared_ptr<Job> job;
    std::vector<std::unique_ptr<Slot>> slots;
    bool started = false;
    Clock::time_point promptStart;
    Clock::time_point promptEnd;
    bool promptDone = false;
    bool completed = false;
    std::optional<Finish> finish;  // handed to the job by Retire(), outside the context lock
    int32_t cachedPromptTokens = 0;
  };

  void Run();
  void Admit(Active& a);
  // One batched decode over every runnable slot; false when nothing ran.
  bool Step();
  // Samples the output that asked for logits (and, after the shared prompt, its siblings).
  void Sample(Active& a, Slot& slot, const float* row);
  void SampleOne(Slot& slot, const float* row);
  bool MakeRoom(Slot& slot);
  void Rollback(const std::vector<Slot*>& inBatch);
  void Fail(Active& a, const ErrorInfo& error);
  void FinishIfDone(Active& a);
  void Retire();

  ContextStatePtr state_;
  const llama_vocab* vocab_;
  llama_batch batch_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> incoming_;
  bool stopping_ = false;
  bool woken_ = false;
  std::atomic<bool> interrupt_{false};
  std::thread thread_;

  std::vector<std::unique_ptr<Active>> active_;  // engine thread only
};

}  // namespace lg::generation
