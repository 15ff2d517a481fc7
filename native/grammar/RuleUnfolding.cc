#include "RuleUnfolding.h"

#include <algorithm>
#include <deque>
#include <numeric>

namespace lg::grammar {
namespace {

// Rules on a cycle of references (Tarjan's strongly connected components,
// iterative: a grammar can have hundreds of thousands of rules).
std::vector<bool> Recursive(const llama_grammar_rules& rules) {
  const size_t n = rules.size();
  std::vector<std::vector<uint32_t>> refs(n);
  for (size_t r = 0; r < n; r++)
    for (const llama_grammar_element& e : rules[r])
      if (e.type == LLAMA_GRETYPE_RULE_REF && e.value < n) refs[r].push_back(e.value);
  std::vector<bool> recursive(n, false);
  std::vector<int64_t> index(n, -1), low(n, 0);
  std::vector<bool> onStack(n, false);
  std::vector<uint32_t> stack;
  int64_t counter = 0;
  struct Frame {
    uint32_t rule;
    size_t next;
  };
  for (uint32_t start = 0; start < n; start++) {
    if (index[start] >= 0) continue;
    std::vector<Frame> frames = {{start, 0}};
    index[start] = low[start] = counter++;
    stack.push_back(start);
    onStack[start] = true;
    while (!frames.empty()) {
      Frame& f = frames.back();
      if (f.next < refs[f.rule].size()) {
        const uint32_t to = refs[f.rule][f.next++];
        if (to == f.rule) recursive[to] = true;
        if (index[to] < 0) {
          index[to] = low[to] = counter++;
          stack.push_back(to);
          onStack[to] = true;
          frames.push_back({to, 0});
        } else if (onStack[to]) {
          low[f.rule] = std::min(low[f.rule], index[to]);
        }
        continue;
      }
      const uint32_t done = f.rule;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().rule] = std::min(low[frames.back().rule], low[done]);
      if (low[done] != index[done]) continue;
      std::vector<uint32_t> component;
      uint32_t member;
      do {
        member = stack.back();
        stack.pop_back();
        onStack[member] = false;
        component.push_back(member);
      } while (member != done);
      if (component.size() > 1)
        for (uint32_t m : component) recursive[m] = true;
    }
  }
  return recursive;
}

}  // namespace

UnfoldedRules Unfold(const llama_grammar_rules& rules, uint32_t root, size_t maxElements) {
  UnfoldedRules out{rules, std::vector<uint32_t>(rules.size())};
  std::iota(out.origin.begin(), out.origin.end(), 0u);
  const std::vector<bool> recursive = Recursive(rules);
  size_t total = 0;
  for (const auto& r : rules) total += r.size();
  // A rule is claimed by the first reference that reaches it; any other
  // reference to a rule outside a recursion gets a copy of it.
  std::vector<bool> claimed(rules.size(), false);
  claimed[root] = true;
  std::deque<uint32_t> todo = {root};
  while (!todo.empty()) {
    const uint32_t q = todo.front();
    todo.pop_front();
    for (size_t i = 0; i < out.rules[q].size(); i++) {
      if (out.rules[q][i].type != LLAMA_GRETYPE_RULE_REF) continue;
      const uint32_t r = out.rules[q][i].value;
      if (!claimed[r]) {
        claimed[r] = true;
        todo.push_back(r);
        continue;
      }
      if (recursive[out.origin[r]] || total + out.rules[r].size() > maxElements) continue;  // stays shared
      const auto copy = static_cast<uint32_t>(out.rules.size());
      llama_grammar_rule body = out.rules[r];
      out.rules.push_back(std::move(body));
      out.origin.push_back(out.origin[r]);
      claimed.push_back(true);
      total += out.rules[copy].size();
      out.rules[q][i].value = copy;
      todo.push_back(copy);
    }
  }
  return out;
}

}  // namespace lg::grammar
