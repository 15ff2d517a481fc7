// Generation: the JS face of one generate() call (see lib/generation/).
// The engine thread fills the job's queue and pings JS through a
// ThreadSafeFunction; JS reads everything queued in one call.
#pragma once

#include "generation/Engine.h"

#include <napi.h>

#include <memory>

namespace lg {

class Generation : public Napi::ObjectWrap<Generation> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Generation(const Napi::CallbackInfo& info);  // from Context::Generate only
  ~Generation() override;

  // Context::Generate: parses the request, starts the job, returns the handle.
  static Napi::Value Start(const Napi::CallbackInfo& info, const ContextStatePtr& state,
                           const std::shared_ptr<generation::Engine>& engine);

 private:
  // read() -> { chunks, ends, progress?, finish? }: everything queued since the last read.
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Abort(const Napi::CallbackInfo& info);
  // ref()/unref(): whether the running job keeps Node's event loop alive.
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  // setStreaming(bool): see Job::streaming.
  Napi::Value SetStreaming(const Napi::CallbackInfo& info);

  std::shared_ptr<generation::Job> job_;
  std::weak_ptr<generation::Engine> engine_;
};

}  // namespace lg
