#include "GrammarCompiler.h"

#include "TrieWalk.h"

#include <chrono>
#include <map>

namespace lg::grammar {
namespace {

// Collects a compile walk's verdicts: allowed ranks as bits, escapes by depth.
class CompileSink : public WalkSink {
 public:
  explicit CompileSink(uint32_t ranks) : bits_((ranks + 63) / 64, 0) {}
  void Allow(uint32_t rank) override { bits_[rank >> 6] |= uint64_t{1} << (rank & 63); }
  void AllowRange(uint32_t begin, uint32_t end, uint32_t except) override {
    for (uint32_t r = begin; r < end; r++)
      if (r != except) Allow(r);
  }
  void Escape(uint32_t node, uint32_t depth) override { escapes_[depth].push_back(node); }

  // The allowed tokens, by token id.
  std::vector<uint64_t> TokenBits(const VocabTrie& trie) const {
    std::vector<uint64_t> ids((static_cast<size_t>(trie.nVocab()) + 63) / 64, 0);
    for (size_t w = 0; w < bits_.size(); w++) {
      uint64_t word = bits_[w];
      while (word != 0) {
        const int32_t id = trie.TokenAt(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(word))));
        ids[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
        word &= word - 1;
      }
    }
    return ids;
  }
  const std::map<uint32_t, std::vector<uint32_t>>& escapes() const { return escapes_; }

 private:
  std::vector<uint64_t> bits_;
  std::map<uint32_t, std::vector<uint32_t>> escapes_;
};

}  // namespace

size_t PositionMask::Bytes() const {
  size_t n = sizeof(PositionMask) + allowed.Bytes();
  for (const auto& e : escapes) n += sizeof(e) + e.second.size() * sizeof(uint32_t);
  return n;
}

CompiledGrammar::CompiledGrammar(std::shared_ptr<const GrammarRules> rules, std::shared_ptr<const VocabTrie> trie, size_t eagerVisits)
    : rules_(std::move(rules)), trie_(std::move(trie)), table_(std::make_unique<StackTable>(*rules_, StackTable::Limits{})), masks_(rules_->size()) {
  for (auto& m : masks_) m.store(nullptr, std::memory_order_relaxed);
  const auto start = std::chrono::steady_clock::now();
  stats_.positions = rules_->terminals().size();
  std::lock_guard<std::mutex> lock(mutex_);
  for (uint32_t pos : rules_->terminals()) {
    if (stats_.visits >= eagerVisits) break;
    if (masks_[pos].load(std::memory_order_relaxed) != nullptr) continue;
    owned_.push_back(Compile(pos));
    masks_[pos].store(owned_.back().get(), std::memory_order_release);
    stats_.eager++;
  }
  stats_.compileMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::unique_ptr<PositionMask> CompiledGrammar::Compile(uint32_t pos) {
  const VocabTrie& trie = *trie_;
  CompileSink sink(trie.rankCount());
  const uint32_t withCodePoints = trie.BelowBegin(0);  // ranks of tokens with at least one code point
  if (rules_->IsToken(pos)) {
    // A token element at the top: the token it names (or every other), by id.
    const auto named = static_cast<int32_t>(rules_->at(pos).value);
    const int32_t rank = named < trie.nVocab() ? trie.RankOf(named) : -1;
    const bool inTrie = rank >= 0 && static_cast<uint32_t>(rank) >= withCodePoints;
    if (rules_->at(pos).type == LLAMA_GRETYPE_TOKEN) {
      if (inTrie) sink.Allow(static_cast<uint32_t>(rank));
    } else {
      sink.AllowRange(withCodePoints, trie.rankCount(), inTrie ? static_cast<uint32_t>(rank) : UINT32_MAX);
    }
  } else {
    if (table_->Large()) table_ = std::make_unique<StackTable>(*rules_, StackTable::Limits{});  // only a cache
    try {
      StackTable::Budget budget(*table_, kPositionBudget);
      std::vector<int32_t> start = {table_->Push(table_->Marker(rules_->RuleOf(pos), 1), pos)};
      const int32_t state = table_->StateOf(start);
      TrieWalk walk(trie, *table_);
      stats_.visits += walk.Walk(0, state, true, sink);
    } catch (const StackTable::Overflow&) {
      table_ = std::make_unique<StackTable>(*rules_, StackTable::Limits{});
      auto mask = std::make_unique<PositionMask>();
      mask->fallback = true;
      stats_.fallback++;
      return mask;
    }
  }
  auto mask = std::make_unique<PositionMask>();
  mask->allowed = TokenSet(sink.TokenBits(trie), trie.nVocab());
  for (const auto& [depth, nodes] : sink.escapes()) {
    mask->escapes.emplace_back(depth, nodes);
    stats_.dependentNodes += nodes.size();
  }
  stats_.bytes += mask->Bytes();
  return mask;
}

const PositionMask& CompiledGrammar::CompileLate(uint32_t pos) {
  std::lock_guard<std::mutex> lock(mutex_);
  const PositionMask* mask = masks_[pos].load(std::memory_order_acquire);
  if (mask != nullptr) return *mask;
  owned_.push_back(Compile(pos));
  masks_[pos].store(owned_.back().get(), std::memory_order_release);
  stats_.lazy++;
  return *owned_.back();
}

CompileStats CompiledGrammar::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  CompileStats s = stats_;
  s.bytes = BytesLocked();
  return s;
}

size_t CompiledGrammar::Bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return BytesLocked();
}

size_t CompiledGrammar::BytesLocked() const {
  return stats_.bytes + table_->Bytes() + rules_->Bytes() + masks_.size() * sizeof(void*);
}

}  // namespace lg::grammar
