#include "DraftModel.h"

#include <algorithm>
#include <cstring>

namespace lg::generation::speculative {

DraftModel::DraftModel(const ContextState& target, ContextStatePtr draft, llama_seq_id sequence, std::unique_ptr<sampling::Chain> chain,
                       int32_t numTokens, Schedule schedule, double confidenceThreshold, std::vector<llama_token> eos)
    : state_(std::move(draft)),
      sequence_(sequence),
      chain_(std::move(chain)),
      limit_(numTokens),
      schedule_(schedule),
      confidenceThreshold_(confidenceThreshold),
      eos_(std::move(eos)),
      batch_(llama_batch_init(static_cast<int32_t>(state_->nBatch), 0, 1)) {
  llama_context* t = target.ctx.get();
  llama_context* d = state_->ctx.get();
  if (target.threadPools && t != nullptr && d != nullptr && llama_n_threads(t) == llama_n_threads(d) &&
      llama_n_threads_batch(t) == llama_n_threads_batch(d)) {
    borrowed_ = target.threadPools->generation();
    borrowedBatch_ = target.threadPools->batch();
  }
}

DraftModel::~DraftModel() { llama_batch_free(batch_); }

void DraftModel::CheckSameVocabulary(const llama_vocab* target, const llama_vocab* draft) {
  const int32_t n = llama_vocab_n_tokens(target);
  if (llama_vocab_n_tokens(draft) != n || llama_vocab_type(draft) != llama_vocab_type(target)) {
    throw LlamaException(code::kInvalidArgument, "assistant_model must share the model's tokenizer: its vocabulary has " +
                                                     std::to_string(llama_vocab_n_tokens(draft)) + " tokens, the model's " + std::to_string(n));
  }
  for (llama_token id = 0; id < n; id++) {
    const char* a = llama_vocab_get_text(target, id);
    const char* b = llama_vocab_get_text(draft, id);
    if (std::strcmp(a != nullptr ? a : "", b != nullptr ? b : "") != 0 || llama_vocab_get_attr(target, id) != llama_vocab_get_attr(draft, id)) {
      throw LlamaException(code::kInvalidArgument,
                           "assistant_model must share the model's tokenizer: token " + std::to_string(id) + " differs");
    }
  }
}

void DraftModel::Forget() {
  if (state_->ctx) llama_memory_seq_rm(state_->Memory(), sequence_, -1, -1);
  cached_.clear();
  lastRow_ = -1;
}

bool DraftModel::Decode(const llama_token* tokens, size_t count) {
  const auto capacity = static_cast<size_t>(state_->nBatch);
  for (size_t done = 0; done < count;) {
    const size_t take = std::min(capacity, count - done);
    batch_.n_tokens = 0;
    for (size_t k = 0; k < take; k++) {
      const int32_t i = batch_.n_tokens++;
      batch_.token[i] = tokens[done + k];
      batch_.pos[i] = static_cast<llama_pos>(cached_.size() + k);
      batch_.n_seq_id[i] = 1;
      batch_.seq_id[i][0] = sequence_;
      batch_.logits[i] = done + k + 1 == count;
    }
    if (llama_decode(state_->ctx.get(), batch_) != 0) {
      Forget();
      return false;
    }
    cached_.insert(cached_.end(), tokens + done, tokens + done + take);
    lastRow_ = static_cast<int32_t>(take) - 1;
    done += take;
  }
  return true;
}

bool DraftModel::CatchUp(const std::vector<llama_token>& history) {
  if (!state_->ctx || history.empty() || history.size() >= state_->nCtxSeq) return false;
  if (!started_) {  // the sequence may hold an earlier request's tokens
    Forget();
    started_ = true;
  }
  // Keep the common prefix, but evaluate the last token again for its logits.
  size_t keep = std::mismatch(cached_.begin(), cached_.end(), history.begin(), history.end()).first - cached_.begin();
  keep = std::min(keep, history.size() - 1);
  if (keep < cached_.size()) {
    if (!llama_memory_seq_rm(state_->Memory(), sequence_, static_cast<llama_pos>(keep), -1)) {
      Forget();
      keep = 0;
    }
    cached_.resize(keep);
  }
  return Decode(history.data() + keep, history.size() - keep);
}

void DraftModel::Draft(const std::vector<llama_token>& history, int32_t max, std::vector<sampling::Proposal>& out) {
  std::unique_lock<std::mutex> lock(state_->mutex, std::try_to_lock);
  if (!lock.owns_lock() || !state_->ctx) return;  // the draft context is busy: plain decoding this step
  // Compute on the target's pools while drafting, then give the draft its own back.
  struct Borrow {
    ContextState& s;
    bool on;
    ~Borrow() {
      if (on && s.ctx && s.threadPools) llama_attach_threadpool(s.ctx.get(), s.threadPools->generation(), s.threadPools->batch());
    }
  } borrow{*state_, borrowed_ != nullptr};
  if (borrow.on) llama_attach_threadpool(state_->ctx.get(), borrowed_, borrowedBatch_);
  max = std::min(max, Limit());
  if (max <= 0 || !CatchUp(history)) return;
  max = std::min<int32_t>(max, static_cast<int32_t>(state_->nCtxSeq - history.size()));
  // The draft chain's history follows the output's (its stages keep no other state).
  const auto& ids = chain_->history().ids;
  const size_t same = std::mismatch(ids.begin(), ids.end(), history.begin(), history.end()).first - ids.begin();
  chain_->Rewind(same);
  for (size_t i = chain_->history().ids.size(); i < history.size(); i++) chain_->Accept(history[i]);

  const auto n = static_cast<size_t>(state_->nVocab);
  sampling::Scores scores;
  for (int32_t k = 0; k < max; k++) {
    const float* row = llama_get_logits_ith(state_->ctx.get(), lastRow_);
    if (row == nullptr) return;
    scores.assign(row, row + n);
    sampling::Proposal proposal;
    double confidence = 1.0;
    const llama_token token = chain_->Propose(scores, proposal, confidence);
    out.push_back(std::move(proposal));
    if (std::find(eos_.begin(), eos_.end(), token) != eos_.end() || confidence < confidenceThreshold_) return;
    if (k + 1 == max) return;  // the last proposal is evaluated by the next catch-up, if kept
    chain_->Accept(token);
    if (!Decode(&token, 1)) return;
  }
}

void DraftModel::Verified(int32_t /*drafted*/, int32_t accepted) {
  if (schedule_ != Schedule::kHeuristic) return;
  // transformers: all of num_assistant_tokens kept -> +2, else -1 (at least 1).
  if (accepted == static_cast<int32_t>(limit_)) limit_ += 2.0;
  else limit_ = std::max(1.0, limit_ - 1.0);
}

}  // namespace lg::generation::speculative
