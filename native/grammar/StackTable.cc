#include "StackTable.h"

#include <algorithm>
#include <string>

namespace lg::grammar {

StackTable::StackTable(const GrammarRules& rules, Limits limits) : rules_(rules), limits_(limits) {
  nodes_.push_back({-1, kEmptyPos});  // kEmpty
}

void StackTable::TooLarge(const char* what, size_t limit) const {
  throw Overflow(code::kInvalidArgument, std::string("grammar: the parser needs more than ") + std::to_string(limit) + " " + what +
                                                   " (the grammar engine's limit): the grammar is too ambiguous or recursive");
}

int32_t StackTable::Intern(int32_t below, uint32_t pos) {
  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(below)) << 32) | pos;
  int32_t id;
  if (nodeIds_.Find(key, id)) return id;
  if (nodes_.size() >= limits_.maxNodes) TooLarge("stack entries", limits_.maxNodes);
  Spend(1);
  id = static_cast<int32_t>(nodes_.size());
  nodes_.push_back({below, pos});
  nodeIds_.Set(key, id);
  return id;
}

int32_t StackTable::Push(int32_t below, uint32_t pos) { return Intern(below, pos); }

int32_t StackTable::Marker(uint32_t rule, uint32_t depth) { return Intern(static_cast<int32_t>(depth), kMarkerBit | rule); }

int32_t StackTable::Pop(int32_t node, uint32_t depth) const {
  for (uint32_t i = 0; i < depth && node > kEmpty; i++) node = nodes_[node].below;
  return node;
}

std::pair<uint32_t, uint32_t> StackTable::Expand(int32_t node) {
  if (static_cast<size_t>(node) < expandBegin_.size() && expandBegin_[node] != UINT32_MAX) return {expandBegin_[node], expandEnd_[node]};
  // llama_grammar_advance_stack, over interned stacks: the seen set is a stamp per node.
  if (++stamp_ == 0) {
    std::fill(seen_.begin(), seen_.end(), 0);
    stamp_ = 1;
  }
  out_.clear();
  todo_.clear();
  todo_.push_back(node);
  while (!todo_.empty()) {
    const int32_t n = todo_.back();
    todo_.pop_back();
    if (seen_.size() < nodes_.size()) seen_.resize(nodes_.size() * 2, 0);
    if (seen_[n] == stamp_) continue;
    seen_[n] = stamp_;
    const Node here = nodes_[n];
    if (n == kEmpty || here.pos == kEscapePos) {
      out_.push_back(n);
      continue;
    }
    if (here.pos & kMarkerBit) {
      // Down to the real stack: what can be below this rule's frame.
      const auto depth = static_cast<uint32_t>(here.below);
      const GrammarRules::Continuation& c = rules_.ContinuationOf(here.pos & ~kMarkerBit);
      if (c.kind == GrammarRules::Continuation::kSingle) {
        todo_.push_back(c.pos == GrammarRules::kBottom ? kEmpty : Push(Marker(rules_.RuleOf(c.pos), depth + 1), c.pos));
      } else if (c.kind == GrammarRules::Continuation::kMany) {
        out_.push_back(Intern(static_cast<int32_t>(depth), kEscapePos));
      }
      continue;
    }
    const llama_grammar_element& e = rules_.at(here.pos);
    if (e.type == LLAMA_GRETYPE_RULE_REF) {
      int32_t base = here.below;
      if (!rules_.IsEnd(here.pos + 1)) base = Push(base, here.pos + 1);
      for (uint32_t alt : rules_.Alternatives(e.value)) todo_.push_back(rules_.IsEnd(alt) ? base : Push(base, alt));
    } else if (rules_.IsChar(here.pos) || rules_.IsToken(here.pos)) {
      out_.push_back(n);
    } else {
      throw LlamaException(code::kInternal, "grammar: a stack is on a character range's inner element");
    }
  }
  std::sort(out_.begin(), out_.end());
  out_.erase(std::unique(out_.begin(), out_.end()), out_.end());
  if (expandBegin_.size() < nodes_.size()) {
    expandBegin_.resize(nodes_.size() * 2, UINT32_MAX);
    expandEnd_.resize(nodes_.size() * 2, UINT32_MAX);
  }
  const auto begin = static_cast<uint32_t>(pool_.size());
  pool_.insert(pool_.end(), out_.begin(), out_.end());
  expandBegin_[node] = begin;
  expandEnd_[node] = static_cast<uint32_t>(pool_.size());
  return {begin, expandEnd_[node]};
}

int32_t StackTable::StateOf(std::vector<int32_t>& stacks) {
  if (stacks.empty()) return kDead;
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  auto found = stateIds_.find(stacks);
  if (found != stateIds_.end()) return found->second;
  if (states_.size() >= limits_.maxStates) TooLarge("parser states", limits_.maxStates);
  if (stateStacks_ + stacks.size() > limits_.maxStateStacks) TooLarge("stacks in parser states", limits_.maxStateStacks);
  Spend(stacks.size());
  stateStacks_ += stacks.size();
  const auto id = static_cast<int32_t>(states_.size());
  State& s = states_.emplace_back();
  s.stacks = stacks;
  for (int32_t n : stacks) {
    if (n == kEmpty) {
      s.empty = true;
    } else if (nodes_[n].pos == kEscapePos) {
      s.escapes.push_back(static_cast<uint32_t>(nodes_[n].below));
    } else if (rules_.IsChar(nodes_[n].pos)) {
      s.chars.push_back(n);
    } else {
      s.tokens.push_back(n);
    }
  }
  for (int32_t n : s.chars) rules_.ClassRanges(nodes_[n].pos, s.ranges);
  std::sort(s.ranges.begin(), s.ranges.end());
  size_t merged = 0;
  for (const auto& r : s.ranges) {
    if (merged > 0 && uint64_t{r.first} <= uint64_t{s.ranges[merged - 1].second} + 1) {
      s.ranges[merged - 1].second = std::max(s.ranges[merged - 1].second, r.second);
    } else {
      s.ranges[merged++] = r;
    }
  }
  s.ranges.resize(merged);
  stateIds_.emplace(stacks, id);
  return id;
}

int32_t StackTable::ComputeNext(int32_t s, uint32_t cp) {
  scratch_.clear();
  for (int32_t n : states_[s].chars) {
    const auto [match, after] = rules_.MatchChar(nodes_[n].pos, cp);
    if (!match) continue;
    const int32_t below = nodes_[n].below;
    const int32_t next = rules_.IsEnd(after) ? below : Push(below, after);
    const auto [begin, end] = Expand(next);
    scratch_.insert(scratch_.end(), pool_.begin() + begin, pool_.begin() + end);
  }
  std::vector<int32_t> stacks;
  stacks.swap(scratch_);
  const int32_t next = StateOf(stacks);
  stacks.swap(scratch_);
  State& state = states_[s];
  if (cp < 128) {
    if (!state.ascii) {
      state.ascii.reset(new int32_t[128]);
      std::fill(state.ascii.get(), state.ascii.get() + 128, kUnknown);
    }
    state.ascii[cp] = next;
  } else {
    other_.Set((static_cast<uint64_t>(s) << 32) | cp, next);
  }
  return next;
}

int32_t StackTable::CharsOf(int32_t s) {
  if (s == kDead) return kDead;
  if (static_cast<size_t>(s) < charsOf_.size() && charsOf_[s] != kUnknown) return charsOf_[s];
  std::vector<int32_t> chars = states_[s].chars;
  const int32_t result = StateOf(chars);
  if (charsOf_.size() <= static_cast<size_t>(s)) charsOf_.resize(states_.size() * 2, kUnknown);
  charsOf_[s] = result;
  return result;
}

size_t StackTable::Bytes() const {
  size_t n = nodes_.size() * sizeof(Node) + nodeIds_.Bytes() + (expandBegin_.size() + expandEnd_.size() + seen_.size()) * sizeof(uint32_t) +
             pool_.size() * sizeof(int32_t) + other_.Bytes() + charsOf_.size() * sizeof(int32_t);
  for (const State& s : states_) {
    n += sizeof(State) + (s.stacks.size() * 2 + s.escapes.size()) * sizeof(int32_t) + (s.ascii ? 128 * sizeof(int32_t) : 0);
    n += s.stacks.size() * sizeof(int32_t) + 32;  // the key in stateIds_
  }
  return n;
}

}  // namespace lg::grammar
