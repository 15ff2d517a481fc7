// VocabTrie: every token of a vocabulary as llama.cpp's grammar reads it (its
// piece with special tokens rendered, decoded by Utf8.h from a fresh state),
// in a prefix trie of code points, so a walk over the vocabulary visits a
// prefix shared by many tokens once. Built once per vocabulary and shared
// (GrammarCache); immutable afterwards.
//
// Layout: nodes in depth-first preorder (node 0 is the root, the empty
// prefix; a subtree is the range [i, end)); tokens ordered by their node
// ("ranks"), so the tokens of a subtree are one range of ranks. At a node, the
// tokens that end on a complete character come before those that end inside
// one (a partial UTF-8 sequence, checked against the grammar separately).
//
// Left out of the trie, as llama.cpp's grammar treats them apart:
// end-of-generation tokens (allowed when the grammar can end), tokens with an
// empty piece or one starting with NUL (never allowed), and tokens that are
// not valid UTF-8 from a fresh state (allowed only right after a token that
// ended inside a character: `continuationTokens` lists those that start with
// a continuation byte).
#pragma once

#include "Utf8.h"

#include <llama.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lg::grammar {

class VocabTrie {
 public:
  struct Node {
    uint32_t cp;            // the code point on the edge from the parent (root: 0)
    uint32_t end;           // one past the last node of this subtree
    uint32_t tokBegin;      // first rank of the tokens ending here
    uint32_t partialBegin;  // first rank of those ending inside a character
  };

  explicit VocabTrie(const llama_vocab* vocab);

  int32_t nVocab() const { return nVocab_; }
  // Nodes, plus a sentinel at the end (tokBegin = number of ranks).
  const Node& node(uint32_t i) const { return nodes_[i]; }
  uint32_t nodeCount() const { return static_cast<uint32_t>(nodes_.size() - 1); }
  uint32_t rankCount() const { return static_cast<uint32_t>(rankToken_.size()); }
  // Ranks of the tokens in the subtree strictly below node i.
  uint32_t BelowBegin(uint32_t i) const { return nodes_[i + 1].tokBegin; }
  uint32_t BelowEnd(uint32_t i) const { return nodes_[nodes_[i].end].tokBegin; }
  // The children of node i, in increasing code point order: [ChildBegin(i), ChildEnd(i)) into ChildNode / ChildCp.
  uint32_t ChildBegin(uint32_t i) const { return childBegin_[i]; }
  uint32_t ChildEnd(uint32_t i) const { return childBegin_[i + 1]; }
  uint32_t ChildNode(uint32_t c) const { return childNode_[c]; }
  const std::vector<uint32_t>& childCps() const { return childCp_; }
  int32_t TokenAt(uint32_t rank) const { return rankToken_[rank]; }
  PartialUtf8 PartialAt(uint32_t rank) const { return rankPartial_[rank]; }
  int32_t RankOf(int32_t token) const { return tokenRank_[token]; }

  bool IsEog(int32_t token) const { return kind_[token] == kEog; }
  const std::vector<int32_t>& eogTokens() const { return eog_; }
  const std::vector<int32_t>& continuationTokens() const { return continuation_; }
  // The whole piece (NUL bytes included); the grammar reads it up to its first NUL.
  std::string_view Piece(int32_t token) const {
    return std::string_view(pieces_.data() + pieceStart_[token], pieceStart_[token + 1] - pieceStart_[token]);
  }
  const char* PieceCStr(int32_t token) const { return cpieces_.data() + cpieceStart_[token]; }
  size_t Bytes() const;
  double buildMs() const { return buildMs_; }

 private:
  enum Kind : uint8_t { kTrie, kEog, kNever, kInvalidFresh };
  int32_t nVocab_ = 0;
  double buildMs_ = 0;
  std::vector<Node> nodes_;
  std::vector<uint32_t> childBegin_, childNode_, childCp_;
  std::vector<int32_t> rankToken_;
  std::vector<PartialUtf8> rankPartial_;
  std::vector<int32_t> tokenRank_;
  std::vector<uint8_t> kind_;
  std::vector<int32_t> eog_;
  std::vector<int32_t> continuation_;
  std::string pieces_;
  std::vector<uint32_t> pieceStart_;
  std::string cpieces_;  // each piece up to its first NUL, NUL-terminated
  std::vector<uint32_t> cpieceStart_;
};

}  // namespace lg::grammar
