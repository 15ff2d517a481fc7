#include "Engine.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lg::generation {
namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

TokenLogprob Logprobs(const float* row, int32_t n, llama_token chosen, int32_t top) {
  const float max = *std::max_element(row, row + n);
  double sum = 0;
  for (int32_t i = 0; i < n; i++) sum += std::exp(static_cast<double>(row[i] - max));
  const auto lse = static_cast<float>(max + std::log(sum));
  TokenLogprob out;
  out.token = chosen;
  out.logprob = row[chosen] - lse;
  if (top > 0) {
    const int32_t k = std::min(top, n);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [row](int32_t a, int32_t b) {
      return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    for (int32_t i = 0; i < k; i++) out.top.emplace_back(ids[static_cast<size_t>(i)], row[ids[static_cast<size_t>(i)]] - lse);
  }
  return out;
}

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

void Engine::Rollback(const std::vector<Slot*>& inBatch) {
  llama_memory_t mem = state_->Memory();
  for (Slot* slot : inBatch) {
    llama_memory_seq_rm(mem, slot->sequence, slot->stepStart, -1);
    slot->nPast = slot->stepStart;
    if (slot->phase == Slot::Phase::kPrompt) slot->evaluated -= slot->stepTook;
    slot->batchIndex = -1;
  }
}

bool Engine::Step() {
  interrupt_ = false;
  AbortScope abortScope(*state_, &interrupt_);
  const auto now = Clock::now();
  for (auto& a : active_) {
    if (!a->started) Admit(*a);
    const Request& r = a->job->request;
    const char* reason = nullptr;
    if (a->job->abort) reason = "abort";
    else if (r.maxTimeMs > 0 && a->promptDone && Ms(now - a->job->submitted) >= r.maxTimeMs) reason = "max_time";
    if (reason != nullptr)
      for (auto& s : a->slots) s->Finish(reason);
    FinishIfDone(*a);
  }

  llama_batch& b = batch_;
  b.n_tokens = 0;
  int32_t budget = static_cast<int32_t>(state_->nBatch);
  std::vector<Slot*> inBatch;
  std::vector<Active*> owners;
  auto add = [&](Slot& s, llama_token token, bool logits) {
    const int32_t i = b.n_tokens++;
    b.token[i] = token;
    b.pos[i] = s.nPast++;
    b.n_seq_id[i] = 1;
    b.seq_id[i][0] = s.sequence;
    b.logits[i] = logits;
    if (logits) s.batchIndex = i;
    budget--;
  };
  llama_memory_t mem = state_->Memory();
  // Generating sequences first, one token each...
  for (auto& a : active_) {
    if (a->completed || a->job->Paused()) continue;
    for (auto& s : a->slots) {
      if (s->phase != Slot::Phase::kGenerate || budget == 0) continue;
      if (!a->job->request.useCache) {  // transformers' use_cache=False: the whole sequence again
        std::vector<llama_token> all = a->job->request.prompt;
        all.insert(all.end(), s->generated().begin(), s->generated().end());
        if (all.size() > state_->nCtxSeq) {
          s->Finish("length");
          continue;
        }
        llama_memory_seq_rm(mem, s->sequence, -1, -1);
        s->nPast = 0;
        s->toEvaluate = std::move(all);
        s->evaluated = 0;
        s->phase = Slot::Phase::kPrompt;
        continue;
      }
      if (!MakeRoom(*s)) continue;
      s->stepStart = s->nPast;
      s->stepTook = 1;
      add(*s, s->next, true);
      inBatch.push_back(s.get());
      owners.push_back(a.get());
    }
  }
  // ...then prompts, in arrival order, with what is left of the batch.
  for (auto& a : active_) {
    if (a->completed || a->job->Paused()) continue;
    for (auto& s : a->slots) {
      if (s->phase != Slot::Phase::kPrompt || budget == 0) continue;
      const size_t left = s->toEvaluate.size() - s->evaluated;
      const size_t take = std::min(left, static_cast<size_t>(budget));
      s->stepStart = s->nPast;
      s->stepTook = take;
      for (size_t k = 0; k < take; k++) add(*s, s->toEvaluate[s->evaluated + k], k + 1 == left);
      s->evaluated += take;
      inBatch.push_back(s.get());
      owners.push_back(a.get());
    }
  }
  for (auto& a : active_) FinishIfDone(*a);
  if (inBatch.empty()) return false;

  const int32_t rc = llama_decode(state_->ctx.get(), b);
  if (rc != 0) {
    Rollback(inBatch);
    if (rc == 2) return true;  // interrupted: aborts and stops are handled next step
    if (rc == 1) {
      // The KV cache is full (sequences share its cells): end the newest job in this batch.
      Active* newest = owners.back();
      bool prompting = false;
      for (auto& s : newest->slots) prompting = prompting || s->phase == Slot::Phase::kPrompt;
      if (prompting) {
        Fail(*newest, {code::kContextOverflow, "the KV cache has no room left for this prompt (all sequences share " +
                                                   std::to_string(state_->nCtx) + " cells)"});
      } else {
        for (auto& s : newest->slots) s->Finish("length");
        FinishIfDone(*newest);
      }
      return true;
    }
    for (Active* a : owners) Fail(*a, DecodeFailure(rc));
    return true;
  }

  for (size_t i = 0; i < inBatch.size(); i++) {
    Slot& s = *inBatch[i];
    Active& a = *owners[i];
    if (a.completed) continue;
    if (s.phase == Slot::Phase::kPrompt && s.index == 0 && !a.promptDone) {
      a.job->PushProgress({static_cast<int32_t>(a.cachedPromptTokens + s.evaluated), static_cast<int32_t>(a.job->request.prompt.size())});
    }
    if (s.batchIndex < 0) continue;
    const float* row = llama_get_logits_ith(state_->ctx.get(), s.batchIndex);
    s.batchIndex = -1;
    try {
      if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no logits");
      Sample(a, s, row);
    } catch (const std::exception& e) {
      Fail(a, Classify(e));
    }
  }
  for (auto& a : active_) FinishIfDone(*a);
  const auto after = Clock::now();
  // A slow step means the next chunk is far: announce what waits now.
  const bool slow = after - now >= Job::kNotifyInterval;
  for (auto& a : active_) a->job->FlushNotify(slow);
  return true;
}

void Engine::SampleOne(Slot& slot, const float* row) {
  const Request& r = slot.job.request;
  const auto n = static_cast<size_t>(state_->nVocab);
  slot.phase = Slot::Phase::kGenerate;
  sampling::Scores scores(row, row + n);
  llama_token token;
  std::vector<float> processed;
  if (r.outputScores) {
    slot.chain.Apply(scores, 0, slot.chain.size());
    token = slot.chain.Pick(scores);
    processed = std::move(scores);
  } else {
    token = slot.chain.Sample(scores);
  }
  if (std::find(r.eos.begin(), r.eos.end(), token) != r.eos.end()) {
    slot.Finish("eos");
    return;
  }
  slot.chain.Accept(token);
  TokenLogprob logprob;
  if (r.topLogprobs >= 0) logprob = Logprobs(row, static_cast<int32_t>(n), token, r.topLogprobs);
  std::vector<float> raw;
  if (r.outputLogits) raw.assign(row, row + n);
  const bool finished = slot.Add(token, r.topLogprobs >= 0 ? &logprob : nullptr, r.outputScores ? &processed : nullptr,
                                 r.outputLogits ? &raw : nullptr);
  if (!finished) slot.next = token;
}

void Engine::Sample(Active& a, Slot& slot, const float* row) {
  const bool first = slot.index == 0 && !a.promptDone;
  if (first) {
    a.promptDone = true;
    a.promptEnd = Clock::now();
  }
  SampleOne(slot, row);
  if (!first) return;
  // num_return_sequences: the others start from a copy of the evaluated prompt.
  llama_memory_t mem = state_->Memory();
  for (size_t i = 1; i < a.slots.size(); i++) {
    Slot& s = *a.slots[i];
    if (s.phase != Slot::Phase::kWaiting) continue;
    llama_memory_seq_cp(mem, slot.sequence, s.sequence, -1, -1);
    s.nPast = slot.nPast;
    SampleOne(s, row);
  }
}

void Engine::Fail(Active& a, const ErrorInfo& error) {
  if (a.completed) return;
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
