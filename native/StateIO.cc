#include "StateIO.h"

#include "Backend.h"

#include <filesystem>

namespace lg {
namespace {

std::string Target(llama_seq_id sequence) {
  return sequence < 0 ? std::string("context state") : "state of sequence " + std::to_string(sequence);
}

// After a failed restore llama.cpp may have loaded part of the state: empty the
// target so the context is in a known state.
void ClearTarget(ContextState& s, llama_seq_id sequence) {
  if (sequence < 0) {
    llama_memory_clear(s.Memory(), true);
  } else {
    llama_memory_seq_rm(s.Memory(), sequence, -1, -1);
  }
}

LlamaException StateError(const std::string& what, const backend::CaptureErrors& capture) {
  std::string why = capture.text();
  return {code::kStateIo, what + (why.empty() ? "" : ": " + why)};
}

}  // namespace

SaveStateWorker::SaveStateWorker(Napi::Env env, ContextStatePtr state, llama_seq_id sequence, std::string path,
                                 std::vector<llama_token> tokens)
    : PromiseWorker(env, "llama-generate:saveState"),
      state_(std::move(state)),
      sequence_(sequence),
      path_(std::move(path)),
      tokens_(std::move(tokens)) {}

void SaveStateWorker::Run() {
  ContextState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  llama_context* ctx = s.ctx.get();
  backend::CaptureErrors capture;
  if (!path_.empty()) {
    bool ok = sequence_ < 0
                  ? llama_state_save_file(ctx, path_.c_str(), tokens_.data(), tokens_.size())
                  : llama_state_seq_save_file(ctx, path_.c_str(), sequence_, tokens_.data(), tokens_.size()) > 0;
    if (!ok) throw StateError("cannot save the " + Target(sequence_) + " to " + path_, capture);
    return;
  }
  size_t size = sequence_ < 0 ? llama_state_get_size(ctx) : llama_state_seq_get_size(ctx, sequence_);
  data_.resize(size);
  size_t written = sequence_ < 0 ? llama_state_get_data(ctx, data_.data(), size)
                                 : llama_state_seq_get_data(ctx, data_.data(), size, sequence_);
  if (written == 0 && size != 0) throw StateError("cannot read the " + Target(sequence_), capture);
  data_.resize(written);
}

Napi::Value SaveStateWorker::Result(Napi::Env env) {
  if (!path_.empty()) return env.Undefined();
  return Napi::Buffer<uint8_t>::Copy(env, data_.data(), data_.size());
}

LoadStateWorker::LoadStateWorker(Napi::Env env, ContextStatePtr state, llama_seq_id sequence, std::string path,
                                 std::vector<uint8_t> data)
    : PromiseWorker(env, "llama-generate:loadState"),
      state_(std::move(state)),
      sequence_(sequence),
      path_(std::move(path)),
      data_(std::move(data)),
      fromFile_(!path_.empty()) {}

void LoadStateWorker::Run() {
  ContextState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  llama_context* ctx = s.ctx.get();
  backend::CaptureErrors capture;
  const std::string what = "cannot load the " + Target(sequence_);
  if (fromFile_) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::u8path(path_), ec)) {
      throw LlamaException(code::kStateIo, what + ": no such file " + path_);
    }
    tokens_.resize(s.nCtx);
    size_t count = 0;
    bool ok = sequence_ < 0
                  ? llama_state_load_file(ctx, path_.c_str(), tokens_.data(), tokens_.size(), &count)
                  : llama_state_seq_load_file(ctx, path_.c_str(), sequence_, tokens_.data(), tokens_.size(), &count) > 0;
    if (!ok) {
      ClearTarget(s, sequence_);
      throw StateError(what + " from " + path_, capture);
    }
    tokens_.resize(count);
    return;
  }
  if (data_.empty()) throw LlamaException(code::kStateIo, what + ": the buffer is empty");
  size_t read = sequence_ < 0 ? llama_state_set_data(ctx, data_.data(), data_.size())
                              : llama_state_seq_set_data(ctx, data_.data(), data_.size(), sequence_);
  if (read == 0) {
    ClearTarget(s, sequence_);
    throw StateError(what + " from the buffer", capture);
  }
}

Napi::Value LoadStateWorker::Result(Napi::Env env) {
  if (!fromFile_) return env.Undefined();
  Napi::Int32Array out = Napi::Int32Array::New(env, tokens_.size());
  std::copy(tokens_.begin(), tokens_.end(), out.Data());
  return out;
}

}  // namespace lg
