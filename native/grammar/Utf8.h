// Utf8: llama.cpp's grammar decoder (decode_utf8 in src/llama-grammar.cpp),
// made strict. The grammar engine reads a token's text as llama.cpp's does: a
// token is read as a C string (up to its first NUL byte), a sequence split
// across tokens continues from the previous token's partial state, and a lone
// continuation byte (or any other byte where a sequence should continue)
// makes the whole token invalid. Unlike llama.cpp's decoder, it also refuses
// what is not valid UTF-8 (RFC 3629), as soon as the bytes read can no longer
// become valid:
// - a byte other than a continuation byte inside a sequence (llama.cpp only
//   checks those that continue the previous token's sequence);
// - overlong forms: lead bytes C0 and C1, E0 followed by 80-9F, F0 followed by
//   80-8F (a code point below the least one its length is for);
// - lead bytes F5-FF, and F4 followed by 90-BF (past U+10FFFF);
// - encoded surrogates: ED followed by A0-BF (U+D800-DFFF).
// A GBNF grammar describes code points, and these bytes encode none, so the
// engine refuses them whatever the grammar: its output is always valid UTF-8.
// On valid UTF-8 both decoders give the same code points and partial states.
#pragma once

#include <algorithm>
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

// Inclusive range of code points; empty when low > high.
struct CodePointRange {
  uint32_t low;
  uint32_t high;
  bool empty() const { return low > high; }
};

// The Unicode scalar values a sequence of `length` bytes, with `value`
// decoded so far and `nRemain` bytes still missing, can complete to: not
// overlong, not a surrogate, not past U+10FFFF. (The surrogates are at the
// top of the range of ED's completions, the code points past U+10FFFF at the
// top of F4's, so what is left is one range.)
inline CodePointRange Completions(uint32_t value, int nRemain, int length) {
  static const uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
  const uint64_t raw = uint64_t{value} << (6 * nRemain);
  const uint64_t rawHigh = raw | ((uint64_t{1} << (6 * nRemain)) - 1);
  if (raw > 0x10FFFF) return {1, 0};
  auto low = static_cast<uint32_t>(std::max<uint64_t>(raw, kLeast[length]));
  auto high = static_cast<uint32_t>(std::min<uint64_t>(rawHigh, 0x10FFFF));
  if (low >= 0xD800 && low <= 0xDFFF) low = 0xE000;
  if (high >= 0xD800 && high <= 0xDFFF) high = 0xD7FF;
  return {low, high};
}

// The length of the sequence a partial state DecodeUtf8 returned belongs to
// (nRemain > 0). Its valid prefixes leave values that tell the lengths apart:
// nRemain 2: 0-F (a 3-byte lead) or 10-10F (F0 90 .. F4 8F); nRemain 1: 2-1F
// (a 2-byte lead), 20-3FF (3 bytes) or 400-43FF (4 bytes).
inline int SequenceLength(PartialUtf8 p) {
  if (p.nRemain >= 3) return 4;
  if (p.nRemain == 2) return p.value < 0x10 ? 3 : 4;
  return p.value < 0x20 ? 2 : p.value < 0x400 ? 3 : 4;
}

// The code points a partial state DecodeUtf8 returned (nRemain > 0) can still
// complete to: llama_grammar_match_partial_char's range, narrowed to Unicode
// scalar values (llama.cpp's range includes the surrogates after a lone ED
// and U+110000-13FFFF after a lone F4; its treatment of the overlong lone
// leads C0, C1, E0 and F0 is already this one's).
inline CodePointRange PartialRange(PartialUtf8 p) { return Completions(p.value, p.nRemain, SequenceLength(p)); }

// Decodes `s` (read up to its first NUL) after `start`. Fills `cps` with the
// complete code points and returns the partial state at the end; invalid
// UTF-8 returns nRemain -1 with `cps` empty (llama.cpp: code points {0}).
inline PartialUtf8 DecodeUtf8(const char* s, PartialUtf8 start, std::vector<uint32_t>& cps) {
  static const int kLookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
  cps.clear();
  const char* pos = s;
  uint32_t value = start.value;
  int nRemain = start.nRemain;
  int length = nRemain > 0 ? SequenceLength(start) : 0;
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
    if (Completions(value, nRemain, length).empty()) {
      cps.clear();
      return {0, -1};
    }
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
    length = nRemain + 1;
    const auto mask = static_cast<uint8_t>((1 << (7 - nRemain)) - 1);
    value = first & mask;
    ++pos;
    if (Completions(value, nRemain, length).empty()) {  // C0, C1, F5-FF
      cps.clear();
      return {0, -1};
    }
    while (*pos != 0 && nRemain > 0) {
      const auto next = static_cast<uint8_t>(*pos);
      if ((next >> 6) != 2 || Completions((value << 6) + (next & 0x3F), nRemain - 1, length).empty()) {
        cps.clear();
        return {0, -1};
      }
      value = (value << 6) + (next & 0x3F);
      ++pos;
      --nRemain;
    }
    if (nRemain == 0) cps.push_back(value);
  }
  return {value, nRemain};
}

}  // namespace lg::grammar
