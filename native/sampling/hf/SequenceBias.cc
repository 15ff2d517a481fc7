#include "Processors.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace lg::sampling::hf {
namespace {

class SequenceBiasStage : public Stage {
 public:
  explicit SequenceBiasStage(std::vector<std::pair<TokenList, float>> biases) {
    for (auto& [sequence, bias] : biases) {
      if (sequence.size() == 1) {
        single_[sequence[0]] = bias;  // HF assigns: one entry per token
      } else if (!sequence.empty()) {
        multi_.emplace_back(std::move(sequence), bias);
      }
    }
  }
  const char* Name() const override { return "SequenceBiasLogitsProcessor"; }

  void Apply(Scores& scores, const History& h, Candidates&) override {
    // bias = single-token biases, then += each multi-token bias whose prefix ends the history.
    std::map<llama_token, float> bias(single_.begin(), single_.end());
    for (const auto& [sequence, value] : multi_) {
      if (sequence.size() > h.length()) continue;
      const size_t prefix = sequence.size() - 1;
      if (std::equal(sequence.begin(), sequence.begin() + prefix, h.ids.end() - prefix)) {
        bias[sequence.back()] += value;
      }
    }
    for (const auto& [token, value] : bias) scores[token] = scores[token] + value;
  }

 private:
  std::map<llama_token, float> single_;
  std::vector<std::pair<TokenList, float>> multi_;
};

}  // namespace

StagePtr SequenceBias(std::vector<std::pair<TokenList, float>> biases) {
  return std::make_unique<SequenceBiasStage>(std::move(biases));
}

StagePtr NoBadWords(const std::vector<TokenList>& words, const TokenList& eos) {
  std::vector<std::pair<TokenList, float>> biases;
  for (const TokenList& word : words) {
    const bool isEos = word.size() == 1 && std::find(eos.begin(), eos.end(), word[0]) != eos.end();
    if (!isEos) biases.emplace_back(word, -INFINITY);
  }
  return std::make_unique<SequenceBiasStage>(std::move(biases));
}

}  // namespace lg::sampling::hf
