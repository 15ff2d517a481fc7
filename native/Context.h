// Context: the JS face of a llama_context (see lib/context.ts): evaluation,
// the KV cache per sequence, state save/load, stats.
#pragma once

#include "ContextState.h"
#include "generation/Engine.h"

#include <napi.h>

namespace lg {

class Context : public Napi::ObjectWrap<Context> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Context(const Napi::CallbackInfo& info);  // from CreateContextWorker only
  ~Context() override;
  // The live state of a JS Context object: INVALID_ARGUMENT for anything
  // else, DISPOSED for a disposed one.
  static ContextStatePtr StateOf(Napi::Env env, Napi::Value value, const char* name);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Generate(const Napi::CallbackInfo& info);
  Napi::Value Embed(const Napi::CallbackInfo& info);
  Napi::Value ClearAll(const Napi::CallbackInfo& info);
  Napi::Value ClearSequence(const Napi::CallbackInfo& info);
  Napi::Value RemoveTokens(const Napi::CallbackInfo& info);
  Napi::Value CopySequence(const Napi::CallbackInfo& info);
  Napi::Value KeepSequence(const Napi::CallbackInfo& info);
  Napi::Value ShiftPositions(const Napi::CallbackInfo& info);
  Napi::Value SequencePositions(const Napi::CallbackInfo& info);
  Napi::Value SaveState(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);

  // The live state, or throws DISPOSED.
  const ContextStatePtr& State(Napi::Env env) const;
  llama_seq_id Sequence(Napi::Value value, const char* name) const;
  // A position argument: undefined/-1 means "open end".
  static llama_pos Position(Napi::Value value, const char* name);

  ContextStatePtr state_;
  // The decode loop of generate(), created on first use.
  std::shared_ptr<generation::Engine> engine_;
};

}  // namespace lg
