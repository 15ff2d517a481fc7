#include "GrammarCache.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

namespace lg::grammar {
namespace {

struct TrieSlot {
  std::mutex mutex;  // held while building
  std::shared_ptr<const VocabTrie> trie;
};

struct Entry {
  const llama_vocab* vocab = nullptr;
  std::string root;
  size_t textBytes = 0;
  std::mutex mutex;  // held while compiling
  std::shared_ptr<CompiledGrammar> grammar;
  uint64_t lastUse = 0;
  uint64_t uses = 0;
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<const llama_vocab*, std::shared_ptr<TrieSlot>> tries;
  std::map<std::string, std::shared_ptr<Entry>> entries;
  uint64_t clock = 0;
};

Cache& TheCache() {
  static Cache* cache = new Cache();  // never destroyed: used from any thread until exit
  return *cache;
}

std::string KeyOf(const llama_vocab* vocab, const std::string& root, const std::string& text) {
  std::string key(reinterpret_cast<const char*>(&vocab), sizeof(vocab));
  key += root;
  key.push_back('\0');
  key += text;
  return key;
}

// Least recently used entries out until under the bounds (cache lock held).
void Evict(Cache& cache) {
  while (true) {
    size_t bytes = 0;
    size_t compiled = 0;
    for (const auto& [key, entry] : cache.entries) {
      if (entry->grammar) {
        bytes += entry->grammar->Bytes();
        compiled++;
      }
    }
    if (compiled <= kMaxEntries && bytes <= kMaxBytes) return;
    auto oldest = cache.entries.end();
    for (auto it = cache.entries.begin(); it != cache.entries.end(); ++it)
      if (it->second->grammar && (oldest == cache.entries.end() || it->second->lastUse < oldest->second->lastUse)) oldest = it;
    if (oldest == cache.entries.end()) return;
    cache.entries.erase(oldest);  // users keep their shared_ptr
  }
}

}  // namespace

std::shared_ptr<const VocabTrie> TrieFor(const llama_vocab* vocab) {
  Cache& cache = TheCache();
  std::shared_ptr<TrieSlot> slot;
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto& s = cache.tries[vocab];
    if (!s) s = std::make_shared<TrieSlot>();
    slot = s;
  }
  std::lock_guard<std::mutex> lock(slot->mutex);
  if (!slot->trie) slot->trie = std::make_shared<const VocabTrie>(vocab);
  return slot->trie;
}

std::shared_ptr<CompiledGrammar> FindCompiled(const llama_vocab* vocab, const std::string& root, const std::string& text) {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto found = cache.entries.find(KeyOf(vocab, root, text));
  if (found == cache.entries.end() || !found->second->grammar) return nullptr;
  found->second->lastUse = ++cache.clock;
  found->second->uses++;
  return found->second->grammar;
}

std::shared_ptr<CompiledGrammar> Compiled(const llama_vocab* vocab, const std::string& root, const std::string& text,
                                          std::shared_ptr<const GrammarRules> rules) {
  Cache& cache = TheCache();
  const std::string key = KeyOf(vocab, root, text);
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto& e = cache.entries[key];
    if (!e) {
      e = std::make_shared<Entry>();
      e->vocab = vocab;
      e->root = root;
      e->textBytes = text.size();
    }
    entry = e;
    entry->lastUse = ++cache.clock;
    entry->uses++;
  }
  std::shared_ptr<CompiledGrammar> grammar;
  {
    std::lock_guard<std::mutex> lock(entry->mutex);
    if (!entry->grammar) {
      try {
        if (!rules) rules = GrammarRules::Parse(vocab, text, root);
        auto compiled = std::make_shared<CompiledGrammar>(rules, TrieFor(vocab));
        std::lock_guard<std::mutex> cacheLock(cache.mutex);  // `grammar` is read under either lock
        entry->grammar = std::move(compiled);
      } catch (...) {
        std::lock_guard<std::mutex> cacheLock(cache.mutex);
        auto it = cache.entries.find(key);
        if (it != cache.entries.end() && it->second == entry) cache.entries.erase(it);
        throw;
      }
    }
    grammar = entry->grammar;
  }
  std::lock_guard<std::mutex> lock(cache.mutex);
  Evict(cache);
  return grammar;
}

void ForgetVocabulary(const llama_vocab* vocab) {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.tries.erase(vocab);
  for (auto it = cache.entries.begin(); it != cache.entries.end();) {
    if (it->second->vocab == vocab) {
      it = cache.entries.erase(it);
    } else {
      ++it;
    }
  }
}

void ClearCache() {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.tries.clear();
  cache.entries.clear();
}

std::vector<CacheEntryInfo> CacheInfo() {
  Cache& cache = TheCache();
  std::vector<std::pair<std::shared_ptr<Entry>, uint64_t>> entries;
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    for (const auto& [key, entry] : cache.entries)
      if (entry->grammar) entries.emplace_back(entry, entry->uses);
  }
  std::vector<CacheEntryInfo> out;
  for (const auto& [e, uses] : entries) out.push_back({e->grammar->trie().nVocab(), e->root, e->textBytes, uses, e->grammar->trie().buildMs(), e->grammar->stats()});
  return out;
}

}  // namespace lg::grammar
