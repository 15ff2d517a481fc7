#include "ContextWorkers.h"

#include "AddonData.h"
#include "Args.h"
#include "AssertGuard.h"
#include "Backend.h"
#include "KvCache.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

namespace lg {
namespace {

constexpr int64_t kMaxContext = 1 << 24;
constexpr int64_t kMaxThreads = 512;  // GGML_MAX_N_THREADS

ggml_type KvType(Napi::Object options, const char* key) {
  static const std::vector<std::pair<std::string, ggml_type>> kTypes = {
      {"f32", GGML_TYPE_F32},   {"f16", GGML_TYPE_F16},       {"bf16", GGML_TYPE_BF16},
      {"q8_0", GGML_TYPE_Q8_0}, {"q4_0", GGML_TYPE_Q4_0},     {"q4_1", GGML_TYPE_Q4_1},
      {"q5_0", GGML_TYPE_Q5_0}, {"q5_1", GGML_TYPE_Q5_1},     {"iq4_nl", GGML_TYPE_IQ4_NL},
  };
  std::vector<std::string> names;
  for (const auto& t : kTypes) names.push_back(t.first);
  std::string name = args::OptionalEnum(options, key, "f16", names);
  for (const auto& t : kTypes)
    if (t.first == name) return t.second;
  return GGML_TYPE_F16;
}

struct Batch {
  explicit Batch(int32_t capacity) : batch(llama_batch_init(capacity, 0, 1)) {}
  ~Batch() { llama_batch_free(batch); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  llama_batch batch;
};

LlamaException DecodeError(int32_t rc, const std::string& detail) {
  switch (rc) {
    case 1: return {code::kContextOverflow, "no room left in the KV cache for this batch" + detail};
    case 2: return {code::kAborted, "evaluation aborted"};
    case -1: return {code::kInvalidArgument, "llama_decode rejected the batch" + detail};
    default: return {code::kDecodeFailed, "llama_decode failed with code " + std::to_string(rc) + detail};
  }
}

}  // namespace

ContextOptions ParseContextOptions(Napi::Object o) {
  ContextOptions c;
  int64_t hw = std::max(1u, std::thread::hardware_concurrency());
  c.contextSize = static_cast<uint32_t>(args::OptionalInteger(o, "contextSize", 0, 0, kMaxContext));
  c.batchSize = static_cast<uint32_t>(args::OptionalInteger(o, "batchSize", 512, 1, kMaxContext));
  c.ubatchSize = static_cast<uint32_t>(args::OptionalInteger(o, "ubatchSize", std::min<int64_t>(512, c.batchSize), 1, c.batchSize));
  c.sequences = static_cast<uint32_t>(
      args::OptionalInteger(o, "sequences", 1, 1, static_cast<int64_t>(llama_max_parallel_sequences())));
  c.threads = static_cast<int32_t>(args::OptionalInteger(o, "threads", hw, 1, kMaxThreads));
  c.threadsBatch = static_cast<int32_t>(args::OptionalInteger(o, "threadsBatch", c.threads, 1, kMaxThreads));
  std::string fa = args::OptionalEnum(o, "flashAttention", "auto", {"auto", "enabled", "disabled"});
  c.flashAttention = fa == "enabled" ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                     : fa == "disabled" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                        : LLAMA_FLASH_ATTN_TYPE_AUTO;
  c.typeK = KvType(o, "typeK");
  c.typeV = KvType(o, "typeV");
  c.kvUnified = args::OptionalBool(o, "unifiedKvCache", true);
  c.threadPoll = static_cast<uint32_t>(args::OptionalInteger(o, "threadPoll", 50, 0, 100));
  return c;
}

CreateContextWorker::CreateContextWorker(Napi::Env env, ModelHandle model, ContextOptions options)
    : PromiseWorker(env, "llama-generate:createContext"), model_(std::move(model)), options_(options) {}

void CreateContextWorker::Run() {
  llama_context_params p = llama_context_default_params();
  p.n_ctx = options_.contextSize;
  p.n_batch = options_.batchSize;
  p.n_ubatch = options_.ubatchSize;
  p.n_seq_max = options_.sequences;
  p.n_threads = options_.threads;
  p.n_threads_batch = options_.threadsBatch;
  p.flash_attn_type = options_.flashAttention;
  p.type_k = options_.typeK;
  p.type_v = options_.typeV;
  p.kv_unified = options_.kvUnified;
  p.no_perf = false;
  p.abort_callback = [](void* data) {
    const std::atomic<bool>* flag = static_cast<ContextState*>(data)->abort.load();
    return flag != nullptr && flag->load();
  };

  auto state = std::make_shared<ContextState>();
  p.abort_callback_data = state.get();
  backend::CaptureErrors capture;
  llama_context* ctx;
  {
    AssertGuard guard;  // graph-building asserts of a malformed model fail the creation, not the process
    ctx = llama_init_from_model(model_.get(), p);
  }
  if (ctx == nullptr) {
    std::string why = capture.text();
    bool oom = why.find("alloc") != std::string::npos || why.find("memory") != std::string::npos;
    throw LlamaException(oom ? code::kOutOfMemory : code::kInvalidArgument,
                         "failed to create the context" + (why.empty() ? std::string() : ": " + why));
  }
  state->model = model_;
  state->ctx.reset(ctx);
  state->threadPools = std::make_unique<ThreadPools>(options_.threads, options_.threadsBatch, options_.threadPoll);
  llama_attach_threadpool(ctx, state->threadPools->generation(), state->threadPools->batch());
  state->nVocab = llama_vocab_n_tokens(llama_model_get_vocab(model_.get()));
  state->nCtx = llama_n_ctx(ctx);
  state->nCtxSeq = llama_n_ctx_seq(ctx);
  state->nBatch = llama_n_batch(ctx);
  state->nUbatch = llama_n_ubatch(ctx);
  state->nSeqMax = llama_n_seq_max(ctx);
  state->kvUnified = options_.kvUnified;
  state_ = std::move(state);
}

Napi::Value CreateContextWorker::Result(Napi::Env env) {
  auto* payload = new ContextStatePtr(std::move(state_));
  Napi::Object context;
  try {
    context = AddonData::Get(env)->contextClass.New({Napi::External<ContextStatePtr>::New(env, payload)});
  } catch (...) {
    delete payload;
    throw;
  }
  delete payload;
  return context;
}

EvaluateWorker::EvaluateWorker(Napi::Env env, ContextStatePtr state, std::vector<llama_token> tokens,
                               llama_seq_id sequence, LogitsMode mode, std::shared_ptr<std::atomic<bool>> abort)
    : PromiseWorker(env, "llama-generate:evaluate"),
      state_(std::move(state)),
      tokens_(std::move(tokens)),
      sequence_(sequence),
      mode_(mode),
      abort_(std::move(abort)) {}

void EvaluateWorker::Run() {
  ContextState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (abort_->load()) throw LlamaException(code::kAborted, "evaluation aborted");
  AbortScope abortScope(s, abort_.get());

  llama_memory_t mem = s.Memory();
  const llama_pos start = llama_memory_seq_pos_max(mem, sequence_) + 1;
  const auto n = static_cast<int32_t>(tokens_.size());
  if (static_cast<int64_t>(start) + n > static_cast<int64_t>(s.nCtxSeq)) {
    throw LlamaException(code::kContextOverflow,
                         "sequence " + std::to_string(sequence_) + " holds " + std::to_string(start) + " tokens; " +
                             std::to_string(n) + " more exceed its context size of " + std::to_string(s.nCtxSeq));
  }
  if (mode_ == LogitsMode::kAll) logits_.resize(static_cast<size_t>(n) * s.nVocab);

  const int32_t chunk = std::min<int32_t>(n, static_cast<int32_t>(s.nBatch));
  Batch batch(chunk);
  for (int32_t offset = 0; offset < n; offset += chunk) {
    const int32_t count = std::min(chunk, n - offset);
    llama_batch& b = batch.batch;
    b.n_tokens = count;
    for (int32_t i = 0; i < count; i++) {
      const int32_t index = offset + i;
      b.token[i] = tokens_[index];
      b.pos[i] = start + index;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = sequence_;
      b.logits[i] = mode_ == LogitsMode::kAll || (mode_ == LogitsMode::kLast && index == n - 1);
    }
    const int32_t rc = llama_decode(s.ctx.get(), b);
    if (rc != 0) {
      // Leave the sequence as it was before this call.
      llama_memory_seq_rm(mem, sequence_, start, -1);
      throw DecodeError(rc, " (sequence " + std::to_string(sequence_) + ", position " + std::to_string(start + offset) + ")");
    }
    if (mode_ == LogitsMode::kAll) {
      for (int32_t i = 0; i < count; i++) {
        const float* row = llama_get_logits_ith(s.ctx.get(), i);
        if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no logits");
        std::memcpy(logits_.data() + static_cast<size_t>(offset + i) * s.nVocab, row, sizeof(float) * s.nVocab);
      }
    }
  }
  if (mode_ == LogitsMode::kLast) {
    const float* row = llama_get_logits_ith(s.ctx.get(), -1);
    if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no logits");
    logits_.assign(row, row + s.nVocab);
  }
}

Napi::Value EvaluateWorker::Result(Napi::Env env) {
  Napi::Float32Array out = Napi::Float32Array::New(env, logits_.size());
  std::copy(logits_.begin(), logits_.end(), out.Data());
  return out;
}

ClearWorker::ClearWorker(Napi::Env env, ContextStatePtr state)
    : PromiseWorker(env, "llama-generate:clear"), state_(std::move(state)) {}

void ClearWorker::Run() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  kv::Clear(*state_);
}

}  // namespace lg
