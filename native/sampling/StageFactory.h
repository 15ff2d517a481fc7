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
// Every descriptor is checked against the factory's table: an unknown kind,
// a missing, mistyped or out-of-range parameter, or a parameter the kind does
// not have is INVALID_ARGUMENT (lib/sampling/stages.ts is the other side).
std::unique_ptr<Chain> BuildChain(Napi::Object plan, const llama_vocab* vocab, bool statelessOnly = false);

// JS: stageKinds() -> { stages: string[], draws: string[] }, sorted: the
// kinds the factory builds (test/sampling/stage-contract.test.ts).
Napi::Value StageKinds(const Napi::CallbackInfo& info);

}  // namespace lg::sampling
