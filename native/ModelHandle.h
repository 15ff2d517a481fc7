// Shared ownership of a llama_model: the JS Model holds one reference, every
// context made from it holds another, so weights are freed only after the
// last user (including in-flight native work) lets go.
#pragma once

#include "LiveCounts.h"
#include "MemoryTrim.h"

#include <llama.h>

#include <memory>

namespace lg {

using ModelHandle = std::shared_ptr<llama_model>;

inline ModelHandle AdoptModel(llama_model* model) {
  live::models++;
  return ModelHandle(model, [](llama_model* m) {
    llama_model_free(m);
    live::models--;
    ReleaseFreedMemory();
  });
}

// What ModelLoadWorker hands to the Model constructor.
struct LoadedModel {
  ModelHandle handle;
  bool vocabOnly = false;
};

}  // namespace lg
