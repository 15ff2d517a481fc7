// ConstrainedBeamSearchScorer.step_sentence_constraint (transformers 4.47):
// to the beams chosen by score, add every running beam extended by a token
// that advances its constraints, rank all of them by "bank" (constraint
// tokens satisfied) and score, and keep the best of each bank in turn.
#include "BeamSearch.h"

#include <algorithm>
#include <numeric>

namespace lg::generation::beam {

std::vector<Choice> BeamSearch::ConstrainedStep(const std::vector<const float*>& rows, std::vector<Choice> chosen) const {
  const size_t n = chosen.size();
  // The sequences already considered (generated parts: the prompt is common to all).
  std::vector<std::vector<llama_token>> seqs;
  std::vector<ConstraintListState> states;
  for (const Choice& c : chosen) {
    seqs.push_back(beams_[static_cast<size_t>(c.parent)].tokens);
    seqs.back().push_back(c.token);
    states.emplace_back(constraints_);
    states.back().Reset(WithPrompt(seqs.back()));
  }
  std::vector<Choice> added;
  for (size_t b = 0; b < beams_.size(); b++) {
    const Beam& beam = beams_[b];
    ConstraintListState advance(constraints_);
    advance.Reset(WithPrompt(beam.tokens));
    if (advance.completed()) continue;
    for (llama_token t : advance.Advance()) {
      // Stateful copies of one state share a disjunction's token list: what
      // one Add() appends, the next copy sees (transformers does the same).
      ConstraintListState state = advance.Copy(true);
      state.Add(t);
      std::vector<llama_token> seq = beam.tokens;
      seq.push_back(t);
      if (std::find(seqs.begin(), seqs.end(), seq) != seqs.end()) continue;
      seqs.push_back(std::move(seq));
      added.push_back({static_cast<int32_t>(b), t, beam.score + rows[b][t]});
      states.push_back(std::move(state));
    }
  }
  if (added.empty()) return chosen;

  std::vector<Choice> all = std::move(chosen);
  all.insert(all.end(), added.begin(), added.end());
  std::vector<int32_t> banks;
  for (const ConstraintListState& s : states) banks.push_back(s.Bank());
  // zipped = bank * 100 + score (float32), best first.
  std::vector<float> zipped;
  for (size_t i = 0; i < all.size(); i++) zipped.push_back(static_cast<float>(banks[i] * 100) + all[i].score);
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return zipped[a] > zipped[b]; });
  // The position of each within its run of equal banks; then round-robin over the runs.
  std::vector<size_t> increments;
  size_t counter = 0;
  for (size_t i = 0; i < order.size(); i++) {
    counter = i == 0 || banks[order[i]] != banks[order[i - 1]] ? 0 : counter + 1;
    increments.push_back(counter);
  }
  std::vector<size_t> rearranged(order.size());
  std::iota(rearranged.begin(), rearranged.end(), 0);
  std::stable_sort(rearranged.begin(), rearranged.end(), [&](size_t a, size_t b) { return increments[a] < increments[b]; });
  std::vector<Choice> out;
  for (size_t i = 0; i < n; i++) out.push_back(all[order[rearranged[i]]]);
  return out;
}

}  // namespace lg::generation::beam
