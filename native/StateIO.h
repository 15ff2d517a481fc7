// StateIO: saving and restoring a context's state (all sequences, or one) to a
// file or a Buffer, as PromiseWorkers.
#pragma once

#include "ContextState.h"
#include "PromiseWorker.h"

#include <string>
#include <vector>

namespace lg {

// sequence < 0: the whole context. path empty: to a Buffer.
class SaveStateWorker : public PromiseWorker {
 public:
  SaveStateWorker(Napi::Env env, ContextStatePtr state, llama_seq_id sequence, std::string path,
                  std::vector<llama_token> tokens);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

  ContextStatePtr state_;
  llama_seq_id sequence_;
  std::string path_;
  std::vector<llama_token> tokens_;
  std::vector<uint8_t> data_;
};

// sequence < 0: the whole context. From `path` when not empty, else from `data`.
class LoadStateWorker : public PromiseWorker {
 public:
  LoadStateWorker(Napi::Env env, ContextStatePtr state, llama_seq_id sequence, std::string path,
                  std::vector<uint8_t> data);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

  ContextStatePtr state_;
  llama_seq_id sequence_;
  std::string path_;
  std::vector<uint8_t> data_;
  std::vector<llama_token> tokens_;
  bool fromFile_;
};

}  // namespace lg
