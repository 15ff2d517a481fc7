// Utf8: llama.cpp's grammar decoder (decode_utf8 in src/llama-grammar.cpp),
// reproduced byte for byte, because the grammar engine must see exactly the
// code points llama.cpp's sees: a token is read as a C string (up to its first
// NUL byte), a sequence split across tokens continues from the previous
// token's partial state, continuation bytes inside a sequence are not checked,
// and a lone continuation byte (or one where a sequence should continue)
// makes the whole token invalid.
#pragma once

#include <cstdint>
#include <vector>

namespace lg::grammar {

// llama_partial_utf8: bits decoded so far and bytes still missing (0: none,
// -1: invalid sequence).
struct PartialUtf8 {
  uint32_t value = 0;
  int nRemain = 0;
  bool operator==(const PartialUtf8& o) const { return value == o.value && nRemain == o.nRemain; }
};

// Decodes `s` (read up to its first NUL) after `start`. Fills `cps` with the
// complete code points and returns the partial state at the end; an invalid
// sequence returns nRemain -1 with `cps` empty (llama.cpp: code points {0}).
inline PartialUtf8 DecodeUtf8(const char* s, PartialUtf8 start, std::vector<uint32_t>& cps) {
  static const int kLookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
  cps.clear();
  const char* pos = s;
  uint32_t value = start.value;
  int nRemain = start.nRemain;
  // continue the previous token's sequence, if any
  while (*pos != 0 && nRemain > 0) {
    const auto next = static_cast<uint8_t>(*pos);
    if ((next >> 6) != 2) {
      cps.clear();
      return {0, -1};
    }
    value = (value << 6) + (next & 0x3F);
    ++pos;
    --nRemain;
  }
  if (start.nRemain > 0 && nRemain == 0) cps.push_back(value);
  // the following sequences, the last possibly incomplete
  while (*pos != 0) {
    const auto first = static_cast<uint8_t>(*pos);
    nRemain = kLookup[first >> 4] - 1;
    if (nRemain < 0) {
      cps.clear();
      return {0, nRemain};
    }
    const auto mask = static_cast<uint8_t>((1 << (7 - nRemain)) - 1);
    value = first & mask;
    ++pos;
    while (*pos != 0 && nRemain > 0) {
      value = (value << 6) + (static_cast<uint8_t>(*pos) & 0x3F);
      ++pos;
      --nRemain;
    }
    if (nRemain == 0) cps.push_back(value);
  }
  return {value, nRemain};
}

}  // namespace lg::grammar
