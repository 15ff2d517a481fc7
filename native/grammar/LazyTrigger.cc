#include "LazyTrigger.h"

#include "../Errors.h"

#include <algorithm>
#include <cctype>

namespace lg::grammar {

LazyTrigger::LazyTrigger(bool lazy, const std::vector<std::string>& patterns, std::vector<int32_t> tokens)
    : lazy_(lazy), awaiting_(lazy), tokens_(std::move(tokens)) {
  for (const std::string& p : patterns) {
    try {
      patterns_.push_back({p, std::regex(p), TailLiterals(p)});
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

std::vector<std::string> LazyTrigger::TailLiterals(const std::string& p) {
  // The first capturing group: a '(' not escaped, not inside a class, not '(?'.
  size_t open = std::string::npos;
  bool inClass = false;
  for (size_t i = 0; i < p.size(); i++) {
    if (p[i] == '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (p[i] == ']') inClass = false;
      continue;
    }
    if (p[i] == '[') inClass = true;
    else if (p[i] == '(' && (i + 1 >= p.size() || p[i + 1] != '?')) {
      open = i;
      break;
    }
  }
  if (open == std::string::npos) return {};
  // Its content must be literals separated by '|', then ')' and at most '$' to the end.
  std::vector<std::string> literals(1);
  size_t i = open + 1;
  for (; i < p.size() && p[i] != ')'; i++) {
    const char c = p[i];
    if (c == '|') {
      literals.emplace_back();
    } else if (c == '\\') {
      if (i + 1 >= p.size() || std::isalnum(static_cast<unsigned char>(p[i + 1])) != 0) return {};  // \s, \d, \x41...: not a literal
      literals.back() += p[++i];
    } else if (std::string(".[]{}()*+?^$").find(c) != std::string::npos) {
      return {};
    } else {
      literals.back() += c;
    }
  }
  const std::string rest = i < p.size() ? p.substr(i + 1) : std::string("x");
  if (rest != "" && rest != "$") return {};
  for (const std::string& l : literals)
    if (l.empty()) return {};
  return literals;
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

bool LazyTrigger::EndsInNewBytes(const std::vector<std::string>& literals, size_t before) const {
  for (const std::string& l : literals) {
    const size_t from = before + 1 >= l.size() ? before + 1 - l.size() : 0;  // an occurrence ending after `before`
    if (buffer_.find(l, from) != std::string::npos) return true;
  }
  return false;
}

bool LazyTrigger::Feed(int32_t token, const std::string& piece, std::vector<std::pair<int32_t, std::string>>& replay) {
  replay.clear();
  if (std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end()) {
    awaiting_ = false;
    buffer_.clear();
    replay.emplace_back(token, piece);
    return true;
  }
  const size_t before = buffer_.size();
  positions_.push_back({token, {before, before + piece.size()}});
  buffer_ += piece;
  for (const Pattern& pattern : patterns_) {
    if (!pattern.tailLiterals.empty() && !EndsInNewBytes(pattern.tailLiterals, before)) continue;
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
