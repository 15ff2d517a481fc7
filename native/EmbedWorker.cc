#include "EmbedWorker.h"

#include "Args.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

namespace lg {
namespace {

struct Batch {
  explicit Batch(int32_t capacity) : batch(llama_batch_init(capacity, 0, 1)) {}
  ~Batch() { llama_batch_free(batch); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  llama_batch batch;
};

// Embeddings on for the lifetime of this object; the context generates again afterwards.
class EmbeddingsOn {
 public:
  explicit EmbeddingsOn(llama_context* ctx) : ctx_(ctx) { llama_set_embeddings(ctx_, true); }
  ~EmbeddingsOn() { llama_set_embeddings(ctx_, false); }
  EmbeddingsOn(const EmbeddingsOn&) = delete;
  EmbeddingsOn& operator=(const EmbeddingsOn&) = delete;

 private:
  llama_context* ctx_;
};

LlamaException DecodeError(int32_t rc, size_t input) {
  const std::string where = " (input " + std::to_string(input) + ")";
  switch (rc) {
    case 1: return {code::kContextOverflow, "no room left in the KV cache for this batch" + where};
    case 2: return {code::kAborted, "embedding aborted"};
    case -1: return {code::kInvalidArgument, "llama_decode rejected the batch" + where};
    default: return {code::kDecodeFailed, "llama_decode failed with code " + std::to_string(rc) + where};
  }
}

const char* PoolingName(enum llama_pooling_type type) {
  switch (type) {
    case LLAMA_POOLING_TYPE_MEAN: return "mean";
    case LLAMA_POOLING_TYPE_CLS: return "cls";
    case LLAMA_POOLING_TYPE_LAST: return "last";
    case LLAMA_POOLING_TYPE_RANK: return "rank";
    default: return "none";
  }
}

Pooling ParsePooling(const std::string& name) {
  if (name == "cls") return Pooling::kCls;
  if (name == "last") return Pooling::kLast;
  if (name == "rank") return Pooling::kRank;
  return Pooling::kMean;
}

void Normalize(float* v, int32_t n) {
  double sum = 0;
  for (int32_t i = 0; i < n; i++) sum += static_cast<double>(v[i]) * v[i];
  if (sum <= 0) return;
  const auto scale = static_cast<float>(1.0 / std::sqrt(sum));
  for (int32_t i = 0; i < n; i++) v[i] *= scale;
}

}  // namespace

const char* EmbedWorker::NativePoolingName(llama_context* ctx) { return PoolingName(llama_pooling_type(ctx)); }

Napi::Value EmbedWorker::Start(const Napi::CallbackInfo& info, const ContextStatePtr& state) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw LlamaException(code::kInvalidArgument, "inputs must be an array of token arrays");
  Napi::Array list = info[0].As<Napi::Array>();
  if (list.Length() == 0) throw LlamaException(code::kInvalidArgument, "inputs must not be empty");
  std::vector<std::vector<llama_token>> inputs;
  inputs.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    const std::string name = "inputs[" + std::to_string(i) + "]";
    inputs.push_back(args::Tokens(list.Get(i), name.c_str(), state->nVocab));
    if (inputs.back().empty()) throw LlamaException(code::kInvalidArgument, name + " has no tokens");
  }
  const std::string pooling = args::String(info[1], "pooling");
  if (pooling != "mean" && pooling != "cls" && pooling != "last" && pooling != "rank") {
    throw LlamaException(code::kInvalidArgument, "pooling must be 'mean', 'cls', 'last' or 'rank'");
  }
  const bool normalize = info[2].ToBoolean().Value();

  const llama_model* model = state->model.get();
  if (llama_model_has_encoder(model) && llama_model_has_decoder(model)) {
    throw LlamaException(code::kUnsupported, "embeddings of encoder-decoder models are not supported");
  }
  const std::string native = NativePoolingName(state->ctx.get());
  if (native == "rank" && pooling != "rank") {
    throw LlamaException(code::kUnsupported, "this model is a reranker (its GGUF declares rank pooling): use rank(), not embed()");
  }
  if (native != "rank" && pooling == "rank") {
    throw LlamaException(code::kUnsupported, "this model is not a reranker (its GGUF declares " + native + " pooling)");
  }
  if (native != "none" && native != pooling) {
    throw LlamaException(code::kInvalidArgument, "this context pools with '" + native + "' (the model's GGUF pooling_type); '" +
                                                     pooling + "' was asked");
  }

  auto abort = std::make_shared<std::atomic<bool>>(false);
  auto* worker = new EmbedWorker(env, state, std::move(inputs), ParsePooling(pooling), normalize, abort);
  Napi::Object out = Napi::Object::New(env);
  out.Set("promise", worker->Promise());
  out.Set("abort", Napi::Function::New(env, [abort](const Napi::CallbackInfo&) { abort->store(true); }));
  worker->Queue();
  return out;
}

EmbedWorker::EmbedWorker(Napi::Env env, ContextStatePtr state, std::vector<std::vector<llama_token>> inputs,
                         Pooling pooling, bool normalize, std::shared_ptr<std::atomic<bool>> abort)
    : PromiseWorker(env, "llama-generate:embed"),
      state_(std::move(state)),
      inputs_(std::move(inputs)),
      pooling_(pooling),
      normalize_(normalize && pooling != Pooling::kRank),
      abort_(std::move(abort)) {}

void EmbedWorker::Run() {
  ContextState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (abort_->load()) throw LlamaException(code::kAborted, "embedding aborted");
  AbortScope abortScope(s, abort_.get());
  llama_context* ctx = s.ctx.get();
  llama_memory_t mem = s.Memory();  // null: a non-causal model without a KV cache (BERT)
  nativePooling_ = llama_pooling_type(ctx) != LLAMA_POOLING_TYPE_NONE;
  dimension_ = pooling_ == Pooling::kRank ? static_cast<int32_t>(llama_model_n_cls_out(s.model.get()))
                                          : llama_model_n_embd_out(s.model.get());
  if (dimension_ <= 0) throw LlamaException(code::kUnsupported, "the model has no embedding output");
  out_.assign(inputs_.size() * static_cast<size_t>(dimension_), 0.0f);
  EmbeddingsOn embeddings(ctx);
  if (mem != nullptr) llama_memory_clear(mem, false);

  // llama.cpp pools per micro-batch, and a non-causal model sees a batch at once:
  // then a decode holds at most nUbatch tokens. A causal model pooled here can
  // take nBatch, and one longer input in several decodes.
  const bool oneUbatch = nativePooling_ || mem == nullptr;
  const size_t limit = oneUbatch ? s.nUbatch : s.nBatch;
  // Without a unified cache llama.cpp splits a batch of several sequences by
  // sequence length, which would cut an input natively pooled in two.
  const size_t groupCap = nativePooling_ && mem != nullptr && !s.kvUnified ? 1 : s.nSeqMax;
  size_t i = 0;
  while (i < inputs_.size()) {
    if (abort_->load()) throw LlamaException(code::kAborted, "embedding aborted");
    const size_t length = inputs_[i].size();
    if (length > s.nCtxSeq) {
      throw LlamaException(code::kContextOverflow, "input " + std::to_string(i) + " has " + std::to_string(length) +
                                                       " tokens; a sequence of this context holds at most " +
                                                       std::to_string(s.nCtxSeq));
    }
    if (length > limit) {
      if (oneUbatch) {
        throw LlamaException(code::kContextOverflow,
                             "input " + std::to_string(i) + " has " + std::to_string(length) + " tokens; " +
                                 "this model embeds an input in one micro-batch (ubatchSize " + std::to_string(s.nUbatch) + ")");
      }
      RunChunked(i++);
      continue;
    }
    size_t j = i;
    size_t total = 0;
    while (j < inputs_.size() && j - i < groupCap && total + inputs_[j].size() <= limit) total += inputs_[j++].size();
    RunGroup(i, j);
    i = j;
  }
}

void EmbedWorker::Decode(llama_batch& batch, size_t index) {
  ContextState& s = *state_;
  const int32_t rc = llama_decode(s.ctx.get(), batch);
  if (rc != 0) {
    if (llama_memory_t mem = s.Memory()) llama_memory_clear(mem, false);
    throw DecodeError(rc, index);
  }
}

void EmbedWorker::RunGroup(size_t first, size_t last) {
  ContextState& s = *state_;
  llama_context* ctx = s.ctx.get();
  int32_t total = 0;
  for (size_t k = first; k < last; k++) total += static_cast<int32_t>(inputs_[k].size());
  Batch holder(total);
  llama_batch& b = holder.batch;
  b.n_tokens = 0;
  for (size_t k = first; k < last; k++) {
    const auto seq = static_cast<llama_seq_id>(k - first);
    const std::vector<llama_token>& tokens = inputs_[k];
    for (size_t p = 0; p < tokens.size(); p++) {
      const int32_t i = b.n_tokens++;
      b.token[i] = tokens[p];
      b.pos[i] = static_cast<llama_pos>(p);
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = seq;
      b.logits[i] = 1;
    }
  }
  Decode(b, first);

  int32_t offset = 0;
  for (size_t k = first; k < last; k++) {
    const auto seq = static_cast<llama_seq_id>(k - first);
    const auto n = static_cast<int32_t>(inputs_[k].size());
    std::vector<float> pooled(static_cast<size_t>(dimension_), 0.0f);
    if (nativePooling_) {
      const float* v = llama_get_embeddings_seq(ctx, seq);
      if (v == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no pooled embedding");
      std::copy(v, v + dimension_, pooled.begin());
    } else {
      const int32_t from = pooling_ == Pooling::kLast ? n - 1 : 0;
      const int32_t to = pooling_ == Pooling::kMean ? n : from + 1;
      for (int32_t t = from; t < to; t++) {
        const float* row = llama_get_embeddings_ith(ctx, offset + t);
        if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no token embedding");
        for (int32_t d = 0; d < dimension_; d++) pooled[d] += row[d];
      }
      if (to - from > 1) {
        for (float& x : pooled) x /= static_cast<float>(to - from);
      }
    }
    Finish(k, std::move(pooled));
    offset += n;
  }
  if (llama_memory_t mem = s.Memory()) llama_memory_clear(mem, false);
}

void EmbedWorker::RunChunked(size_t index) {
  ContextState& s = *state_;
  llama_context* ctx = s.ctx.get();
  const std::vector<llama_token>& tokens = inputs_[index];
  const auto n = static_cast<int32_t>(tokens.size());
  const auto chunk = static_cast<int32_t>(s.nBatch);
  std::vector<float> pooled(static_cast<size_t>(dimension_), 0.0f);
  Batch holder(chunk);
  for (int32_t offset = 0; offset < n; offset += chunk) {
    if (abort_->load()) throw LlamaException(code::kAborted, "embedding aborted");
    const int32_t count = std::min(chunk, n - offset);
    llama_batch& b = holder.batch;
    b.n_tokens = count;
    for (int32_t i = 0; i < count; i++) {
      b.token[i] = tokens[offset + i];
      b.pos[i] = offset + i;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = 0;
      b.logits[i] = 1;
    }
    Decode(b, index);
    for (int32_t i = 0; i < count; i++) {
      const int32_t t = offset + i;
      const bool take = pooling_ == Pooling::kMean || (pooling_ == Pooling::kCls && t == 0) ||
                        (pooling_ == Pooling::kLast && t == n - 1);
      if (!take) continue;
      const float* row = llama_get_embeddings_ith(ctx, i);
      if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no token embedding");
      for (int32_t d = 0; d < dimension_; d++) pooled[d] += row[d];
    }
  }
  if (pooling_ == Pooling::kMean) {
    for (float& x : pooled) x /= static_cast<float>(n);
  }
  Finish(index, std::move(pooled));
  if (llama_memory_t mem = s.Memory()) llama_memory_clear(mem, false);
}

void EmbedWorker::Finish(size_t index, std::vector<float> pooled) {
  if (normalize_) Normalize(pooled.data(), dimension_);
  std::copy(pooled.begin(), pooled.end(), out_.begin() + static_cast<std::ptrdiff_t>(index * dimension_));
}

Napi::Value EmbedWorker::Result(Napi::Env env) {
  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array data = Napi::Float32Array::New(env, out_.size());
  std::copy(out_.begin(), out_.end(), data.Data());
  result.Set("data", data);
  result.Set("dimension", dimension_);
  return result;
}

}  // namespace lg
