// LazyTrigger: a lazy grammar's wait for its trigger, as llama.cpp's
// llama_grammar_accept_impl does it: until a trigger token or pattern is
// seen, generated text is buffered and nothing is constrained; when one
// fires, the buffered tokens from the match's first group on are replayed
// into the grammar (a token cut by the match start as its remaining bytes).
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace lg::grammar {

class LazyTrigger {
 public:
  // Throws INVALID_ARGUMENT for a pattern std::regex cannot compile.
  LazyTrigger(bool lazy, const std::vector<std::string>& patterns, std::vector<int32_t> tokens);

  bool awaiting() const { return awaiting_; }
  void Reset();
  // While awaiting: buffers the token. Returns true when the grammar starts
  // now; `replay` then holds the (token, piece) pairs to feed it, in order.
  bool Feed(int32_t token, const std::string& piece, std::vector<std::pair<int32_t, std::string>>& replay);

 private:
  struct Pattern {
    std::string text;
    std::regex regex;
    // When the pattern ends with its first capturing group and that group is
    // a literal or an alternation of literals: those literals. A new match
    // must then end with one of them inside the newly fed bytes, so the
    // regex (a scan of the whole buffer) runs only when one does: without
    // this, patterns such as `[\s\S]*?(<tool_call>)` cost O(length) per
    // token, O(n^2) over a long output.
    std::vector<std::string> tailLiterals;
  };
  // The literals of a pattern's tail group, or none when it has no such group.
  static std::vector<std::string> TailLiterals(const std::string& pattern);
  // llama_grammar_trigger_pattern::find.
  static size_t Find(const Pattern& pattern, const std::string& input);
  // Whether one of `literals` occurs in the buffer ending after its first `before` bytes.
  bool EndsInNewBytes(const std::vector<std::string>& literals, size_t before) const;

  bool lazy_;
  bool awaiting_;
  std::vector<Pattern> patterns_;
  std::vector<int32_t> tokens_;
  std::string buffer_;
  std::vector<std::pair<int32_t, std::pair<size_t, size_t>>> positions_;
};

}  // namespace lg::grammar
