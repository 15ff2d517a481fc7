// Engine, step 4: sampling what the decode gave. Every output that asked
// for logits samples with its chain (the first output, after the shared
// prompt, hands a copy of its cache to its siblings); every beam search
// gets all its beams' rows at once and runs one search step.
#include "Engine.h"
#include "Logprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lg::generation {

void Engine::SampleOutputs(const StepBatch& batch) {
  std::vector<Active*> searches;  // beam searches with rows to step over
  for (size_t i = 0; i < batch.slots.size(); i++) {
    Slot& s = *batch.slots[i];
    Active& a = *batch.owners[i];
    if (a.completed) continue;
    if (s.phase == Slot::Phase::kPrompt && s.index == 0 && !a.promptDone) {
      a.job->PushProgress({static_cast<int32_t>(a.cachedPromptTokens + s.evaluated), static_cast<int32_t>(a.job->request.prompt.size())});
    }
    if (s.batchIndex < 0) continue;
    const int32_t rowIndex = s.batchIndex;
    const float* row = llama_get_logits_ith(state_->ctx.get(), rowIndex);
    s.batchIndex = -1;
    if (a.beams) {  // stepped once all its lanes' rows are in
      a.beams->SetRow(s, row);
      if (std::find(searches.begin(), searches.end(), &a) == searches.end()) searches.push_back(&a);
      continue;
    }
    try {
      if (row == nullptr) throw LlamaException(code::kInternal, "llama.cpp returned no logits");
      if (!s.drafts.empty()) VerifyDrafts(s, rowIndex);
      else Sample(a, s, row);
    } catch (const std::exception& e) {
      Fail(a, Classify(e));
    }
  }
  for (Active* a : searches) StepBeams(*a);
}

void Engine::StepBeams(Active& a) {
  if (a.completed) return;
  if (!a.promptDone) MarkPromptDone(a);
  try {
    a.beams->Advance();
  } catch (const std::exception& e) {
    Fail(a, Classify(e));
  }
}

void Engine::SampleOne(Slot& slot, const float* row) {
  const Request& r = slot.job.request;
  const auto n = static_cast<size_t>(state_->nVocab);
  slot.phase = Slot::Phase::kGenerate;
  llama_token token;
  if (r.outputScores) {
    slot.scores.assign(row, row + n);
    slot.chain.Apply(slot.scores, 0, slot.chain.size());
    token = slot.chain.Pick(slot.scores);
  } else {
    token = slot.chain.SampleRow(row, n, slot.scores);
  }
  if (Emit(slot, token, row)) slot.next = token;
}

bool Engine::IsEos(const Request& r, llama_token token) {
  return std::find(r.eos.begin(), r.eos.end(), token) != r.eos.end();
}

bool Engine::Emit(Slot& slot, llama_token token, const float* row) {
  const Request& r = slot.job.request;
  if (IsEos(r, token)) {
    slot.Finish("eos");
    return false;
  }
  const auto n = static_cast<size_t>(state_->nVocab);
  slot.chain.Accept(token);
  TokenLogprob logprob;
  if (r.topLogprobs >= 0) logprob = Logprobs(row, static_cast<int32_t>(n), token, r.topLogprobs);
  std::vector<float> raw;
  if (r.outputLogits) raw.assign(row, row + n);
  return !slot.Add(token, r.topLogprobs >= 0 ? &logprob : nullptr, r.outputScores ? &slot.scores : nullptr, r.outputLogits ? &raw : nullptr);
}

void Engine::Sample(Active& a, Slot& slot, const float* row) {
  const bool first = slot.index == 0 && !a.promptDone;
  if (first) MarkPromptDone(a);
  SampleOne(slot, row);
  if (!first) return;
  // num_return_sequences: the others start from a copy of the evaluated prompt.
  llama_memory_t mem = state_->Memory();
  for (size_t i = 1; i < a.slots.size(); i++) {
    Slot& s = *a.slots[i];
    if (s.phase != Slot::Phase::kWaiting) continue;
    llama_memory_seq_cp(mem, slot.sequence, s.sequence, -1, -1);
    s.nPast = slot.nPast;
    SampleOne(s, row);
  }
}

void Engine::MarkPromptDone(Active& a) {
  a.promptDone = true;
  a.promptEnd = Clock::now();
}

}  // namespace lg::generation
