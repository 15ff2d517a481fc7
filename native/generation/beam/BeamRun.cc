#include "BeamRun.h"

#include "../../Tokenizer.h"

#include <algorithm>
#include <deque>
#include <map>

namespace lg::generation::beam {

BeamRun::BeamRun(Job& job, std::vector<Slot*> lanes, llama_memory_t memory, const llama_vocab* vocab, size_t vocabSize)
    : job_(job),
      lanes_(std::move(lanes)),
      memory_(memory),
      vocab_(vocab),
      vocabSize_(vocabSize),
      search_(*job.request.beam, job.request.prompt, job.request.eos, job.request.maxNewTokens, vocabSize),
      laneOf_(static_cast<size_t>(job.request.beam->numBeams), 0),  // every beam starts as the prompt, on lane 0
      rows_(lanes_.size(), nullptr) {}

void BeamRun::SetRow(const Slot& lane, const float* row) { rows_[static_cast<size_t>(lane.index)] = row; }

// log-softmax and the processors of one lane, for a beam of `group`.
std::vector<float> BeamRun::Process(Slot& lane, int32_t group) {
  const float* row = rows_[static_cast<size_t>(lane.index)];
  if (row == nullptr) throw LlamaException(code::kInternal, "beam search: a running beam got no logits");
  if (search_.config().groups > 1) lane.chain.SetEarlierGroupTokens(search_.EarlierGroupTokens(group));
  std::vector<float> scores(row, row + vocabSize_);
  lane.chain.Apply(scores, 0, lane.chain.size());
  return scores;
}

void BeamRun::Advance() {
  if (done_) return;
  const int32_t gs = search_.groupSize();
  for (int32_t g = 0; g < search_.config().groups; g++) {
    if (search_.GroupDone(g)) continue;
    std::map<size_t, std::vector<float>> processed;  // by lane: beams on one lane (the first step) share it
    std::vector<const float*> rows;
    for (int32_t j = 0; j < gs; j++) {
      const size_t lane = laneOf_[static_cast<size_t>(g * gs + j)];
      auto it = processed.find(lane);
      if (it == processed.end()) it = processed.emplace(lane, Process(*lanes_[lane], g)).first;
      rows.push_back(it->second.data());
    }
    search_.StepGroup(g, rows);
  }
  std::fill(rows_.begin(), rows_.end(), nullptr);
  if (search_.EndStep()) {
    Finish("length");
    return;
  }
  Reassign();
}

void BeamRun::Reassign() {
  const int32_t gs = search_.groupSize();
  const std::vector<Choice>& choices = search_.choices();
  const std::vector<Beam>& beams = search_.beams();
  const size_t n = laneOf_.size();
  std::vector<size_t> next(n, 0);
  std::vector<bool> live(n, false);
  std::vector<bool> inherits(n, false);
  std::vector<bool> taken(lanes_.size(), false);
  for (size_t b = 0; b < n; b++) live[b] = !search_.GroupDone(static_cast<int32_t>(b) / gs);
  // A beam continuing a lane's beam keeps the lane (the first such beam does).
  for (size_t b = 0; b < n; b++) {
    if (!live[b]) continue;
    const size_t parentLane = laneOf_[static_cast<size_t>(choices[b].parent)];
    if (taken[parentLane]) continue;
    taken[parentLane] = true;
    next[b] = parentLane;
    inherits[b] = true;
  }
  std::deque<size_t> free;
  for (size_t lane = 0; lane < lanes_.size(); lane++)
    if (!taken[lane]) free.push_back(lane);
  // The others take a free lane: a copy of the parent's cache, the chain replayed.
  for (size_t b = 0; b < n; b++) {
    if (!live[b] || inherits[b]) continue;
    const size_t lane = free.front();
    free.pop_front();
    Slot& to = *lanes_[lane];
    const Slot& from = *lanes_[laneOf_[static_cast<size_t>(choices[b].parent)]];
    llama_memory_seq_rm(memory_, to.sequence, -1, -1);
    llama_memory_seq_cp(memory_, from.sequence, to.sequence, -1, -1);
    to.nPast = from.nPast;
    to.chain.Reset();
    for (llama_token t : beams[b].tokens) to.chain.Accept(t);
    next[b] = lane;
  }
  for (size_t b = 0; b < n; b++)
    if (live[b] && inherits[b]) lanes_[next[b]]->chain.Accept(choices[b].token);
  // Lanes left without a beam: their cells are freed.
  for (size_t lane : free) {
    llama_memory_seq_rm(memory_, lanes_[lane]->sequence, -1, -1);
    lanes_[lane]->nPast = 0;
    lanes_[lane]->phase = Slot::Phase::kWaiting;
  }
  live_.clear();
  for (size_t b = 0; b < n; b++) {
    if (!live[b]) continue;
    Slot& lane = *lanes_[next[b]];
    lane.next = choices[b].token;
    lane.phase = Slot::Phase::kGenerate;
    lane.cacheValid = false;
    live_.push_back(&lane);
  }
  laneOf_ = std::move(next);
}

void BeamRun::Stop(const char* reason) {
  if (!done_) Finish(reason);
}

void BeamRun::Finish(const char* reason) {
  done_ = true;
  live_.clear();
  const std::vector<Hypothesis> hypotheses = search_.step() > 0 ? search_.Finalize() : std::vector<Hypothesis>();
  const auto promptLength = static_cast<llama_pos>(job_.request.prompt.size());
  for (int32_t i = 0; i < search_.config().numReturn; i++) {
    OutputEnd end;
    end.index = i;
    end.finishReason = reason;
    // Every lane holding a beam starts with the prompt: keep just that, so the
    // next generate() with this prompt reuses it. An empty lane holds nothing.
    Slot& lane = *lanes_[static_cast<size_t>(i)];
    if (lane.nPast >= promptLength && llama_memory_seq_rm(memory_, lane.sequence, promptLength, -1)) {
      end.cachedTokens = promptLength;
    } else {
      end.cachedTokens = llama_memory_seq_rm(memory_, lane.sequence, -1, -1) ? 0 : -1;
    }
    if (static_cast<size_t>(i) < hypotheses.size()) {
      const Hypothesis& h = hypotheses[static_cast<size_t>(i)];
      Chunk chunk;
      chunk.index = i;
      chunk.tokens = h.tokens;
      for (llama_token t : h.tokens) chunk.text += tokenizer::Piece(vocab_, t, job_.request.special);
      if (!chunk.tokens.empty()) job_.Push(std::move(chunk));
      if (h.eos >= 0) end.finishReason = "eos";
      end.score = static_cast<float>(h.score);
    }
    job_.PushEnd(std::move(end));
  }
  Close();
}

void BeamRun::Close() {
  done_ = true;
  live_.clear();
  for (Slot* lane : lanes_) lane->phase = Slot::Phase::kDone;
}

}  // namespace lg::generation::beam
