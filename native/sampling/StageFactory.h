// StageFactory: turns the plan's stage descriptors (plain JS objects made by
// lib/sampling/plan.ts) into Stages and a Draw, validating every value that
// reaches llama.cpp or indexes the score vector.
#pragma once

#include "Chain.h"

#include <napi.h>

namespace lg::sampling {

// plan = { vocabSize, stages: [{ kind, ...params }], draw: { kind, ...params } }.
// `vocab` may be null when no stage needs a vocabulary.
// `statelessOnly`: leaves out the stages that keep state beyond the history
// (Stage::Stateful), for a speculative draft's chain.
std::unique_ptr<Chain> BuildChain(Napi::Object plan, const llama_vocab* vocab, bool statelessOnly = false);

}  // namespace lg::sampling
