#include "LazyTrigger.h"

#include "../Errors.h"

#include <algorithm>

namespace lg::grammar {

LazyTrigger::LazyTrigger(bool lazy, const std::vector<std::string>& patterns, std::vector<int32_t> tokens)
    : lazy_(lazy), awaiting_(lazy), tokens_(std::move(tokens)) {
  for (const std::string& p : patterns) {
    try {
      patterns_.push_back({p, std::regex(p)});
    } catch (const std::regex_error& e) {
      throw LlamaException(code::kInvalidArgument, "grammar trigger pattern '" + p + "' is not a valid regular expression: " + e.what());
    }
  }
}

void LazyTrigger::Reset() {
  awaiting_ = lazy_;
  buffer_.clear();
  positions_.clear();
}

size_t LazyTrigger::Find(const Pattern& pattern, const std::string& input) {
  auto start = [](const std::smatch& match) {
    // from the first matched capturing group to the end of the string
    for (size_t i = 1; i < match.size(); i++)
      if (match.length(i) > 0) return static_cast<size_t>(match.position(i));
    return static_cast<size_t>(match.position(0));
  };
  const std::string& p = pattern.text;
  if (!p.empty() && p.front() == '^' && p.back() == '$') {
    std::smatch match;
    if (std::regex_match(input, match, pattern.regex)) return start(match);
  }
  std::smatch match;
  if (std::regex_search(input, match, pattern.regex)) return start(match);
  return std::string::npos;
}

bool LazyTrigger::Feed(int32_t token, const std::string& piece, std::vector<std::pair<int32_t, std::string>>& replay) {
  replay.clear();
  if (std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end()) {
    awaiting_ = false;
    buffer_.clear();
    replay.emplace_back(token, piece);
    return true;
  }
  positions_.push_back({token, {buffer_.size(), buffer_.size() + piece.size()}});
  buffer_ += piece;
  for (const Pattern& pattern : patterns_) {
    const size_t start = Find(pattern, buffer_);
    if (start == std::string::npos) continue;
    awaiting_ = false;
    for (const auto& [tok, span] : positions_) {
      const auto [tokStart, tokEnd] = span;
      if (tokEnd <= start) continue;
      const size_t from = std::max(tokStart, start);  // a token the match starts inside gives its rest
      replay.emplace_back(tok, buffer_.substr(from, tokEnd - from));
    }
    buffer_.clear();
    positions_.clear();
    return true;
  }
  return false;
}

}  // namespace lg::grammar
