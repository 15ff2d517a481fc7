// Engine, speculative decoding: an output with a drafter puts its next token
// and the drafter's proposals in the batch, each with logits; after the
// decode its chain judges the proposals in order (Chain::Verify: the argmax
// for greedy chains, min(1, p/q) and the residual draw for sampling ones),
// keeps those it accepts, adds its own token at the first rejection (or
// after the last proposal), and the sequence drops the rejected positions.
// The chain accepts each kept token before judging the next, so its stages
// (penalties, a grammar) see the same history as one token per step.
#include "Engine.h"

#include <algorithm>

namespace lg::generation {

void Engine::AddDrafted(Slot& s, int32_t& budget) {
  const Request& r = s.job.request;
  // Room for proposals: the batch, the sequence, and max_new_tokens (the
  // step adds every kept proposal plus one token of the chain's own).
  const auto inBatch = static_cast<int64_t>(budget) - 1;
  const auto inSequence = static_cast<int64_t>(state_->nCtxSeq) - s.nPast - 1;
  const auto inOutput = static_cast<int64_t>(r.maxNewTokens) - static_cast<int64_t>(s.generated().size()) - 1;
  const auto room = static_cast<int32_t>(std::max<int64_t>(0, std::min({inBatch, inSequence, inOutput})));
  s.drafts.clear();
  if (room > 0) {
    try {
      s.drafter->Draft(s.chain.history().ids, room, s.drafts);
    } catch (const std::exception&) {
      s.drafts.clear();  // a draft that fails costs its speed-up, not the output
    }
    if (s.drafts.size() > static_cast<size_t>(room)) s.drafts.resize(static_cast<size_t>(room));
  }
  s.stepTook = 1 + s.drafts.size();
  AddToken(s, s.next, true, budget);
  const int32_t first = s.batchIndex;
  for (const sampling::Proposal& p : s.drafts) AddToken(s, p.token, true, budget);
  s.batchIndex = first;
}

void Engine::VerifyDrafts(Slot& slot, int32_t firstRow) {
  const Request& r = slot.job.request;
  const auto n = static_cast<size_t>(state_->nVocab);
  const size_t proposals = slot.drafts.size();
  int32_t accepted = 0;
  // The cache keeps the step's first token and the accepted proposals:
  // nPast says so before the output may end (which reports it); the
  // rejected positions go after the loop.
  auto keep = [&](size_t kept) { slot.nPast = slot.stepStart + 1 + static_cast<llama_pos>(kept); };
  keep(0);
  // Counted before the output may end in the loop (its end reports them).
  slot.speculation.drafted += static_cast<int32_t>(proposals);
  slot.speculation.steps++;
  sampling::Scores& scores = slot.scores;
  for (size_t i = 0; i <= proposals; i++) {
    const float* row = llama_get_logits_ith(state_->ctx.get(), firstRow + static_cast<int32_t>(i));
    if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no logits");
    scores.assign(row, row + n);
    llama_token token;
    bool isProposal = false;
    if (i < proposals) {
      const sampling::Verdict verdict = slot.chain.Verify(scores, slot.drafts[i], r.outputScores);
      token = verdict.token;
      isProposal = verdict.accepted;
    } else if (r.outputScores) {
      slot.chain.Apply(scores, 0, slot.chain.size());
      token = slot.chain.Pick(scores);
    } else {
      token = slot.chain.Sample(scores);
    }
    if (isProposal) {
      accepted++;
      slot.speculation.accepted++;
      if (!IsEos(r, token)) keep(i + 1);  // evaluated in this batch: stays
    }
    if (!Emit(slot, token, row)) break;
    if (!isProposal) {  // the chain's own token: evaluated next step
      slot.next = token;
      break;
    }
  }
  llama_memory_seq_rm(state_->Memory(), slot.sequence, slot.nPast, -1);
  slot.drafter->Verified(static_cast<int32_t>(proposals), accepted);
  slot.drafts.clear();
}

}  // namespace lg::generation
