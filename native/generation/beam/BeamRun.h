// BeamRun: a beam search inside the engine. The job's sequences are its
// lanes (one Slot each, with the sequence's KV cache and a sampler chain
// whose stages are log-softmax then transformers' processors). Every step
// the engine decodes each running beam's last token on its lane, in the one
// batch of the step; Advance() then runs the chains, one search step, and
// moves lanes to follow the beams: a beam continuing a lane's beam keeps the
// lane (its cache, its chain), any other child gets a free lane with a copy
// of its parent's cache (llama_memory_seq_cp: with the unified KV cache the
// copy shares the cells; measured 0.36 ms for 1,024 tokens against 1.4 s to
// evaluate them again on the 100M model, BENCHMARKS.md) and its chain
// replayed over its tokens. Nothing is
// streamed before the end: then the returned hypotheses, best first, go out
// as outputs 0..num_return_sequences-1, each with its score.
#pragma once

#include "../Slot.h"
#include "BeamSearch.h"

#include <llama.h>

#include <memory>
#include <vector>

namespace lg::generation::beam {

class BeamRun {
 public:
  // `lanes`: one Slot per sequence of the job, lanes[0] evaluates the prompt.
  BeamRun(Job& job, std::vector<Slot*> lanes, llama_memory_t memory, const llama_vocab* vocab, size_t vocabSize);

  // The lanes to decode this step: those of the running beams (none before the prompt is done).
  const std::vector<Slot*>& live() const { return live_; }
  // Records the logits a lane got from this step's decode.
  void SetRow(const Slot& lane, const float* row);
  // After the decode: one search step over the rows set, then lanes follow the
  // beams, or, when the search is over, the hypotheses are handed out.
  void Advance();
  // Ends the search now (abort, max_time, no room left): the running beams
  // compete as they do at max_new_tokens; `reason` is their finish reason.
  void Stop(const char* reason);
  // The job failed: lanes end without output.
  void Close();
  bool done() const { return done_; }

 private:
  void Reassign();
  void Finish(const char* reason);
  std::vector<float> Process(Slot& lane, int32_t group);

  Job& job_;
  std::vector<Slot*> lanes_;
  llama_memory_t memory_;
  const llama_vocab* vocab_;
  size_t vocabSize_;
  BeamSearch search_;
  std::vector<size_t> laneOf_;        // beam -> lane index
  std::vector<const float*> rows_;    // lane index -> logits of this step
  std::vector<Slot*> live_;
  bool done_ = false;
};

}  // namespace lg::generation::beam
