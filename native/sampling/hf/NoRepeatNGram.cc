#include "Processors.h"

#include <cmath>

namespace lg::sampling::hf {
namespace {

// NoRepeatNGramLogitsProcessor: bans every token that would complete an
// n-gram already present in the sequence.
class NoRepeatNGramStage : public Stage {
 public:
  explicit NoRepeatNGramStage(size_t n) : n_(n) {}
  const char* Name() const override { return "NoRepeatNGramLogitsProcessor"; }

  void Apply(Scores& scores, const History& h, Candidates&) override {
    const size_t len = h.length();
    if (len + 1 < n_) return;
    const size_t prefix = n_ - 1;
    const auto tail = h.ids.end() - prefix;  // the last n-1 tokens
    // Every n-gram start i whose first n-1 tokens equal the tail bans the token after them.
    for (size_t i = 0; i + n_ <= len; i++) {
      if (std::equal(tail, h.ids.end(), h.ids.begin() + i)) scores[h.ids[i + prefix]] = -INFINITY;
    }
  }

 private:
  size_t n_;
};

}  // namespace

StagePtr NoRepeatNGram(size_t n) { return std::make_unique<NoRepeatNGramStage>(n); }

}  // namespace lg::sampling::hf
