// Shared ownership of a llama_model: the JS Model holds one reference, every
// context made from it holds another, so weights are freed only after the
// last user (including in-flight native work) lets go.
#pragma once

#include "LiveCounts.h"
#include "MemoryTrim.h"

#include <llama.h>

#include <memory>

namespace lg {

namespace grammar {
// grammar/GrammarCache.h: drops the grammar engine's caches of a vocabulary.
void ForgetVocabulary(const llama_vocab* vocab);
}  // namespace grammar

using ModelHandle = std::shared_ptr<llama_model>;

inline ModelHandle AdoptModel(llama_model* model) {
  live::models++;
  return ModelHandle(model, [](llama_model* m) {
    grammar::ForgetVocabulary(llama_model_get_vocab(m));  // before the address can be reused
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
