#include "AssertGuard.h"

#include <ggml.h>

#include <cstdio>
#include <mutex>

namespace lg {
namespace {

thread_local int guards = 0;

void OnAbort(const char* message) {
  if (guards > 0) throw AssertionFailed(std::string("llama.cpp assertion failed: ") + message);
  std::fprintf(stderr, "%s\n", message);  // then ggml calls abort(), as without a callback
}

}  // namespace

AssertGuard::AssertGuard() { guards++; }
AssertGuard::~AssertGuard() { guards--; }

void AssertGuard::Install() {
  static std::once_flag once;
  std::call_once(once, [] { ggml_set_abort_callback(&OnAbort); });
}

}  // namespace lg
