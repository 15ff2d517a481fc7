// KvCache: per-sequence operations on a context's KV cache. The caller holds
// the context lock and has validated sequence ids; positions are checked here
// against what llama.cpp accepts without asserting.
#pragma once

#include "ContextState.h"

#include <optional>
#include <utility>

namespace lg::kv {

// p0/p1 follow llama.cpp: a negative p0 means 0, a negative p1 means "to the end".
void Clear(ContextState& s);
void ClearSequence(ContextState& s, llama_seq_id seq);
void RemoveRange(ContextState& s, llama_seq_id seq, llama_pos p0, llama_pos p1);
// The destination's previous content is removed first.
void CopySequence(ContextState& s, llama_seq_id src, llama_seq_id dst, llama_pos p0, llama_pos p1);
void KeepSequence(ContextState& s, llama_seq_id seq);
void ShiftPositions(ContextState& s, llama_seq_id seq, llama_pos p0, llama_pos p1, llama_pos delta);
// [min, max] positions held by `seq`, or nothing when it is empty.
std::optional<std::pair<llama_pos, llama_pos>> Positions(ContextState& s, llama_seq_id seq);

}  // namespace lg::kv
