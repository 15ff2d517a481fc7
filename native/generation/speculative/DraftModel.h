// DraftModel: transformers' assisted decoding (AssistedCandidateGenerator,
// 4.47) on llama.cpp: a smaller model with the same tokenizer drafts in its
// own context, on the sequence of the same number as the output's. Each
// Draft() first brings that sequence in line with the output (dropping what
// the target rejected, evaluating what it accepted), then proposes up to
// num_assistant_tokens tokens with its own chain, stopping after an
// end-of-generation token or a token whose probability is below
// assistant_confidence_threshold (ConfidenceCriteria). The draft's chain is
// the output's plan without the stages that keep state (a grammar, llama.cpp
// samplers): any q keeps the output exact, this one only decides how often
// the target agrees.
#pragma once

#include "../../ContextState.h"
#include "../../sampling/Chain.h"
#include "Drafter.h"

#include <memory>

namespace lg::generation::speculative {

// num_assistant_tokens_schedule: constant, or transformers' heuristic (+2
// after a step whose proposals were all kept, -1 down to 1 otherwise).
enum class Schedule { kConstant, kHeuristic };

class DraftModel : public Drafter {
 public:
  // `target`: the generating context, whose CPU thread pools the draft
  // borrows while it drafts (see Draft).
  DraftModel(const ContextState& target, ContextStatePtr draft, llama_seq_id sequence, std::unique_ptr<sampling::Chain> chain,
             int32_t numTokens, Schedule schedule, double confidenceThreshold, std::vector<llama_token> eos);
  ~DraftModel() override;
  DraftModel(const DraftModel&) = delete;
  DraftModel& operator=(const DraftModel&) = delete;

  void Draft(const std::vector<llama_token>& history, int32_t max, std::vector<sampling::Proposal>& out) override;
  void Verified(int32_t drafted, int32_t accepted) override;
  int32_t Limit() const override { return static_cast<int32_t>(limit_); }

  // Throws INVALID_ARGUMENT unless the two vocabularies hold the same tokens
  // (texts and attributes), id for id.
  static void CheckSameVocabulary(const llama_vocab* target, const llama_vocab* draft);

 private:
  // The draft sequence holds `history` and the draft's last logits are its
  // last token's. False when the draft context cannot (full, disposed, busy).
  bool CatchUp(const std::vector<llama_token>& history);
  bool Decode(const llama_token* tokens, size_t count);
  void Forget();

  ContextStatePtr state_;
  // The target's thread pools, when their sizes are the draft's: the two
  // contexts never compute at once, and a second pool spinning after the
  // draft's step takes the cores the target's step needs (2 cores: drafting
  // ran 2x slower than it had to).
  ggml_threadpool* borrowed_ = nullptr;
  ggml_threadpool* borrowedBatch_ = nullptr;
  llama_seq_id sequence_;
  std::unique_ptr<sampling::Chain> chain_;
  double limit_;
  Schedule schedule_;
  double confidenceThreshold_;
  std::vector<llama_token> eos_;
  llama_batch batch_;
  std::vector<llama_token> cached_;  // what the draft sequence holds from position 0
  int32_t lastRow_ = -1;             // the batch row of the last decoded token
  bool started_ = false;             // the sequence was cleared for this request
};

}  // namespace lg::generation::speculative
