// Utf8: where a byte string can be cut without splitting a character.
#pragma once

#include <cstddef>
#include <string>

namespace lg::generation {

// Length of the longest prefix of `bytes` that does not end inside a UTF-8
// character still waiting for continuation bytes. Invalid bytes count as
// complete (they decode to U+FFFD whatever follows), so the text is never
// held back for ever.
inline size_t CompleteUtf8Prefix(const std::string& bytes) {
  const size_t n = bytes.size();
  // A character is at most 4 bytes: only the last 3 can be an unfinished one.
  for (size_t back = 1; back <= 3 && back <= n; back++) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (need == 1) return n;  // ASCII or an invalid lead byte: complete
    return back < need ? n - back : n;
  }
  return n;
}

}  // namespace lg::generation
