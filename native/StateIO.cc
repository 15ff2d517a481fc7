#include "StateIO.h"

#include "Backend.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace lg {
namespace {

// The whole file, read into memory after `leading` spare bytes (a FIFO or a
// directory is refused first).
std::vector<uint8_t> ReadFile(const std::string& path, const std::string& what, size_t leading) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::u8path(path), ec)) {
    throw LlamaException(code::kStateIo, what + ": no such file " + path);
  }
  std::ifstream in(std::filesystem::u8path(path), std::ios::binary | std::ios::ate);
  if (!in) throw LlamaException(code::kStateIo, what + ": cannot open " + path);
  const std::streamoff size = in.tellg();
  std::vector<uint8_t> bytes(leading + static_cast<size_t>(std::max<std::streamoff>(size, 0)));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data() + leading), size)) {
    throw LlamaException(code::kStateIo, what + ": cannot read " + path);
  }
  return bytes;
}

uint32_t U32At(const std::vector<uint8_t>& bytes, size_t offset) {
  uint32_t v = 0;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

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
    // The file is parsed here and its state handed to llama.cpp as a buffer,
    // whose reader checks every length: llama.cpp's own file loader asserts on
    // a truncated state (aborting the process) and allocates whatever a
    // corrupted length asks for before reading it.
    const std::string from = what + " from " + path_;
    // llama_state_seq_set_data() wants a buffer as llama_state_seq_get_data()
    // writes it: its magic (llama-context.cpp's io_magic) and the source
    // sequence before the data. Room for them is left before the file.
    constexpr uint32_t kSeqBufferMagic = 0xaf143cd8;
    constexpr size_t kLead = sizeof(uint32_t) + sizeof(llama_seq_id);
    data_ = ReadFile(path_, what, kLead);
    const bool whole = sequence_ < 0;
    const uint32_t magic = whole ? LLAMA_SESSION_MAGIC : LLAMA_STATE_SEQ_MAGIC;
    const uint32_t version = whole ? LLAMA_SESSION_VERSION : LLAMA_STATE_SEQ_VERSION;
    constexpr size_t kHeader = kLead + 3 * sizeof(uint32_t);  // after the spare bytes: magic, version, token count
    if (data_.size() < kHeader || U32At(data_, kLead) != magic || U32At(data_, kLead + 4) != version) {
      throw LlamaException(code::kStateIo, from + ": not a " + (whole ? "context" : "sequence") + " state file of this llama.cpp version");
    }
    const size_t count = U32At(data_, kLead + 8);
    if (count > static_cast<size_t>(s.nCtx)) {
      throw LlamaException(code::kStateIo, from + ": it stores " + std::to_string(count) + " tokens, more than the context holds (" + std::to_string(s.nCtx) + ")");
    }
    const size_t stateAt = kHeader + count * sizeof(llama_token);
    if (stateAt >= data_.size()) throw LlamaException(code::kStateIo, from + ": the file is truncated");
    tokens_.resize(count);
    std::memcpy(tokens_.data(), data_.data() + kHeader, count * sizeof(llama_token));
    size_t read = 0;
    if (whole) {
      read = llama_state_set_data(ctx, data_.data() + stateAt, data_.size() - stateAt);
    } else {
      // the tokens are copied out: the 8 bytes before the state take the buffer header
      const llama_seq_id source = sequence_;
      std::memcpy(data_.data() + stateAt - kLead, &kSeqBufferMagic, sizeof kSeqBufferMagic);
      std::memcpy(data_.data() + stateAt - sizeof source, &source, sizeof source);
      read = llama_state_seq_set_data(ctx, data_.data() + stateAt - kLead, data_.size() - stateAt + kLead, sequence_);
    }
    std::vector<uint8_t>().swap(data_);
    if (read == 0) {
      ClearTarget(s, sequence_);
      tokens_.clear();
      throw StateError(from, capture);
    }
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
