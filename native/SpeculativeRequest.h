// SpeculativeRequest: the `speculative` part of a generate() request (made by
// lib/generation/speculative.ts), checked and turned into one Drafter per
// output before the request reaches the engine:
//   { kind: 'lookup', numTokens, maxNgram }                    prompt lookup
//   { kind: 'draft', context, numTokens, schedule, confidence }  a draft model
#pragma once

#include "ContextState.h"
#include "generation/Request.h"

#include <napi.h>

namespace lg {

// `plans`: the outputs' sampler plans, in output order.
void AttachDrafters(Napi::Env env, Napi::Object spec, Napi::Array plans, generation::Request& r, const ContextState& target,
                    const llama_vocab* vocab);

}  // namespace lg
