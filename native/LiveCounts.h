// LiveCounts: how many llama_model and llama_context objects are alive in
// this process, so tests can prove that dispose() and finalizers free them.
#pragma once

#include <atomic>

namespace lg::live {

inline std::atomic<int> models{0};
inline std::atomic<int> contexts{0};

}  // namespace lg::live
