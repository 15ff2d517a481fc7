#include "Chain.h"

#include <algorithm>

namespace lg::sampling {

Chain::Chain(size_t vocabSize, std::vector<std::unique_ptr<Stage>> stages, std::unique_ptr<Draw> draw)
    : vocabSize_(vocabSize), stages_(std::move(stages)), draw_(std::move(draw)) {}

void Chain::SetPrompt(const std::vector<llama_token>& prompt) {
  for (auto& stage : stages_) stage->Reset();
  draw_->Reset();
  history_.ids = prompt;
  history_.promptLength = prompt.size();
  for (llama_token t : prompt)
    for (auto& stage : stages_) stage->Accept(t, true);
}

void Chain::ApplyStages(Scores& scores, size_t from, size_t to) {
  candidates_.Forget();
  to = std::min(to, stages_.size());
  for (size_t i = from; i < to; i++) {
    if (stages_[i]->MayRevive()) {
      candidates_.Materialize(scores);
      candidates_.Forget();
    }
    stages_[i]->Apply(scores, history_, candidates_);
    if (stages_[i]->MayRevive()) candidates_.Forget();
  }
}

void Chain::Apply(Scores& scores, size_t from, size_t to) {
  ApplyStages(scores, from, to);
  candidates_.Materialize(scores);
}

llama_token Chain::Pick(const Scores& scores) {
  candidates_.Forget();
  return draw_->Pick(scores, candidates_);
}

llama_token Chain::Sample(Scores& scores) {
  if (!stages_.empty() && draw_->IsArgmax() && stages_.back()->CheckArgmaxFirst()) {
    // Greedy after a filter (a grammar): the argmax before it, if it keeps
    // that token, is the argmax after it. The filter only removes tokens, so
    // no kept score is higher, and no kept token with the same score has a
    // lower id (it would have been the argmax). Otherwise filter, then pick.
    ApplyStages(scores, 0, stages_.size() - 1);
    const llama_token best = draw_->Pick(scores, candidates_);
    if (stages_.back()->Keeps(best)) return best;
    stages_.back()->Apply(scores, history_, candidates_);
    return draw_->Pick(scores, candidates_);
  }
  ApplyStages(scores, 0, stages_.size());  // no need to write -inf over the dropped tokens
  return draw_->Pick(scores, candidates_);
}

llama_token Chain::SampleRow(const float* row, size_t n, Scores& buffer) {
  if (stages_.empty() && draw_->IsArgmax()) return ArgmaxOf(row, n);
  buffer.assign(row, row + n);
  return Sample(buffer);
}

void Chain::Accept(llama_token token) {
  for (auto& stage : stages_) stage->Accept(token, false);
  draw_->Accept(token);
  history_.ids.push_back(token);
}

llama_token Chain::Propose(Scores& scores, Proposal& out, double& confidence) {
  ApplyStages(scores, 0, stages_.size());
  return draw_->Propose(scores, candidates_, out, confidence);
}

Verdict Chain::Verify(Scores& scores, const Proposal& proposal, bool dense) {
  ApplyStages(scores, 0, stages_.size());
  if (dense) candidates_.Materialize(scores);
  return draw_->Verify(scores, candidates_, proposal);
}

bool Chain::Rewindable() const {
  return std::none_of(stages_.begin(), stages_.end(), [](const auto& stage) { return stage->Stateful(); });
}

void Chain::Rewind(size_t length) {
  if (length < history_.promptLength) length = history_.promptLength;
  if (length < history_.ids.size()) history_.ids.resize(length);
}

void Chain::Reset() {
  std::vector<llama_token> prompt(history_.ids.begin(), history_.ids.begin() + history_.promptLength);
  SetPrompt(prompt);
}

}  // namespace lg::sampling
