// AssertGuard: turns llama.cpp's and ggml's failed asserts into C++
// exceptions on the current thread while a guard lives.
//
// llama.cpp checks much of a model file with GGML_ASSERT while it loads the
// hyperparameters (expert and group counts, rope scaling names, per-arch
// keys: 27 asserts in llama-model.cpp plus those of each architecture) and
// builds a context's graphs; a failed assert calls abort() and takes the
// whole process down. Both loaders catch C++ exceptions and report a failed
// load, so on the thread of a model load or a context creation (and only
// there, never in decode, whose ggml worker threads cannot unwind) the abort
// callback throws instead. ggml's C frames are unwound through with their
// unwind tables (the default on every platform the addon is built for).
// Elsewhere a failed assert still aborts, after printing its message.
#pragma once

#include <stdexcept>
#include <string>

namespace lg {

// What a guarded assert throws.
class AssertionFailed : public std::runtime_error {
 public:
  explicit AssertionFailed(const std::string& message) : std::runtime_error(message) {}
};

class AssertGuard {
 public:
  AssertGuard();
  ~AssertGuard();
  AssertGuard(const AssertGuard&) = delete;
  AssertGuard& operator=(const AssertGuard&) = delete;

  // Registers the abort callback with ggml (once per process).
  static void Install();
};

}  // namespace lg
