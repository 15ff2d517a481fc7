#include "TrieWalk.h"

#include <algorithm>

namespace lg::grammar {

void TrieWalk::Visit(uint32_t node, const StackTable::State& st, bool complete, WalkSink& sink) {
  const VocabTrie::Node& n = trie_.node(node);
  const uint32_t partialEnd = trie_.node(node + 1).tokBegin;
  // Tokens ending here: every stack that got this far allows a complete one.
  if (complete)
    for (uint32_t r = n.tokBegin; r < n.partialBegin; r++) sink.Allow(r);
  for (uint32_t r = n.partialBegin; r < partialEnd; r++) {
    const PartialUtf8 p = trie_.PartialAt(r);
    for (int32_t s : st.chars) {
      if (table_.rules().MatchPartial(table_.Top(s), p.value, p.nRemain)) {
        sink.Allow(r);
        break;
      }
    }
  }
  // Tokens going on past here, at a stack topped by a token element.
  const uint32_t below = trie_.BelowBegin(node), belowEnd = trie_.BelowEnd(node);
  if (below < belowEnd) {
    for (int32_t s : st.tokens) {
      const uint32_t pos = table_.Top(s);
      const int32_t named = static_cast<int32_t>(table_.rules().at(pos).value);
      const int32_t rank = named < trie_.nVocab() ? trie_.RankOf(named) : -1;
      const bool inside = rank >= 0 && static_cast<uint32_t>(rank) >= below && static_cast<uint32_t>(rank) < belowEnd;
      if (table_.rules().at(pos).type == LLAMA_GRETYPE_TOKEN) {
        if (inside) sink.Allow(static_cast<uint32_t>(rank));
      } else {
        sink.AllowRange(below, belowEnd, inside ? static_cast<uint32_t>(rank) : UINT32_MAX);
      }
    }
  }
  if (!st.escapes.empty() && (n.partialBegin < partialEnd || below < belowEnd))
    for (uint32_t depth : st.escapes) sink.Escape(node, depth);
}

size_t TrieWalk::Walk(uint32_t root, int32_t state, bool completeAtRoot, WalkSink& sink) {
  size_t visited = 0;
  todo_.clear();
  todo_.emplace_back(root, state);
  bool first = true;
  while (!todo_.empty()) {
    const auto [node, s] = todo_.back();
    todo_.pop_back();
    visited++;
    const StackTable::State& st = table_.state(s);
    Visit(node, st, !first || completeAtRoot, sink);
    first = false;
    if (st.chars.empty()) continue;  // nothing can match a further code point
    // Only the children whose code point some stack's class matches.
    const std::vector<uint32_t>& cps = trie_.childCps();
    const auto first = cps.begin() + trie_.ChildBegin(node), last = cps.begin() + trie_.ChildEnd(node);
    auto it = first;
    for (const auto& [lo, hi] : st.ranges) {
      if (it == last) break;
      if (*it < lo) it = std::lower_bound(it, last, lo);
      for (; it != last && *it <= hi; ++it) {
        const int32_t next = table_.Next(s, *it);
        if (next != StackTable::kDead) todo_.emplace_back(trie_.ChildNode(static_cast<uint32_t>(it - cps.begin())), next);
      }
    }
  }
  return visited;
}

}  // namespace lg::grammar
