// Backend: process-wide llama.cpp initialisation and log routing.
//
// llama_backend_init() runs once per process, whichever env loads first.
// llama.cpp logs are silent by default; each env may install one sink (a JS
// callback and a minimum level). Error lines logged on a thread that is inside
// CaptureErrors are also kept, so a failed load can say why it failed.
#pragma once

#include <napi.h>

#include <string>

namespace lg::backend {

void EnsureInitialized();

// level: 0 debug, 1 info, 2 warn, 3 error, 4 none.
void SetLogLevel(Napi::Env env, int level);
// callback(levelName: string, text: string), or undefined/null to remove.
void SetLogCallback(Napi::Env env, Napi::Value callback);

// While alive, llama.cpp error lines logged by the current thread are appended
// to `text()`.
class CaptureErrors {
 public:
  CaptureErrors();
  ~CaptureErrors();
  CaptureErrors(const CaptureErrors&) = delete;
  CaptureErrors& operator=(const CaptureErrors&) = delete;
  // The captured lines joined with "; ", trailing newlines removed.
  std::string text() const;
  void append(const char* line);

 private:
  std::string text_;
  CaptureErrors* previous_;
};

}  // namespace lg::backend
