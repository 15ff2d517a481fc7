#include "BeamSearch.h"

#include "../../Errors.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lg::generation::beam {

BeamSearch::BeamSearch(BeamConfig config, std::vector<llama_token> prompt, std::vector<llama_token> eos, int32_t maxNewTokens,
                       size_t vocabSize)
    : config_(std::move(config)),
      prompt_(std::move(prompt)),
      eos_(std::move(eos)),
      maxNewTokens_(maxNewTokens),
      vocabSize_(vocabSize),
      rng_(config_.seed) {
  const int32_t gs = config_.groupSize();
  // max(2, 1 + number of EOS ids) candidates per beam: enough to fill the beams whatever the EOS ids take.
  candidatesPerGroup_ = static_cast<size_t>(std::max<size_t>(2, 1 + eos_.size()) * static_cast<size_t>(gs));
  if (!config_.constraints.empty()) constraints_ = MakeConstraints(config_.constraints);
  beams_.resize(static_cast<size_t>(config_.numBeams));
  // Only the first beam of each group starts live: the others are copies at -1e9.
  for (size_t b = 0; b < beams_.size(); b++) beams_[b].score = b % static_cast<size_t>(gs) == 0 ? 0.0f : -1e9f;
  for (int32_t g = 0; g < config_.groups; g++) hypotheses_.emplace_back(static_cast<size_t>(gs), config_.lengthPenalty, config_.earlyStopping, maxNewTokens_);
  done_.assign(static_cast<size_t>(config_.groups), false);
  doneBefore_ = done_;
  choices_.resize(beams_.size());
}

bool BeamSearch::IsEos(llama_token token) const { return std::find(eos_.begin(), eos_.end(), token) != eos_.end(); }

std::vector<llama_token> BeamSearch::WithPrompt(const std::vector<llama_token>& tokens) const {
  std::vector<llama_token> all = prompt_;
  all.insert(all.end(), tokens.begin(), tokens.end());
  return all;
}

std::vector<llama_token> BeamSearch::EarlierGroupTokens(int32_t group) const {
  const int32_t gs = groupSize();
  std::vector<llama_token> out;
  for (int32_t g = 0; g < group; g++) {
    for (int32_t j = 0; j < gs; j++) {
      if (!doneBefore_[static_cast<size_t>(g)]) out.push_back(choices_[static_cast<size_t>(g * gs + j)].token);
      else if (!eos_.empty()) out.push_back(eos_[0]);  // a finished group is fed its pad token
    }
  }
  return out;
}

// torch.topk over (beams of the group) x vocabulary of beam score + processed
// score, in float32, best first (equal scores: the lower flat index first).
std::vector<BeamSearch::Candidate> BeamSearch::TopCandidates(int32_t group, const std::vector<const float*>& rows) const {
  const int32_t gs = groupSize();
  const size_t k = std::min(candidatesPerGroup_, vocabSize_);
  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.beam != b.beam ? a.beam < b.beam : a.token < b.token;
  };
  std::vector<Candidate> all;
  std::vector<Candidate> row(vocabSize_);
  for (int32_t j = 0; j < gs; j++) {
    const float base = beams_[static_cast<size_t>(group * gs + j)].score;
    const float* scores = rows[static_cast<size_t>(j)];
    for (size_t v = 0; v < vocabSize_; v++) row[v] = {base + scores[v], j, static_cast<llama_token>(v)};
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k), row.end(), better);
    all.insert(all.end(), row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k));
  }
  std::sort(all.begin(), all.end(), better);
  all.resize(std::min(all.size(), candidatesPerGroup_));
  return all;
}

// Beam sampling (do_sample): torch.multinomial without replacement over the
// softmax of every (beam, token) score, then sorted by score. The draw uses
// the exponential keys torch itself uses (p / Exp(1), largest first).
std::vector<BeamSearch::Candidate> BeamSearch::SampledCandidates(int32_t group, const std::vector<const float*>& rows) {
  const int32_t gs = groupSize();
  std::vector<Candidate> all;
  all.reserve(static_cast<size_t>(gs) * vocabSize_);
  float max = -INFINITY;
  for (int32_t j = 0; j < gs; j++) {
    const float base = beams_[static_cast<size_t>(group * gs + j)].score;
    for (size_t v = 0; v < vocabSize_; v++) {
      all.push_back({base + rows[static_cast<size_t>(j)][v], j, static_cast<llama_token>(v)});
      max = std::max(max, all.back().score);
    }
  }
  std::vector<std::pair<double, size_t>> keys;  // (key, index into all)
  std::vector<size_t> zero;                     // candidates of probability 0, for a short draw
  for (size_t i = 0; i < all.size(); i++) {
    const double p = max == -INFINITY ? 0 : std::exp(static_cast<double>(all[i].score) - static_cast<double>(max));
    if (!(p > 0)) {
      zero.push_back(i);
      continue;
    }
    const double u = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    keys.emplace_back(p / -std::log(u), i);
  }
  const size_t k = std::min(candidatesPerGroup_, all.size());
  const size_t drawn = std::min(k, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(drawn), keys.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Candidate> out;
  for (size_t i = 0; i < drawn; i++) out.push_back(all[keys[i].second]);
  for (size_t i = 0; out.size() < k && i < zero.size(); i++) out.push_back(all[zero[i]]);
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return out;
}

void BeamSearch::StepGroup(int32_t group, const std::vector<const float*>& rows) {
  const int32_t gs = groupSize();
  const std::vector<Candidate> candidates = config_.doSample ? SampledCandidates(group, rows) : TopCandidates(group, rows);
  BeamHypotheses& hyps = hypotheses_[static_cast<size_t>(group)];
  std::vector<Choice> next;
  for (size_t rank = 0; rank < candidates.size() && next.size() < static_cast<size_t>(gs); rank++) {
    const Candidate& c = candidates[rank];
    const int32_t b = group * gs + c.beam;
    if (IsEos(c.token)) {
      // An EOS ranked below the group's size is dropped; others finish their beam.
      if (rank >= static_cast<size_t>(gs)) continue;
      const Beam& beam = beams_[static_cast<size_t>(b)];
      if (constraints_ && !Fulfils(constraints_, WithPrompt(beam.tokens))) continue;
      hyps.Add(beam.tokens, c.token, c.score, step_ + 1);
    } else {
      next.push_back({b, c.token, c.score});
    }
  }
  if (next.size() < static_cast<size_t>(gs)) throw LlamaException(code::kInternal, "beam search: too few candidates to fill the beams");
  if (constraints_) next = ConstrainedStep(rows, std::move(next));
  for (int32_t j = 0; j < gs; j++) choices_[static_cast<size_t>(group * gs + j)] = next[static_cast<size_t>(j)];
  if (!done_[static_cast<size_t>(group)]) done_[static_cast<size_t>(group)] = hyps.IsDone(candidates[0].score, step_ + 1);
}

bool BeamSearch::EndStep() {
  const int32_t gs = groupSize();
  std::vector<Beam> next = beams_;
  for (int32_t g = 0; g < config_.groups; g++) {
    if (doneBefore_[static_cast<size_t>(g)]) continue;
    for (int32_t j = 0; j < gs; j++) {
      const auto i = static_cast<size_t>(g * gs + j);
      const Choice& c = choices_[i];
      next[i].tokens = beams_[static_cast<size_t>(c.parent)].tokens;
      next[i].tokens.push_back(c.token);
      next[i].score = c.score;
    }
  }
  beams_ = std::move(next);
  step_++;
  doneBefore_ = done_;
  finished_ = step_ >= maxNewTokens_ || std::all_of(done_.begin(), done_.end(), [](bool d) { return d; });
  return finished_;
}

std::vector<Hypothesis> BeamSearch::Finalize() {
  const int32_t gs = groupSize();
  for (int32_t g = 0; g < config_.groups; g++) {
    if (done_[static_cast<size_t>(g)]) continue;
    BeamHypotheses& hyps = hypotheses_[static_cast<size_t>(g)];
    std::vector<bool> offered(static_cast<size_t>(gs), false);
    size_t fulfilling = 0;
    for (int32_t j = 0; j < gs; j++) {
      const Beam& beam = beams_[static_cast<size_t>(g * gs + j)];
      if (constraints_ && !Fulfils(constraints_, WithPrompt(beam.tokens))) continue;
      hyps.Add(beam.tokens, -1, beam.score, step_);
      offered[static_cast<size_t>(j)] = true;
      fulfilling++;
    }
    // Constrained: too few beams fulfil the constraints, so all the others compete too.
    if (constraints_ && fulfilling < static_cast<size_t>(config_.numReturn)) {
      for (int32_t j = 0; j < gs; j++) {
        const Beam& beam = beams_[static_cast<size_t>(g * gs + j)];
        if (!offered[static_cast<size_t>(j)]) hyps.Add(beam.tokens, -1, beam.score, step_);
      }
    }
  }
  std::vector<Hypothesis> all;
  for (const BeamHypotheses& hyps : hypotheses_) all.insert(all.end(), hyps.items().begin(), hyps.items().end());
  // sorted(..., key=score) then pop(): the best first, the later of equal ones first.
  std::stable_sort(all.begin(), all.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score < b.score; });
  std::vector<Hypothesis> out;
  for (size_t i = 0; i < static_cast<size_t>(config_.numReturn) && i < all.size(); i++) out.push_back(all[all.size() - 1 - i]);
  return out;
}

}  // namespace lg::generation::beam
