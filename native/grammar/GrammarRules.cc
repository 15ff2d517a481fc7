#include "GrammarRules.h"

#include "RuleUnfolding.h"
#include "Utf8.h"

#include "../Errors.h"

#include <algorithm>
#include <deque>

namespace lg::grammar {
namespace {

[[noreturn]] void Invalid(const std::string& message) { throw LlamaException(code::kInvalidArgument, message); }

using Continuation = GrammarRules::Continuation;

Continuation Join(Continuation a, Continuation b) {
  if (b.kind == Continuation::kNone) return a;
  if (a.kind == Continuation::kNone) return b;
  if (a.kind == Continuation::kMany || b.kind == Continuation::kMany || a.pos != b.pos) return {Continuation::kMany, 0};
  return a;
}

bool operator!=(Continuation a, Continuation b) { return a.kind != b.kind || a.pos != b.pos; }

bool IsEndOfSequence(const llama_grammar_element& e) { return e.type == LLAMA_GRETYPE_END || e.type == LLAMA_GRETYPE_ALT; }

// llama_grammar_detect_left_recursion (src/llama-grammar.cpp, static there), as it is:
// "may be empty" is an empty alternative, not nullability in general.
bool DetectLeftRecursion(const llama_grammar_rules& rules, size_t index, std::vector<bool>& visited, std::vector<bool>& inProgress,
                         std::vector<bool>& mayBeEmpty) {
  if (inProgress[index]) return true;
  inProgress[index] = true;
  const llama_grammar_rule& rule = rules[index];
  bool atRuleStart = true;
  for (size_t i = 0; i < rule.size(); i++) {
    if (IsEndOfSequence(rule[i])) {
      if (atRuleStart) {
        mayBeEmpty[index] = true;
        break;
      }
      atRuleStart = true;
    } else {
      atRuleStart = false;
    }
  }
  bool recurse = true;
  for (size_t i = 0; i < rule.size(); i++) {
    if (rule[i].type == LLAMA_GRETYPE_RULE_REF && recurse) {
      if (DetectLeftRecursion(rules, rule[i].value, visited, inProgress, mayBeEmpty)) return true;
      if (!mayBeEmpty[rule[i].value]) recurse = false;
    } else if (IsEndOfSequence(rule[i])) {
      recurse = true;
    } else {
      recurse = false;
    }
  }
  inProgress[index] = false;
  visited[index] = true;
  return false;
}

bool DetectsLeftRecursion(const llama_grammar_rules& rules) {
  std::vector<bool> visited(rules.size()), inProgress(rules.size()), mayBeEmpty(rules.size());
  for (size_t i = 0; i < rules.size(); i++) {
    if (visited[i]) continue;
    if (DetectLeftRecursion(rules, i, visited, inProgress, mayBeEmpty)) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<const GrammarRules> GrammarRules::Parse(const llama_vocab* vocab, const std::string& text, const std::string& root) {
  llama_grammar_parser parser(vocab);
  if (!parser.parse(text.c_str()) || parser.rules.empty()) Invalid("grammar: llama.cpp could not parse the grammar");
  auto symbol = parser.symbol_ids.find(root);
  if (symbol == parser.symbol_ids.end()) Invalid("grammar: llama.cpp could not parse the grammar (no '" + root + "' rule)");
  std::vector<const llama_grammar_element*> rules = parser.c_rules();
  // llama_grammar_init_impl's check, without its first expansion of the
  // stacks (which never ends on a left recursion the check misses: the
  // engine's expansion stops at its limits instead).
  if (DetectsLeftRecursion(parser.rules)) Invalid("grammar: llama.cpp could not parse the grammar (left recursion)");

  std::shared_ptr<GrammarRules> g(new GrammarRules());
  // llama.cpp's rules as llama_grammar_init_impl copies them (each up to its END)...
  size_t total = 0;
  for (const llama_grammar_element* rule : rules) {
    llama_grammar_rule copy;
    for (const llama_grammar_element* e = rule; e->type != LLAMA_GRETYPE_END; e++) copy.push_back(*e);
    copy.push_back({LLAMA_GRETYPE_END, 0});
    total += copy.size();
    g->llamaRules_.push_back(std::move(copy));
  }
  // ...and the engine's: the same, each rule outside a recursion copied per reference.
  UnfoldedRules unfolded = Unfold(g->llamaRules_, symbol->second, std::min<size_t>(std::max<size_t>(8 * total, size_t{1} << 16), size_t{1} << 22));
  g->ruleOrigin_ = std::move(unfolded.origin);
  for (size_t r = 0; r < unfolded.rules.size(); r++) {
    g->ruleStart_.push_back(static_cast<uint32_t>(g->elems_.size()));
    g->elems_.insert(g->elems_.end(), unfolded.rules[r].begin(), unfolded.rules[r].end());
    g->ruleOf_.resize(g->elems_.size(), static_cast<uint32_t>(r));
  }
  if (g->elems_.size() >= (1u << 31)) Invalid("grammar: more than 2^31 elements");
  g->root_ = symbol->second;
  g->Derive();
  return g;
}

void GrammarRules::Derive() {
  const size_t nRules = ruleStart_.size();
  auto ruleEnd = [&](uint32_t r) { return r + 1 < nRules ? ruleStart_[r + 1] : static_cast<uint32_t>(elems_.size()); };
  alternatives_.assign(nRules, {});
  for (size_t r = 0; r < nRules; r++) {
    uint32_t pos = ruleStart_[r];
    while (true) {
      alternatives_[r].push_back(pos);
      while (!IsEnd(pos)) pos++;
      if (elems_[pos].type != LLAMA_GRETYPE_ALT) break;
      pos++;
    }
  }

  // Rules reachable from the root.
  std::vector<bool> reachable(nRules, false);
  std::deque<uint32_t> todo = {root_};
  reachable[root_] = true;
  std::vector<uint32_t> order;
  while (!todo.empty()) {
    const uint32_t r = todo.front();
    todo.pop_front();
    order.push_back(r);
    for (uint32_t pos = ruleStart_[r]; pos < ruleEnd(r); pos++) {
      if (elems_[pos].type == LLAMA_GRETYPE_RULE_REF && !reachable[elems_[pos].value]) {
        reachable[elems_[pos].value] = true;
        todo.push_back(elems_[pos].value);
      }
    }
  }

  // Continuations: the entry below a rule's frame is the position after a
  // reference to it, or (a reference at the end of an alternative: nothing is
  // pushed) whatever is below the referring rule's frame; the root's frame
  // sits on the bottom of the stack.
  continuation_.assign(nRules, {});
  continuation_[root_] = {Continuation::kSingle, kBottom};
  std::vector<std::vector<uint32_t>> tails(nRules);
  for (uint32_t q : order) {
    for (uint32_t pos = ruleStart_[q]; pos < ruleEnd(q); pos++) {
      if (elems_[pos].type != LLAMA_GRETYPE_RULE_REF) continue;
      const uint32_t r = elems_[pos].value;
      if (!IsEnd(pos + 1)) {
        continuation_[r] = Join(continuation_[r], {Continuation::kSingle, pos + 1});
      } else {
        tails[q].push_back(r);
      }
    }
  }
  std::deque<uint32_t> work(order.begin(), order.end());
  while (!work.empty()) {
    const uint32_t q = work.front();
    work.pop_front();
    for (uint32_t r : tails[q]) {
      const Continuation joined = Join(continuation_[r], continuation_[q]);
      if (joined != continuation_[r]) {
        continuation_[r] = joined;
        work.push_back(r);
      }
    }
  }

  // Terminal start positions of the reachable rules.
  for (uint32_t r : order) {
    for (uint32_t alt : alternatives_[r]) {
      uint32_t pos = alt;
      while (!IsEnd(pos)) {
        if (IsChar(pos)) {
          terminals_.push_back(pos);
          pos = MatchChar(pos, 0).second;
        } else {
          if (IsToken(pos)) terminals_.push_back(pos);
          pos++;
        }
      }
    }
  }
}

std::pair<bool, uint32_t> GrammarRules::MatchChar(uint32_t pos, uint32_t chr) const {
  bool found = false;
  const auto type = elems_[pos].type;
  const bool positive = type == LLAMA_GRETYPE_CHAR || type == LLAMA_GRETYPE_CHAR_ANY;
  do {
    if (elems_[pos + 1].type == LLAMA_GRETYPE_CHAR_RNG_UPPER) {
      found = found || (elems_[pos].value <= chr && chr <= elems_[pos + 1].value);
      pos += 2;
    } else if (elems_[pos].type == LLAMA_GRETYPE_CHAR_ANY) {
      found = true;
      pos += 1;
    } else {
      found = found || elems_[pos].value == chr;
      pos += 1;
    }
  } while (elems_[pos].type == LLAMA_GRETYPE_CHAR_ALT);
  return {found == positive, pos};
}

void GrammarRules::ClassRanges(uint32_t pos, std::vector<std::pair<uint32_t, uint32_t>>& out) const {
  const bool positive = elems_[pos].type != LLAMA_GRETYPE_CHAR_NOT;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  do {
    if (elems_[pos + 1].type == LLAMA_GRETYPE_CHAR_RNG_UPPER) {
      if (elems_[pos].value <= elems_[pos + 1].value) ranges.emplace_back(elems_[pos].value, elems_[pos + 1].value);
      pos += 2;
    } else if (elems_[pos].type == LLAMA_GRETYPE_CHAR_ANY) {
      ranges.emplace_back(0, UINT32_MAX);
      pos += 1;
    } else {
      ranges.emplace_back(elems_[pos].value, elems_[pos].value);
      pos += 1;
    }
  } while (elems_[pos].type == LLAMA_GRETYPE_CHAR_ALT);
  if (positive) {
    out.insert(out.end(), ranges.begin(), ranges.end());
    return;
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t next = 0;  // first code point not yet excluded or emitted
  for (const auto& [lo, hi] : ranges) {
    if (lo > next) out.emplace_back(static_cast<uint32_t>(next), lo - 1);
    next = std::max<uint64_t>(next, uint64_t{hi} + 1);
  }
  if (next <= UINT32_MAX) out.emplace_back(static_cast<uint32_t>(next), UINT32_MAX);
}

bool GrammarRules::MatchPartial(uint32_t pos, uint32_t value, int nRemain) const {
  const auto type = elems_[pos].type;
  const bool positive = type == LLAMA_GRETYPE_CHAR || type == LLAMA_GRETYPE_CHAR_ANY;
  // invalid sequence, or one that can only become invalid UTF-8 (Utf8.h)
  if (nRemain <= 0) return false;
  const CodePointRange range = PartialRange(PartialUtf8{value, nRemain});
  if (range.empty()) return false;
  const uint32_t low = range.low, high = range.high;
  do {
    if (elems_[pos + 1].type == LLAMA_GRETYPE_CHAR_RNG_UPPER) {
      if (elems_[pos].value <= high && low <= elems_[pos + 1].value) return positive;
      pos += 2;
    } else if (elems_[pos].type == LLAMA_GRETYPE_CHAR_ANY) {
      return true;
    } else {
      if (low <= elems_[pos].value && elems_[pos].value <= high) return positive;
      pos += 1;
    }
  } while (elems_[pos].type == LLAMA_GRETYPE_CHAR_ALT);
  return !positive;
}

size_t GrammarRules::Bytes() const {
  size_t n = elems_.size() * (2 * sizeof(llama_grammar_element) + sizeof(uint32_t)) + ruleOrigin_.size() * sizeof(uint32_t) + ruleStart_.size() * sizeof(uint32_t) +
             continuation_.size() * sizeof(Continuation) + terminals_.size() * sizeof(uint32_t);
  for (const auto& a : alternatives_) n += a.size() * sizeof(uint32_t);
  return n;
}

}  // namespace lg::grammar
