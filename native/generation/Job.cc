#include "Job.h"

#include "../SafeCall.h"

namespace lg::generation {

void Job::Push(Chunk chunk) {
  bool full;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queuedTokens_ += chunk.tokens.size();
    full = queuedTokens_ >= request.queueCapacity;
    Chunk* same = nullptr;
    for (Chunk& c : pending_.chunks)
      if (c.index == chunk.index) same = &c;
    if (same == nullptr) {
      pending_.chunks.push_back(std::move(chunk));
    } else {  // one chunk per output per read
      same->tokens.insert(same->tokens.end(), chunk.tokens.begin(), chunk.tokens.end());
      same->text += chunk.text;
      for (auto& l : chunk.logprobs) same->logprobs.push_back(std::move(l));
      for (auto& s : chunk.scores) same->scores.push_back(std::move(s));
      for (auto& l : chunk.logits) same->logits.push_back(std::move(l));
    }
  }
  deferred_ = true;
  // A full queue pauses the job until JS reads, and JS reads only when told:
  // announce it now, whatever the interval.
  FlushNotify(full);
}

void Job::FlushNotify(bool force) {
  // A reader that does not stream is told only when the queue is full (the job then waits for it).
  if (!deferred_ || (!streaming && !Paused())) return;
  const auto now = Clock::now();
  if (!force && now - lastNotify_ < request.chunkInterval) return;
  deferred_ = false;
  lastNotify_ = now;
  Notify();
}

void Job::PushEnd(OutputEnd end) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.ends.push_back(std::move(end));
}

void Job::PushProgress(Progress progress) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.progress = progress;
  }
  Notify();
}

void Job::Complete(Finish finish) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (completed_) return;
    completed_ = true;
    pending_.finish = std::move(finish);
  }
  notifyPending_ = false;  // the final notification must go out
  Notify();
  std::lock_guard<std::mutex> lock(notifierMutex_);
  if (!released_ && notifierAlive_) notify_.Release();
  released_ = true;
}

bool Job::Paused() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queuedTokens_ >= request.queueCapacity;
}

void Job::Notify() {
  if (notifyPending_.exchange(true)) return;
  // Not the queue's lock: JS, woken by this call, reads the queue at once.
  std::lock_guard<std::mutex> lock(notifierMutex_);
  if (released_ || !notifierAlive_) return;
  notify_.NonBlockingCall([](Napi::Env env, Napi::Function readable) {
    // While an environment shuts down (process exit, worker termination)
    // calling into JS fails; node-addon-api's Call() would then abort the
    // process, so the call goes through the C API and failures are dropped.
    if (env == nullptr || readable.IsEmpty()) return;
    CallIgnoringErrors(env, readable);
  });
}

Delivery Job::Read(bool& wasPaused) {
  notifyPending_ = false;
  std::lock_guard<std::mutex> lock(mutex_);
  Delivery out = std::move(pending_);
  pending_ = Delivery();
  wasPaused = queuedTokens_ >= request.queueCapacity;
  queuedTokens_ = 0;
  return out;
}

void Job::NotifierFinalized() {
  std::lock_guard<std::mutex> lock(notifierMutex_);
  notifierAlive_ = false;
}

void Job::SetReferenced(Napi::Env env, bool referenced) {
  std::lock_guard<std::mutex> lock(notifierMutex_);
  if (!notifierAlive_ || released_) return;
  if (referenced) {
    notify_.Ref(env);
  } else {
    notify_.Unref(env);
  }
}

}  // namespace lg::generation
