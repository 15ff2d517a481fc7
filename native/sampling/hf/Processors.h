// transformers' logits processors and warpers (generation/logits_process.py),
// each as a Stage with the same arithmetic on float32 scores. One per file.
#pragma once

#include "../Stage.h"

#include <memory>
#include <utility>
#include <vector>

namespace lg::sampling::hf {

using TokenList = std::vector<llama_token>;
using StagePtr = std::unique_ptr<Stage>;

// SequenceBiasLogitsProcessor: `biases` are (token sequence, bias) pairs.
StagePtr SequenceBias(std::vector<std::pair<TokenList, float>> biases);
// NoBadWordsLogitsProcessor: a sequence bias of -inf; single-token words equal to an EOS are dropped.
StagePtr NoBadWords(const std::vector<TokenList>& words, const TokenList& eos);
// HammingDiversityLogitsProcessor: subtracts penalty × the number of times the
// earlier groups of a group beam search chose each token in this step.
StagePtr HammingDiversity(float penalty);
StagePtr RepetitionPenalty(float penalty);
StagePtr NoRepeatNGram(size_t n);
StagePtr MinLength(size_t minLength, TokenList eos);
StagePtr MinNewTokens(size_t minNewTokens, TokenList eos);
StagePtr ForcedBos(llama_token bos);
StagePtr ForcedEos(size_t maxLength, size_t maxNewTokens, TokenList eos);  // maxNewTokens 0: not given
StagePtr InfNanRemove();
StagePtr ExponentialDecay(size_t startIndex, float factor, TokenList eos);
StagePtr SuppressTokens(TokenList tokens);
// begin index = prompt length, +1 when the prompt is one token and a BOS is forced.
StagePtr SuppressTokensAtBegin(TokenList tokens, bool forcedBos);

StagePtr Temperature(float temperature);
StagePtr TopK(size_t k, size_t minKeep);
StagePtr TopP(float p, size_t minKeep);
StagePtr MinP(float p, size_t minKeep);
StagePtr Typical(float mass, size_t minKeep);
StagePtr Epsilon(float epsilon, size_t minKeep);
StagePtr Eta(float epsilon, size_t minKeep);
// LogitNormalization: log-softmax.
StagePtr LogNormalize();

}  // namespace lg::sampling::hf
