#include "Backend.h"

#include "Errors.h"
#include "SafeCall.h"

#include <ggml.h>
#include <llama.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

namespace lg::backend {
namespace {

struct LogMessage {
  int level;
  std::string text;
};

// One per env that asked for logs.
struct LogSink {
  napi_env env = nullptr;
  int minLevel = 4;  // none
  Napi::ThreadSafeFunction tsfn;  // empty until a callback is set
};

std::mutex g_sinksMutex;
std::vector<LogSink*> g_sinks;
thread_local CaptureErrors* t_capture = nullptr;
thread_local int t_lastLevel = 1;

// ggml levels: DEBUG=1 INFO=2 WARN=3 ERROR=4 CONT=5; ours: 0..3, 4 = none.
int OurLevel(ggml_log_level level) {
  switch (level) {
    case GGML_LOG_LEVEL_DEBUG: return 0;
    case GGML_LOG_LEVEL_INFO: return 1;
    case GGML_LOG_LEVEL_WARN: return 2;
    case GGML_LOG_LEVEL_ERROR: return 3;
    default: return 1;
  }
}

const char* LevelName(int level) {
  static const char* const names[] = {"debug", "info", "warn", "error"};
  return names[std::clamp(level, 0, 3)];
}

void DeliverLog(Napi::Env env, Napi::Function callback, LogMessage* message) {
  std::unique_ptr<LogMessage> owned(message);
  if (env == nullptr || callback.IsEmpty()) return;
  // A throwing log callback, or an environment shutting down, must not take
  // the process down: the C API call drops both (see SafeCall.h).
  napi_value level = StringOrNull(env, LevelName(owned->level));
  napi_value text = StringOrNull(env, owned->text);
  if (level == nullptr || text == nullptr) return;
  CallIgnoringErrors(env, callback, {level, text});
}

void OnLog(ggml_log_level level, const char* text, void* /*user_data*/) {
  int ours = level == GGML_LOG_LEVEL_CONT ? t_lastLevel : OurLevel(level);
  if (level != GGML_LOG_LEVEL_CONT) t_lastLevel = ours;
  if (text == nullptr) return;
  if (t_capture != nullptr && ours == 3) t_capture->append(text);
  std::lock_guard<std::mutex> lock(g_sinksMutex);
  for (LogSink* sink : g_sinks) {
    if (ours < sink->minLevel || !sink->tsfn) continue;
    auto* message = new LogMessage{ours, text};
    if (sink->tsfn.NonBlockingCall(message, DeliverLog) != napi_ok) delete message;
  }
}

LogSink* FindSink(napi_env env) {
  for (LogSink* sink : g_sinks)
    if (sink->env == env) return sink;
  return nullptr;
}

void RemoveSink(void* arg) {
  auto* sink = static_cast<LogSink*>(arg);
  {
    std::lock_guard<std::mutex> lock(g_sinksMutex);
    g_sinks.erase(std::remove(g_sinks.begin(), g_sinks.end(), sink), g_sinks.end());
  }
  if (sink->tsfn) sink->tsfn.Abort();
  delete sink;
}

// The env's sink, created (with a cleanup hook) on first use. Caller holds the lock.
LogSink* SinkFor(Napi::Env env) {
  LogSink* sink = FindSink(env);
  if (sink != nullptr) return sink;
  sink = new LogSink();
  sink->env = env;
  g_sinks.push_back(sink);
  napi_add_env_cleanup_hook(env, RemoveSink, sink);
  return sink;
}

}  // namespace

void EnsureInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(OnLog, nullptr);
    llama_backend_init();
  });
}

void SetLogLevel(Napi::Env env, int level) {
  std::lock_guard<std::mutex> lock(g_sinksMutex);
  SinkFor(env)->minLevel = std::clamp(level, 0, 4);
}

void SetLogCallback(Napi::Env env, Napi::Value callback) {
  Napi::ThreadSafeFunction fresh;
  if (callback.IsFunction()) {
    fresh = Napi::ThreadSafeFunction::New(env, callback.As<Napi::Function>(), "llama-generate-log", 0, 1);
    fresh.Unref(env);  // logging never keeps the process alive
  }
  Napi::ThreadSafeFunction old;
  {
    std::lock_guard<std::mutex> lock(g_sinksMutex);
    LogSink* sink = SinkFor(env);
    old = sink->tsfn;
    sink->tsfn = fresh;
  }
  if (old) old.Release();
}

CaptureErrors::CaptureErrors() : previous_(t_capture) { t_capture = this; }
CaptureErrors::~CaptureErrors() { t_capture = previous_; }

void CaptureErrors::append(const char* line) {
  std::string piece(line);
  while (!piece.empty() && (piece.back() == '\n' || piece.back() == ' ')) piece.pop_back();
  if (piece.empty()) return;
  if (!text_.empty()) text_ += "; ";
  text_ += piece;
}

std::string CaptureErrors::text() const {
  return text_;
}

}  // namespace lg::backend
