#include "Engine.h"

#include <algorithm>

namespace lg::generation {
namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

ErrorInfo DecodeFailure(int32_t rc) {
  if (rc == -1) return {code::kDecodeFailed, "llama_decode rejected the batch"};
  return {code::kDecodeFailed, "llama_decode failed with code " + std::to_string(rc)};
}

}  // namespace

Engine::Engine(ContextStatePtr state)
    : state_(std::move(state)),
      vocab_(llama_model_get_vocab(state_->model.get())),
      batch_(llama_batch_init(static_cast<int32_t>(state_->nBatch), 0, 1)) {}

Engine::~Engine() {
  Stop();
  llama_batch_free(batch_);
}

void Engine::Submit(std::shared_ptr<Job> job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) throw LlamaException(code::kDisposed, "the context has been disposed");
  incoming_.push_back(std::move(job));
  woken_ = true;
  if (!thread_.joinable()) thread_ = std::thread(&Engine::Run, this);
  wake_.notify_one();
}

void Engine::Wake(bool interrupt) {
  if (interrupt) interrupt_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  woken_ = true;
  wake_.notify_one();
}

void Engine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    woken_ = true;
  }
  interrupt_ = true;
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::deque<std::shared_ptr<Job>> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left.swap(incoming_);
  }
  Finish disposed;
  disposed.failed = true;
  disposed.error = {code::kDisposed, "the context was disposed during generation"};
  for (auto& job : left) job->Complete(disposed);
}

void Engine::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      for (;;) {
        while (!incoming_.empty()) {
          auto a = std::make_unique<Active>();
          a->job = std::move(incoming_.front());
          incoming_.pop_front();
          active_.push_back(std::move(a));
        }
        if (stopping_) break;
        bool runnable = false;
        for (auto& a : active_) runnable = runnable || a->job->abort || !a->started || !a->job->Paused();
        if (runnable) break;
        wake_.wait(lock, [this] { return woken_; });
        woken_ = false;
      }
      if (stopping_) {
        lock.unlock();
        ErrorInfo disposed{code::kDisposed, "the context was disposed during generation"};
        for (auto& a : active_) Fail(*a, disposed);
        Retire();
        return;
      }
      woken_ = false;
    }
    bool ran;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      ran = Step();
    }
    Retire();
    if (!ran) {  // everything left is paused: announce what waits, sleep until a read or a new job
      for (auto& a : active_) a->job->FlushNotify(true);
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return woken_ || stopping_; });
    }
  }
}

void Engine::Admit(Active& a) {
  a.started = true;
  a.promptStart = Clock::now();
  Request& r = a.job->request;
  llama_memory_t mem = state_->Memory();
  for (size_t i = 0; i < r.outputs.size(); i++) a.slots.push_back(std::make_unique<Slot>(*a.job, static_cast<int32_t>(i), vocab_));
  Slot& primary = *a.slots[0];
  int32_t keep = std::clamp<int32_t>(r.keep, 0, static_cast<int32_t>(r.prompt.size()) - 1);
  if (!llama_memory_seq_rm(mem, primary.sequence, keep, -1)) {  // partial removal unsupported (recurrent models)
    llama_memory_seq_rm(mem, primary.sequence, -1, -1);
    keep = 0;
  }
  a.cachedPromptTokens = keep;
  primary.toEvaluate.assign(r.prompt.begin() + keep, r.prompt.end());
  primary.nPast = keep;
  primary.phase = Slot::Phase::kPrompt;
  for (size_t i = 1; i < a.slots.size(); i++) llama_memory_seq_rm(mem, a.slots[i]->sequence, -1, -1);
  if (r.beam) {
    std::vector<Slot*> lanes;
    for (auto& s : a.slots) lanes.push_back(s.get());
    a.beams = std::make_unique<beam::BeamRun>(*a.job, std::move(lanes), mem, vocab_, static_cast<size_t>(state_->nVocab));
  }
}

// One step, in the order it runs: deadlines, the batch, the decode (or its
// failure), sampling, announcing what is queued.
bool Engine::Step() {
  interrupt_ = false;
  AbortScope abortScope(*state_, &interrupt_);
  const auto start = Clock::now();
  ExpireDeadlines(start);
  const StepBatch batch = BuildBatch();
  for (auto& a : active_) FinishIfDone(*a);
  if (batch.empty()) return false;
  const int32_t rc = llama_decode(state_->ctx.get(), batch_);
  if (rc != 0) {
    HandleDecodeError(batch, rc);
    return true;
  }
  SampleOutputs(batch);
  for (auto& a : active_) FinishIfDone(*a);
  Announce(start);
  return true;
}

// ---- 1. deadlines ----

void Engine::ExpireDeadlines(Clock::time_point now) {
  for (auto& a : active_) {
    if (!a->started) Admit(*a);
    const Request& r = a->job->request;
    const char* reason = nullptr;
    if (a->job->abort) reason = "abort";
    else if (r.maxTimeMs > 0 && a->promptDone && Ms(now - a->job->submitted) >= r.maxTimeMs) reason = "max_time";
    if (reason != nullptr)
      for (auto& s : a->slots) End(*a, *s, reason);
    FinishIfDone(*a);
  }
}

// ---- 2. the batch ----

// The batch-slot policy, all of it: a job that is completed or paused (its
// reader is behind) gets nothing; every other job's generating sequences
// come first, one token each (plus, with a drafter, its proposals, as many as
// the batch has room for), in arrival order (a beam search's running
// beams all together or, when the batch has no room for all, none this
// step); then prompts, in arrival order, take what is left of `batchSize`.
// A prompt may be split over steps.
Engine::StepBatch Engine::BuildBatch() {
  batch_.n_tokens = 0;
  StepBatch batch;
  auto budget = static_cast<int32_t>(state_->nBatch);
  auto runnable = [](const Active& a) { return !a.completed && !a.job->Paused(); };
  for (auto& a : active_)
    if (runnable(*a)) AddGenerating(*a, batch, budget);
  for (auto& a : active_)
    if (runnable(*a)) AddPrompts(*a, batch, budget);
  return batch;
}

void Engine::AddGenerating(Active& a, StepBatch& batch, int32_t& budget) {
  if (a.beams) {
    AddBeams(a, batch, budget);
    return;
  }
  for (auto& s : a.slots) {
    if (s->phase != Slot::Phase::kGenerate || budget == 0) continue;
    if (!a.job->request.useCache) {  // transformers' use_cache=False: the whole sequence again, as a prompt
      RestartWithoutCache(*s);
      continue;
    }
    if (!MakeRoom(*s)) continue;
    s->stepStart = s->nPast;
    if (s->drafter != nullptr) {
      AddDrafted(*s, budget);
    } else {
      s->stepTook = 1;
      AddToken(*s, s->next, true, budget);
    }
    Enlist(batch, a, *s);
  }
}

// A beam search's running beams, one token each on their lanes. A lane that
// would pass the sequence's size ends the search (no context shift for beams).
void Engine::AddBeams(Active& a, StepBatch& batch, int32_t& budget) {
  const std::vector<Slot*>& live = a.beams->live();
  if (live.empty() || static_cast<size_t>(budget) < live.size()) return;
  for (Slot* s : live) {
    if (static_cast<uint32_t>(s->nPast) + 1 > state_->nCtxSeq) {
      a.beams->Stop("length");
      return;
    }
  }
  for (Slot* s : std::vector<Slot*>(live)) {
    s->stepStart = s->nPast;
    s->stepTook = 1;
    AddToken(*s, s->next, true, budget);
    Enlist(batch, a, *s);
  }
}

void Engine::AddPrompts(Active& a, StepBatch& batch, int32_t& budget) {
  for (auto& s : a.slots) {
    if (s->phase != Slot::Phase::kPrompt || budget == 0) continue;
    const size_t left = s->toEvaluate.size() - s->evaluated;
    const size_t take = std::min(left, static_cast<size_t>(budget));
    s->stepStart = s->nPast;
    s->stepTook = take;
    for (size_t k = 0; k < take; k++) AddToken(*s, s->toEvaluate[s->evaluated + k], k + 1 == left, budget);
    s->evaluated += take;
    Enlist(batch, a, *s);
  }
}

void Engine::AddToken(Slot& s, llama_token token, bool logits, int32_t& budget) {
  llama_batch& b = batch_;
  const int32_t i = b.n_tokens++;
  b.token[i] = token;
  b.pos[i] = s.nPast++;
  b.n_seq_id[i] = 1;
  b.seq_id[i][0] = s.sequence;
  b.logits[i] = logits;
  if (logits) s.batchIndex = i;
  budget--;
}

void Engine::Enlist(StepBatch& batch, Active& a, Slot& s) {
  batch.slots.push_back(&s);
  batch.owners.push_back(&a);
}

bool Engine::RestartWithoutCache(Slot& s) {
  std::vector<llama_token> all = s.job.request.prompt;
  all.insert(all.end(), s.generated().begin(), s.generated().end());
  if (all.size() > state_->nCtxSeq) {
    s.Finish("length");
    return false;
  }
  llama_memory_seq_rm(state_->Memory(), s.sequence, -1, -1);
  s.nPast = 0;
  s.toEvaluate = std::move(all);
  s.evaluated = 0;
  s.phase = Slot::Phase::kPrompt;
  return true;
}

bool Engine::MakeRoom(Slot& slot) {
  if (static_cast<uint32_t>(slot.nPast) + 1 <= state_->nCtxSeq) return true;
  const Request& r = slot.job.request;
  llama_memory_t mem = state_->Memory();
  if (r.contextShiftKeep < 0 || !llama_memory_can_shift(mem)) {
    slot.Finish("length");
    return false;
  }
  // llama.cpp's context shift: keep the first n tokens, drop the oldest half of the rest.
  const llama_pos keep = std::min<llama_pos>(r.contextShiftKeep, slot.nPast - 2);
  const llama_pos discard = (slot.nPast - keep) / 2;
  llama_memory_seq_rm(mem, slot.sequence, keep, keep + discard);
  llama_memory_seq_add(mem, slot.sequence, keep + discard, slot.nPast, -discard);
  slot.nPast -= discard;
  slot.cacheValid = false;
  return true;
}

// ---- 3. decode errors ----

void Engine::HandleDecodeError(const StepBatch& batch, int32_t rc) {
  Rollback(batch);
  if (rc == 2) return;  // interrupted: aborts and stops are handled next step
  if (rc == 1) {
    // The KV cache is full (sequences share its cells): end the newest job in this batch.
    Active& newest = *batch.owners.back();
    bool prompting = false;
    for (auto& s : newest.slots) prompting = prompting || s->phase == Slot::Phase::kPrompt;
    if (prompting) {
      Fail(newest, {code::kContextOverflow, "the KV cache has no room left for this prompt (all sequences share " +
                                                std::to_string(state_->nCtx) + " cells)"});
    } else {
      for (auto& s : newest.slots) End(newest, *s, "length");
      FinishIfDone(newest);
    }
    return;
  }
  for (Active* a : batch.owners) Fail(*a, DecodeFailure(rc));
}

void Engine::Rollback(const StepBatch& batch) {
  llama_memory_t mem = state_->Memory();
  for (Slot* slot : batch.slots) {
    llama_memory_seq_rm(mem, slot->sequence, slot->stepStart, -1);
    slot->nPast = slot->stepStart;
    if (slot->phase == Slot::Phase::kPrompt) slot->evaluated -= slot->stepTook;
    slot->batchIndex = -1;
    slot->drafts.clear();
  }
}

// ---- 4. sampling: EngineSampling.cc ----

// ---- 5. announcing ----

void Engine::Announce(Clock::time_point stepStart) {
  // A slow step means the next chunk is far: announce what waits now.
  const auto step = Clock::now() - stepStart;
  for (auto& a : active_) a->job->FlushNotify(step >= a->job->request.chunkInterval);
}

void Engine::End(Active& a, Slot& slot, const char* reason) {
  if (a.beams) {
    a.beams->Stop(reason);
  } else {
    slot.Finish(reason);
  }
}

void Engine::Fail(Active& a, const ErrorInfo& error) {
  if (a.completed) return;
  if (a.beams) a.beams->Close();  // lanes are not outputs: nothing to report per lane
  for (auto& s : a.slots) {
    s->cacheValid = false;
    s->Finish("error");
  }
  Finish f;
  f.failed = true;
  f.error = error;
  a.completed = true;
  a.finish = std::move(f);
}

void Engine::FinishIfDone(Active& a) {
  if (a.completed || !a.started) return;
  for (auto& s : a.slots)
    if (!s->done()) return;
  const auto now = Clock::now();
  Finish f;
  f.promptTokens = static_cast<int32_t>(a.job->request.prompt.size());
  f.cachedPromptTokens = a.cachedPromptTokens;
  f.promptMs = Ms((a.promptDone ? a.promptEnd : now) - a.promptStart);
  f.generationMs = a.promptDone ? Ms(now - a.promptEnd) : 0;
  a.completed = true;
  a.finish = std::move(f);
}

void Engine::Retire() {
  // JS may reuse the sequences as soon as it reads the finish: the context lock is free by now.
  for (auto& a : active_)
    if (a->completed && a->finish) a->job->Complete(std::move(*a->finish));
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](const auto& a) { return a->completed; }), active_.end());
}

}  // namespace lg::generation
