// Request: one generate() call as the native loop runs it: the prompt, the
// sequences it writes (one per returned sequence, or one per beam), each with
// its own sampler chain, and the stop conditions. Parsed and validated on the JS thread
// (native/Generation.cc), read-only afterwards.
#pragma once

#include "../sampling/Chain.h"
#include "beam/BeamConfig.h"
#include "speculative/Drafter.h"

#include <chrono>
#include <llama.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lg::generation {

struct Output {
  llama_seq_id sequence = 0;
  std::unique_ptr<sampling::Chain> chain;  // owned by the engine thread once submitted
  // Speculative decoding (prompt lookup, a draft model): proposes what the
  // output's next steps verify. Null: one token per step.
  std::unique_ptr<speculative::Drafter> drafter;
};

struct Request {
  std::vector<llama_token> prompt;
  // Leading prompt tokens already in outputs[0]'s cache (at positions 0..keep-1).
  int32_t keep = 0;
  // outputs[0] evaluates the prompt; the others get a copy of its cache.
  // With `beam`, the outputs are the search's lanes (num_beams of them).
  std::vector<Output> outputs;
  // Beam search (num_beams > 1): the returned sequences are its hypotheses.
  std::optional<beam::BeamConfig> beam;

  std::vector<llama_token> eos;           // empty with ignore_eos
  std::vector<std::string> stopStrings;   // UTF-8
  bool includeStopString = true;          // keep the text up to the end of the stopping token
  int32_t maxNewTokens = 1;
  double maxTimeMs = 0;                   // 0: no limit
  int32_t topLogprobs = -1;               // -1: no logprobs; 0: the chosen token's; n: and the n best
  bool outputScores = false;              // processed scores of every step
  bool outputLogits = false;              // raw logits of every step
  bool useCache = true;                   // false: re-evaluate the whole sequence every step
  int32_t contextShiftKeep = -1;          // -1: stop at a full context; n: keep n tokens, drop half the rest
  size_t queueCapacity = 64;              // undelivered tokens before the loop pauses this request
  // A streaming reader is told of new chunks at most this often after the first (0: every step).
  std::chrono::microseconds chunkInterval{16000};
  bool special = false;                   // render special tokens' text
};

}  // namespace lg::generation
