#include "VocabTrie.h"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace lg::grammar {
namespace {

std::string PieceOf(const llama_vocab* vocab, llama_token token) {
  // As llama.cpp's grammar reads it: vocab->token_to_piece(id), which caches
  // llama_token_to_piece(special = true, lstrip = 0).
  std::string piece(16, '\0');
  int32_t n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, true);
  if (n < 0) {
    piece.resize(static_cast<size_t>(-n));
    n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, true);
  }
  piece.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return piece;
}

struct Entry {
  int32_t token;
  uint32_t cpBegin;
  uint32_t cpLen;
  PartialUtf8 partial;
};

}  // namespace

VocabTrie::VocabTrie(const llama_vocab* vocab) : nVocab_(llama_vocab_n_tokens(vocab)) {
  const auto started = std::chrono::steady_clock::now();
  const auto n = static_cast<size_t>(nVocab_);
  kind_.assign(n, kNever);
  tokenRank_.assign(n, -1);
  pieceStart_.reserve(n + 1);
  cpieceStart_.reserve(n + 1);
  std::vector<uint32_t> pool;
  std::vector<Entry> entries;
  entries.reserve(n);
  std::vector<uint32_t> cps;
  for (int32_t id = 0; id < nVocab_; id++) {
    const std::string piece = PieceOf(vocab, id);
    pieceStart_.push_back(static_cast<uint32_t>(pieces_.size()));
    pieces_ += piece;
    cpieceStart_.push_back(static_cast<uint32_t>(cpieces_.size()));
    cpieces_.append(piece.c_str());  // up to the first NUL
    cpieces_.push_back('\0');
    if (llama_vocab_is_eog(vocab, id)) {
      kind_[id] = kEog;
      eog_.push_back(id);
      continue;
    }
    if (piece.empty() || piece[0] == 0) continue;  // never allowed
    const auto first = static_cast<uint8_t>(piece[0]);
    if (first >= 0x80 && first <= 0xBF) continuation_.push_back(id);
    const PartialUtf8 partial = DecodeUtf8(piece.c_str(), PartialUtf8{}, cps);
    if (partial.nRemain < 0) {
      kind_[id] = kInvalidFresh;
      continue;
    }
    kind_[id] = kTrie;
    entries.push_back({id, static_cast<uint32_t>(pool.size()), static_cast<uint32_t>(cps.size()), partial});
    pool.insert(pool.end(), cps.begin(), cps.end());
  }
  pieceStart_.push_back(static_cast<uint32_t>(pieces_.size()));
  cpieceStart_.push_back(static_cast<uint32_t>(cpieces_.size()));

  // Lexicographic order of the code points, so a prefix comes before its
  // extensions; at equal code points the complete tokens first.
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    const uint32_t* pa = pool.data() + a.cpBegin;
    const uint32_t* pb = pool.data() + b.cpBegin;
    const uint32_t m = std::min(a.cpLen, b.cpLen);
    for (uint32_t i = 0; i < m; i++)
      if (pa[i] != pb[i]) return pa[i] < pb[i];
    if (a.cpLen != b.cpLen) return a.cpLen < b.cpLen;
    const bool ca = a.partial.nRemain == 0, cb = b.partial.nRemain == 0;
    if (ca != cb) return ca;
    if (a.partial.nRemain != b.partial.nRemain) return a.partial.nRemain < b.partial.nRemain;
    if (a.partial.value != b.partial.value) return a.partial.value < b.partial.value;
    return a.token < b.token;
  });

  // Nodes in preorder: follow the sorted tokens, opening a node for each code
  // point past the common prefix with the previous token.
  nodes_.push_back({0, 0, 0, 0});
  std::vector<uint32_t> path = {0};  // open nodes, root first
  rankToken_.reserve(entries.size());
  rankPartial_.reserve(entries.size());
  const uint32_t* prev = nullptr;
  uint32_t prevLen = 0;
  auto close = [&](size_t depth) {  // closes the open nodes deeper than `depth`
    while (path.size() > depth + 1) {
      nodes_[path.back()].end = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
  };
  for (const Entry& e : entries) {
    const uint32_t* cur = pool.data() + e.cpBegin;
    uint32_t common = 0;
    if (prev != nullptr) {
      const uint32_t m = std::min(prevLen, e.cpLen);
      while (common < m && prev[common] == cur[common]) common++;
    }
    close(common);
    for (uint32_t d = common; d < e.cpLen; d++) {
      const auto rank = static_cast<uint32_t>(rankToken_.size());
      nodes_.push_back({cur[d], 0, rank, rank});
      path.push_back(static_cast<uint32_t>(nodes_.size() - 1));
    }
    const uint32_t node = path.back();
    const auto rank = static_cast<uint32_t>(rankToken_.size());
    if (e.partial.nRemain == 0) nodes_[node].partialBegin = rank + 1;  // complete tokens come first
    tokenRank_[e.token] = static_cast<int32_t>(rank);
    rankToken_.push_back(e.token);
    rankPartial_.push_back(e.partial);
    prev = cur;
    prevLen = e.cpLen;
  }
  close(0);
  nodes_[0].end = static_cast<uint32_t>(nodes_.size());
  const auto ranks = static_cast<uint32_t>(rankToken_.size());
  nodes_.push_back({0, static_cast<uint32_t>(nodes_.size() + 1), ranks, ranks});  // sentinel
  // Children lists (preorder visits the children of a node in code point order).
  childBegin_.reserve(nodes_.size() + 1);
  for (uint32_t i = 0; i + 1 < nodes_.size(); i++) {
    childBegin_.push_back(static_cast<uint32_t>(childNode_.size()));
    for (uint32_t c = i + 1; c < nodes_[i].end; c = nodes_[c].end) {
      childNode_.push_back(c);
      childCp_.push_back(nodes_[c].cp);
    }
  }
  childBegin_.push_back(static_cast<uint32_t>(childNode_.size()));
  childBegin_.push_back(static_cast<uint32_t>(childNode_.size()));
  buildMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

size_t VocabTrie::Bytes() const {
  return nodes_.size() * sizeof(Node) + (childBegin_.size() + childNode_.size() + childCp_.size()) * sizeof(uint32_t) + rankToken_.size() * (sizeof(int32_t) + sizeof(PartialUtf8)) + tokenRank_.size() * sizeof(int32_t) +
         kind_.size() + pieces_.size() + cpieces_.size() + (pieceStart_.size() + cpieceStart_.size()) * sizeof(uint32_t) +
         (eog_.size() + continuation_.size()) * sizeof(int32_t);
}

}  // namespace lg::grammar
