// Errors: the stable error codes shared with lib/errors.ts, the C++ exception
// that carries one across threads, and its conversion into a JS LlamaError.
#pragma once

#include <napi.h>

#include <stdexcept>
#include <string>

namespace lg {

// Keep in sync with lib/errors.ts (test/unit/errors.test.ts checks it).
namespace code {
inline constexpr const char* kModelNotFound = "MODEL_NOT_FOUND";
inline constexpr const char* kInvalidModel = "INVALID_MODEL";
inline constexpr const char* kInvalidArgument = "INVALID_ARGUMENT";
inline constexpr const char* kOutOfMemory = "OUT_OF_MEMORY";
inline constexpr const char* kContextOverflow = "CONTEXT_OVERFLOW";
inline constexpr const char* kDisposed = "DISPOSED";
inline constexpr const char* kAborted = "ABORTED";
inline constexpr const char* kBackendUnavailable = "BACKEND_UNAVAILABLE";
inline constexpr const char* kBusy = "BUSY";
inline constexpr const char* kDecodeFailed = "DECODE_FAILED";
inline constexpr const char* kStateIo = "STATE_IO";
inline constexpr const char* kUnsupported = "UNSUPPORTED";
inline constexpr const char* kNotImplemented = "NOT_IMPLEMENTED";
inline constexpr const char* kIncompleteOutput = "INCOMPLETE_OUTPUT";  // raised in TS only (a result's `json`)
inline constexpr const char* kInternal = "INTERNAL";
}  // namespace code

// Thrown by native code on any thread; becomes a LlamaError with `code`.
class LlamaException : public std::runtime_error {
 public:
  LlamaException(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const noexcept { return code_; }

 private:
  const char* code_;
};

// A code and message captured on a worker thread, turned into a JS error later.
struct ErrorInfo {
  const char* code = code::kInternal;
  std::string message;
};

// Classifies any exception (LlamaException, bad_alloc, other std::exception).
ErrorInfo Classify(const std::exception& e);

// Builds a JS LlamaError (the class registered by lib/native.ts, or a plain
// Error with `code` before that).
Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message);

// Runs `body` and turns every C++ exception into a thrown JS LlamaError, so a
// llama.cpp exception never escapes into Node.
template <typename Body>
auto Guard(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    ErrorInfo info = Classify(e);
    throw MakeError(env, info.code, info.message);
  }
}

}  // namespace lg
