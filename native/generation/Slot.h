// Slot: one output sequence of a Job while the engine runs it: where it is
// (waiting for the shared prompt, evaluating, generating), what it has made,
// and the text it has not yet handed out (an unfinished UTF-8 character, or
// the start of a stop string that may be cut).
#pragma once

#include "Job.h"

#include <llama.h>

#include <memory>
#include <string>
#include <vector>

namespace lg::generation {

class Slot {
 public:
  enum class Phase { kWaiting, kPrompt, kGenerate, kDone };

  Slot(Job& job, int32_t index, const llama_vocab* vocab);

  Job& job;
  const int32_t index;
  const llama_seq_id sequence;
  sampling::Chain& chain;

  Phase phase = Phase::kWaiting;
  std::vector<llama_token> toEvaluate;  // kPrompt: tokens to evaluate from position nPast
  size_t evaluated = 0;
  llama_pos nPast = 0;                  // positions held by the sequence
  llama_token next = -1;                // kGenerate: the sampled token to evaluate next
  bool cacheValid = true;               // the sequence holds prompt + generated from position 0

  // The current step (set while building a batch, for sampling and rollback).
  int32_t batchIndex = -1;
  llama_pos stepStart = 0;
  size_t stepTook = 0;

  // Speculative decoding: the output's drafter (or null), this step's
  // proposals (verified after the decode, rows batchIndex + 0..n) and totals.
  speculative::Drafter* const drafter;
  std::vector<sampling::Proposal> drafts;
  speculative::Stats speculation;

  // The processed scores of the step being sampled (kept between steps so
  // that sampling does not allocate a vocabulary-sized buffer per token).
  sampling::Scores scores;

  const std::vector<llama_token>& generated() const { return generated_; }

  // Adds a sampled token (not EOS) with its optional extras. Returns true when
  // the output is finished (stop string, max_new_tokens).
  bool Add(llama_token token, TokenLogprob* logprob, std::vector<float>* scores, std::vector<float>* logits);
  // Ends the output: hands out the held text (cut at the stop string when so
  // asked) and reports why it ended.
  void Finish(const char* reason);
  bool done() const { return phase == Phase::kDone; }

 private:
  // Hands out the held tokens when their text can go out whole.
  void MaybeFlush();
  void Flush(size_t textEnd);
  size_t StopStringHold() const;

  const llama_vocab* vocab_;
  std::vector<llama_token> generated_;
  std::string text_;        // the generated text's bytes
  size_t emittedBytes_ = 0;
  Chunk held_;              // tokens (and their extras) not handed out yet
  std::string stopString_;
  size_t stopAt_ = std::string::npos;
};

}  // namespace lg::generation
