// Job: a submitted Request and its output queue, shared by the engine thread
// (producer) and the JS Generation object (consumer). Tokens wait in the
// queue until JS reads them; when `queueCapacity` are waiting the engine
// leaves the job out of its batches until JS catches up, so a consumer that
// never reads costs a bounded amount of memory.
#pragma once

#include "../Errors.h"
#include "Request.h"

#include <napi.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace lg::generation {

using Clock = std::chrono::steady_clock;

struct TokenLogprob {
  llama_token token = 0;
  float logprob = 0;
  std::vector<std::pair<llama_token, float>> top;
};

// What one output produced since the last read, text cut only at character boundaries.
struct Chunk {
  int32_t index = 0;
  std::vector<llama_token> tokens;
  std::string text;
  std::vector<TokenLogprob> logprobs;
  std::vector<std::vector<float>> scores;
  std::vector<std::vector<float>> logits;
};

struct OutputEnd {
  int32_t index = 0;
  const char* finishReason = "length";
  std::string stopString;
  // Tokens (prompt + generated, in order) now held by the output's sequence
  // from position 0, or -1 when its content is no longer that prefix.
  int32_t cachedTokens = -1;
  // Beam search: transformers' sequences_scores entry of this output.
  std::optional<float> score;
  // Speculative decoding: what the drafts did.
  std::optional<speculative::Stats> speculative;
};

struct Finish {
  bool failed = false;
  ErrorInfo error;
  int32_t promptTokens = 0;
  int32_t cachedPromptTokens = 0;
  double promptMs = 0;
  double generationMs = 0;
};

struct Progress {
  int32_t evaluated = 0;
  int32_t total = 0;
};

// Everything read() hands to JS at once.
struct Delivery {
  std::vector<Chunk> chunks;
  std::vector<OutputEnd> ends;
  std::optional<Progress> progress;
  std::optional<Finish> finish;
};

class Job {
 public:
  explicit Job(Request request) : request(std::move(request)) {}
  // JS thread, once, before Submit: the function that tells JS to read.
  void SetNotifier(Napi::ThreadSafeFunction notify) { notify_ = std::move(notify); }

  Request request;
  const Clock::time_point submitted = Clock::now();
  std::atomic<bool> abort{false};
  // Whether JS streams the chunks (an iterator): they are then announced
  // every request.chunkInterval. A reader that only wants the result is
  // told only when the queue is full or the job ends: every wake-up of the
  // JS thread takes a core from llama.cpp's threads where they use them all.
  std::atomic<bool> streaming{true};

  // ---- engine thread ----
  void Push(Chunk chunk);
  void PushEnd(OutputEnd end);
  void PushProgress(Progress progress);
  // The last event: releases the notifier.
  void Complete(Finish finish);
  bool Paused();
  // Tells JS there is something to read (at most one notification pending).
  // The first chunk is announced at once, the next ones at most every
  // request.chunkInterval (default 16 ms, about one display frame): a fast
  // model does not wake the JS thread for every token. On 2 cores with 2
  // threads each wake-up costs the decode ~0.2-0.3 ms (the JS thread
  // preempts a compute thread, and its cold caches make the short visit
  // slow): every 2 ms that was 6-7 % of tg, every 16 ms it is ~2 %. The
  // engine calls FlushNotify() after every step; a step slower than the
  // interval announces at once, and so does a push that fills the queue.
  void Notify();
  void FlushNotify(bool force);

  // ---- JS thread ----
  // Takes what is queued; wasPaused: the queue was full (the job waits for this read).
  Delivery Read(bool& wasPaused);
  // Node keeps running while the job is referenced (default); see Generation.
  void SetReferenced(Napi::Env env, bool referenced);
  // The notifier's finalizer: Node deletes a thread-safe function when its
  // environment is torn down (process exit, worker termination) even while
  // the engine thread still holds it, so after this the engine never touches it.
  void NotifierFinalized();

 private:
  std::mutex mutex_;  // the queue: pending_, queuedTokens_, completed_
  Delivery pending_;
  size_t queuedTokens_ = 0;
  bool completed_ = false;
  std::atomic<bool> notifyPending_{false};
  bool deferred_ = false;             // engine thread: chunks not announced yet
  Clock::time_point lastNotify_{};    // engine thread
  std::mutex notifierMutex_;  // notify_ and the two flags below
  Napi::ThreadSafeFunction notify_;
  // Every use of notify_ checks them first.
  bool released_ = false;      // engine side: notify_ released
  bool notifierAlive_ = true;  // notify_ not yet finalized by Node
};

}  // namespace lg::generation
