#include "Slot.h"

#include "../Tokenizer.h"
#include "Utf8.h"

#include <algorithm>

namespace lg::generation {

Slot::Slot(Job& j, int32_t i, const llama_vocab* vocab)
    : job(j),
      index(i),
      sequence(j.request.outputs[static_cast<size_t>(i)].sequence),
      chain(*j.request.outputs[static_cast<size_t>(i)].chain),
      drafter(j.request.outputs[static_cast<size_t>(i)].drafter.get()),
      vocab_(vocab) {
  held_.index = i;
}

bool Slot::Add(llama_token token, TokenLogprob* logprob, std::vector<float>* scores, std::vector<float>* logits) {
  const Request& r = job.request;
  generated_.push_back(token);
  held_.tokens.push_back(token);
  if (logprob != nullptr) held_.logprobs.push_back(std::move(*logprob));
  if (scores != nullptr) held_.scores.push_back(std::move(*scores));
  if (logits != nullptr) held_.logits.push_back(std::move(*logits));

  const size_t before = text_.size();
  text_ += tokenizer::Piece(vocab_, token, r.special);
  for (const std::string& stop : r.stopStrings) {
    // Only a match that ends in the new bytes is new.
    const size_t from = before >= stop.size() ? before - stop.size() + 1 : 0;
    const size_t at = text_.find(stop, from);
    if (at != std::string::npos && at < stopAt_) {
      stopAt_ = at;
      stopString_ = stop;
    }
  }
  if (stopAt_ != std::string::npos) {
    Finish("stop_string");
    return true;
  }
  if (static_cast<int32_t>(generated_.size()) >= r.maxNewTokens) {
    Finish("length");
    return true;
  }
  MaybeFlush();
  return false;
}

size_t Slot::StopStringHold() const {
  if (job.request.includeStopString) return 0;
  const size_t open = text_.size() - emittedBytes_;
  size_t hold = 0;
  for (const std::string& stop : job.request.stopStrings) {
    for (size_t k = std::min(stop.size() - 1, open); k > hold; k--) {
      if (text_.compare(text_.size() - k, k, stop, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

void Slot::MaybeFlush() {
  if (CompleteUtf8Prefix(text_) != text_.size() || StopStringHold() > 0) return;
  Flush(text_.size());
}

void Slot::Flush(size_t textEnd) {
  if (held_.tokens.empty() && textEnd <= emittedBytes_) return;
  Chunk chunk = std::move(held_);
  held_ = Chunk();
  held_.index = index;
  if (textEnd > emittedBytes_) chunk.text = text_.substr(emittedBytes_, textEnd - emittedBytes_);
  emittedBytes_ = std::max(emittedBytes_, textEnd);
  job.Push(std::move(chunk));
}

void Slot::Finish(const char* reason) {
  if (phase == Phase::kDone) return;
  const bool cut = stopAt_ != std::string::npos && !job.request.includeStopString;
  Flush(cut ? stopAt_ : text_.size());
  OutputEnd end;
  end.index = index;
  end.finishReason = reason;
  end.stopString = stopString_;
  end.cachedTokens = cacheValid ? nPast : -1;
  if (drafter != nullptr) {
    end.speculative = speculation;
    end.speculative->limit = drafter->Limit();
  }
  job.PushEnd(std::move(end));
  phase = Phase::kDone;
}

}  // namespace lg::generation
