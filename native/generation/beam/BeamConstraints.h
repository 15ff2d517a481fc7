// BeamConstraints: transformers' constraint classes of constrained beam
// search (generation/beam_constraints.py), ported with their exact
// behaviour, quirks included: a token that breaks a phrase in progress is
// not looked at again, a broken constraint goes to the end of the pending
// list, and a disjunctive constraint's stateful copies share one token list
// (what one copy appends, the others see), which decides the "bank" of
// some candidates in ConstrainedStep.
#pragma once

#include "BeamConfig.h"

#include <memory>
#include <optional>
#include <vector>

namespace lg::generation::beam {

// PhrasalConstraint or DisjunctiveConstraint.
class Constraint {
 public:
  explicit Constraint(const ConstraintSpec& spec);

  // The tokens that would make progress (empty: none).
  std::vector<llama_token> Advance() const;
  bool DoesAdvance(llama_token token) const;
  struct Progress {
    bool stepped = false;
    bool completed = false;
    bool reset = false;
  };
  Progress Update(llama_token token);
  void Reset();
  int32_t Remaining() const;
  // A new constraint; `stateful` keeps the progress (sharing the token list of a disjunction).
  Constraint Copy(bool stateful) const;
  int32_t seqlen() const { return seqlen_; }

 private:
  struct Trie {
    // children[node]: (token, child node) in insertion order, as a Python dict keeps them.
    std::vector<std::vector<std::pair<llama_token, int32_t>>> children;
    std::vector<llama_token> Next(const std::vector<llama_token>& path) const;
  };
  Constraint() = default;

  bool disjunctive_ = false;
  std::shared_ptr<const std::vector<llama_token>> phrase_;
  std::shared_ptr<const Trie> trie_;
  int32_t seqlen_ = 0;
  bool completed_ = false;
  int32_t fulfilled_ = -1;                                 // phrase: index of the last fulfilled token
  std::shared_ptr<std::vector<llama_token>> current_;      // disjunction: the path so far
};

// ConstraintListState: progress through every constraint of a request.
class ConstraintListState {
 public:
  explicit ConstraintListState(std::shared_ptr<const std::vector<Constraint>> constraints);

  // Constraint tokens satisfied so far, as transformers ranks candidates.
  int32_t Bank() const;
  std::vector<llama_token> Advance() const;
  // From scratch over `tokens` (prompt included), stopping once all are fulfilled.
  void Reset(const std::vector<llama_token>& tokens);
  void Add(llama_token token);
  ConstraintListState Copy(bool stateful) const;
  bool completed() const { return completed_; }

 private:
  void InitState();

  std::shared_ptr<const std::vector<Constraint>> constraints_;
  int32_t maxSeqlen_ = 0;
  std::vector<Constraint> complete_;
  std::optional<Constraint> inProgress_;
  std::vector<Constraint> pending_;
  bool completed_ = false;
};

// The fresh constraints of `specs` (validated: non-empty words, no word a prefix of another).
std::shared_ptr<const std::vector<Constraint>> MakeConstraints(const std::vector<ConstraintSpec>& specs);
// Whether `tokens` (prompt included) fulfil every constraint.
bool Fulfils(const std::shared_ptr<const std::vector<Constraint>>& constraints, const std::vector<llama_token>& tokens);

}  // namespace lg::generation::beam
