// Engine: the decode loop of one context. A thread of its own runs every
// active Job together (continuous batching): each step builds one batch with
// the next token of every generating sequence plus prompt tokens of joining
// ones, makes one llama_decode call, then samples each sequence with its own
// chain (or, for a beam-search job, runs one step of the search over all its
// beams; or, for an output with a drafter, verifies the proposals it added to
// the batch). Jobs join and leave between steps.
#pragma once

#include "../ContextState.h"
#include "Job.h"
#include "Slot.h"
#include "beam/BeamRun.h"

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
    std::unique_ptr<beam::BeamRun> beams;  // beam search: the search over `slots` (its lanes)
    bool started = false;
    Clock::time_point promptStart;
    Clock::time_point promptEnd;
    bool promptDone = false;
    bool completed = false;
    std::optional<Finish> finish;  // handed to the job by Retire(), outside the context lock
    int32_t cachedPromptTokens = 0;
  };

  // What one step decodes: the batch's sequences in batch order, with their jobs.
  struct StepBatch {
    std::vector<Slot*> slots;
    std::vector<Active*> owners;
    bool empty() const { return slots.empty(); }
  };

  void Run();
  // One batched decode over every runnable slot; false when nothing ran.
  // Reads top to bottom: the steps below, in the order they run.
  bool Step();

  // 1. Admits new jobs; ends those aborted or past max_time.
  void ExpireDeadlines(Clock::time_point now);
  void Admit(Active& a);
  // 2. Fills the batch (the batch-slot policy: see the comment in Engine.cc).
  StepBatch BuildBatch();
  void AddGenerating(Active& a, StepBatch& batch, int32_t& budget);
  void AddBeams(Active& a, StepBatch& batch, int32_t& budget);
  // Speculative decoding: the next token and the drafter's proposals.
  void AddDrafted(Slot& s, int32_t& budget);
  void AddPrompts(Active& a, StepBatch& batch, int32_t& budget);
  void AddToken(Slot& s, llama_token token, bool logits, int32_t& budget);
  static void Enlist(StepBatch& batch, Active& a, Slot& s);
  bool RestartWithoutCache(Slot& s);
  bool MakeRoom(Slot& slot);
  // 3. Decodes; on failure rolls the step back and ends whom it must.
  void HandleDecodeError(const StepBatch& batch, int32_t rc);
  void Rollback(const StepBatch& batch);
  // 4. Samples every output that got logits, and steps every beam search.
  void SampleOutputs(const StepBatch& batch);
  // Samples the output that asked for logits (and, after the shared prompt, its siblings).
  void Sample(Active& a, Slot& slot, const float* row);
  void SampleOne(Slot& slot, const float* row);
  // The chosen token of an output, with its extras (`slot.scores`, the
  // chain's processed scores, is taken for output_scores): ends the output at
  // an end-of-generation token; false when the output ended (EOS, stop
  // string, max_new_tokens).
  bool Emit(Slot& slot, llama_token token, const float* row);
  static bool IsEos(const Request& r, llama_token token);
  // Speculative decoding: keeps the proposals the chain accepts, then the
  // chain's own token; drops the rest from the cache (EngineSpeculative.cc).
  void VerifyDrafts(Slot& slot, int32_t firstRow);
  void StepBeams(Active& a);
  void MarkPromptDone(Active& a);
  // 5. Tells JS about what is queued.
  void Announce(Clock::time_point stepStart);

  void Fail(Active& a, const ErrorInfo& error);
  // Ends an output (or, for a beam search, the whole search) for `reason`.
  void End(Active& a, Slot& slot, const char* reason);
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
