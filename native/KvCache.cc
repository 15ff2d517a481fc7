#include "KvCache.h"

#include <string>

namespace lg::kv {

void Clear(ContextState& s) { llama_memory_clear(s.Memory(), true); }

void ClearSequence(ContextState& s, llama_seq_id seq) { llama_memory_seq_rm(s.Memory(), seq, -1, -1); }

void RemoveRange(ContextState& s, llama_seq_id seq, llama_pos p0, llama_pos p1) {
  if (!llama_memory_seq_rm(s.Memory(), seq, p0, p1)) {
    throw LlamaException(code::kUnsupported, "this model's memory cannot remove a partial range of sequence " +
                                                 std::to_string(seq) + "; clear the whole sequence instead");
  }
}

void CopySequence(ContextState& s, llama_seq_id src, llama_seq_id dst, llama_pos p0, llama_pos p1) {
  const bool partial = p0 > 0 || p1 >= 0;
  if (partial && !s.kvUnified && s.nSeqMax > 1) {
    // Across KV streams llama.cpp copies whole buffers only (and asserts otherwise).
    throw LlamaException(code::kUnsupported,
                         "copying part of a sequence needs unifiedKvCache: true; copy the whole sequence instead");
  }
  if (src == dst) return;
  // The destination becomes the copied range; what it held before would
  // otherwise sit at the same positions, interleaved with the copy.
  llama_memory_seq_rm(s.Memory(), dst, -1, -1);
  llama_memory_seq_cp(s.Memory(), src, dst, p0, p1);
}

void KeepSequence(ContextState& s, llama_seq_id seq) { llama_memory_seq_keep(s.Memory(), seq); }

void ShiftPositions(ContextState& s, llama_seq_id seq, llama_pos p0, llama_pos p1, llama_pos delta) {
  if (!llama_memory_can_shift(s.Memory())) {
    throw LlamaException(code::kUnsupported, "this model's memory does not support shifting positions");
  }
  llama_memory_seq_add(s.Memory(), seq, p0, p1, delta);
}

std::optional<std::pair<llama_pos, llama_pos>> Positions(ContextState& s, llama_seq_id seq) {
  llama_pos max = llama_memory_seq_pos_max(s.Memory(), seq);
  if (max < 0) return std::nullopt;
  return std::make_pair(llama_memory_seq_pos_min(s.Memory(), seq), max);
}

}  // namespace lg::kv
