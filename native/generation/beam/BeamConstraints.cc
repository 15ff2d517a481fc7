#include "BeamConstraints.h"

#include "../../Errors.h"

#include <algorithm>

namespace lg::generation::beam {

std::vector<llama_token> Constraint::Trie::Next(const std::vector<llama_token>& path) const {
  int32_t node = 0;
  for (llama_token t : path) {
    const auto& kids = children[static_cast<size_t>(node)];
    auto it = std::find_if(kids.begin(), kids.end(), [t](const auto& kid) { return kid.first == t; });
    if (it == kids.end()) return {};
    node = it->second;
  }
  std::vector<llama_token> out;
  for (const auto& kid : children[static_cast<size_t>(node)]) out.push_back(kid.first);
  return out;
}

Constraint::Constraint(const ConstraintSpec& spec) : disjunctive_(spec.disjunctive) {
  if (spec.words.empty()) throw LlamaException(code::kInvalidArgument, "force_words_ids: a constraint needs at least one word");
  for (const auto& word : spec.words)
    if (word.empty()) throw LlamaException(code::kInvalidArgument, "force_words_ids: a word needs at least one token");
  if (!disjunctive_) {
    phrase_ = std::make_shared<const std::vector<llama_token>>(spec.words[0]);
    seqlen_ = static_cast<int32_t>(phrase_->size());
    return;
  }
  auto trie = std::make_shared<Trie>();
  trie->children.emplace_back();
  size_t leaves = 0;
  for (const auto& word : spec.words) {
    int32_t node = 0;
    for (llama_token t : word) {
      auto& kids = trie->children[static_cast<size_t>(node)];
      auto it = std::find_if(kids.begin(), kids.end(), [t](const auto& kid) { return kid.first == t; });
      if (it != kids.end()) {
        node = it->second;
        continue;
      }
      const auto child = static_cast<int32_t>(trie->children.size());
      kids.emplace_back(t, child);
      trie->children.emplace_back();
      node = child;
    }
    seqlen_ = std::max(seqlen_, static_cast<int32_t>(word.size()));
  }
  for (const auto& kids : trie->children) leaves += kids.empty() ? 1 : 0;
  if (leaves != spec.words.size()) {
    throw LlamaException(code::kInvalidArgument, "force_words_ids: a word of a disjunctive constraint must not be a prefix of another");
  }
  trie_ = std::move(trie);
  current_ = std::make_shared<std::vector<llama_token>>();
}

std::vector<llama_token> Constraint::Advance() const {
  if (disjunctive_) return trie_->Next(*current_);
  const auto next = static_cast<size_t>(fulfilled_ + 1);
  if (completed_ || next >= phrase_->size()) return {};
  return {(*phrase_)[next]};
}

bool Constraint::DoesAdvance(llama_token token) const {
  if (disjunctive_) {
    const std::vector<llama_token> next = trie_->Next(*current_);
    return std::find(next.begin(), next.end(), token) != next.end();
  }
  const auto next = static_cast<size_t>(fulfilled_ + 1);
  return !completed_ && next < phrase_->size() && (*phrase_)[next] == token;
}

Constraint::Progress Constraint::Update(llama_token token) {
  Progress p;
  if (disjunctive_) {
    if (DoesAdvance(token)) {
      current_->push_back(token);  // seen by every stateful copy sharing the list
      p.stepped = true;
    } else {
      p.reset = true;
      Reset();
    }
    p.completed = trie_->Next(*current_).empty();
    completed_ = p.completed;
    return p;
  }
  if (DoesAdvance(token)) {
    fulfilled_++;
    p.stepped = true;
    p.completed = fulfilled_ == seqlen_ - 1;
    completed_ = p.completed;
  } else {
    p.reset = true;
    Reset();
  }
  return p;
}

void Constraint::Reset() {
  completed_ = false;
  if (disjunctive_) {
    current_ = std::make_shared<std::vector<llama_token>>();
  } else {
    fulfilled_ = 0;  // sic (transformers resets a phrase to 0, not -1; a reset phrase is never used again)
  }
}

int32_t Constraint::Remaining() const {
  if (disjunctive_) return completed_ ? 0 : seqlen_ - static_cast<int32_t>(current_->size());
  return seqlen_ - (fulfilled_ + 1);
}

Constraint Constraint::Copy(bool stateful) const {
  Constraint c;
  c.disjunctive_ = disjunctive_;
  c.phrase_ = phrase_;
  c.trie_ = trie_;
  c.seqlen_ = seqlen_;
  if (disjunctive_) c.current_ = stateful ? current_ : std::make_shared<std::vector<llama_token>>();
  if (stateful) {
    c.completed_ = completed_;
    c.fulfilled_ = fulfilled_;
  }
  return c;
}

ConstraintListState::ConstraintListState(std::shared_ptr<const std::vector<Constraint>> constraints)
    : constraints_(std::move(constraints)) {
  for (const Constraint& c : *constraints_) maxSeqlen_ = std::max(maxSeqlen_, c.seqlen());
  InitState();
}

void ConstraintListState::InitState() {
  complete_.clear();
  inProgress_.reset();
  pending_.clear();
  for (const Constraint& c : *constraints_) pending_.push_back(c.Copy(false));
}

int32_t ConstraintListState::Bank() const {
  const int32_t extra = inProgress_ ? maxSeqlen_ - inProgress_->Remaining() : 0;
  return static_cast<int32_t>(complete_.size()) * maxSeqlen_ + extra;
}

std::vector<llama_token> ConstraintListState::Advance() const {
  if (inProgress_) return inProgress_->Advance();
  std::vector<llama_token> out;
  for (const Constraint& c : pending_) {
    std::vector<llama_token> a = c.Advance();
    out.insert(out.end(), a.begin(), a.end());
  }
  return out;
}

void ConstraintListState::Reset(const std::vector<llama_token>& tokens) {
  InitState();
  for (llama_token t : tokens) {
    Add(t);
    if (completed_) break;
  }
}

void ConstraintListState::Add(llama_token token) {
  if (completed_) return;
  if (inProgress_) {
    const Constraint::Progress p = inProgress_->Update(token);
    if (p.reset) {
      // Back to the end of the pending list, fresh; the token is not looked at again.
      pending_.push_back(inProgress_->Copy(false));
      inProgress_.reset();
    }
    if (p.completed) {
      complete_.push_back(*inProgress_);
      inProgress_.reset();
      if (pending_.empty()) completed_ = true;
    }
    return;
  }
  for (size_t i = 0; i < pending_.size(); i++) {
    if (!pending_[i].DoesAdvance(token)) continue;
    Constraint c = pending_[i];
    const Constraint::Progress p = c.Update(token);
    if (p.completed) complete_.push_back(c);
    if (!p.completed && p.stepped) inProgress_ = c;
    if (p.completed || p.stepped) {
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
      if (pending_.empty() && !inProgress_) completed_ = true;
    }
    break;  // one constraint per token
  }
}

ConstraintListState ConstraintListState::Copy(bool stateful) const {
  ConstraintListState s(constraints_);
  if (stateful) {
    s.complete_.clear();
    for (const Constraint& c : complete_) s.complete_.push_back(c.Copy(true));
    if (inProgress_) s.inProgress_ = inProgress_->Copy(true);
    s.pending_.clear();
    for (const Constraint& c : pending_) s.pending_.push_back(c.Copy(false));
  }
  return s;
}

std::shared_ptr<const std::vector<Constraint>> MakeConstraints(const std::vector<ConstraintSpec>& specs) {
  auto out = std::make_shared<std::vector<Constraint>>();
  for (const ConstraintSpec& spec : specs) out->emplace_back(spec);
  return out;
}

bool Fulfils(const std::shared_ptr<const std::vector<Constraint>>& constraints, const std::vector<llama_token>& tokens) {
  ConstraintListState state(constraints);
  state.Reset(tokens);
  return state.completed();
}

}  // namespace lg::generation::beam
