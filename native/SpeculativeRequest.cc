#include "SpeculativeRequest.h"

#include "Args.h"
#include "Context.h"
#include "generation/speculative/DraftModel.h"
#include "generation/speculative/PromptLookup.h"
#include "sampling/StageFactory.h"

namespace lg {

using generation::speculative::DraftModel;
using generation::speculative::PromptLookup;
using generation::speculative::Schedule;

void AttachDrafters(Napi::Env env, Napi::Object spec, Napi::Array plans, generation::Request& r, const ContextState& target,
                    const llama_vocab* vocab) {
  if (r.beam) throw LlamaException(code::kInvalidArgument, "speculative decoding does not combine with beam search");
  for (const generation::Output& out : r.outputs) {
    if (!out.chain->Speculates()) {
      throw LlamaException(code::kNotImplemented,
                           "speculative decoding needs greedy or multinomial sampling; mirostat and adaptive-p choose tokens themselves");
    }
  }
  const std::string kind = args::OptionalEnum(spec, "kind", "", {"lookup", "draft"});
  const auto numTokens = static_cast<int32_t>(args::Integer(spec.Get("numTokens"), "speculative.numTokens", 1, 1024));
  if (kind == "lookup") {
    const auto maxNgram = static_cast<int32_t>(args::OptionalInteger(spec, "maxNgram", 2, 1, 1024));
    for (generation::Output& out : r.outputs) out.drafter = std::make_unique<PromptLookup>(numTokens, maxNgram, r.eos);
    return;
  }
  if (kind != "draft") throw LlamaException(code::kInvalidArgument, "speculative.kind must be 'lookup' or 'draft'");
  ContextStatePtr draft = Context::StateOf(env, spec.Get("context"), "speculative.context");
  if (draft.get() == &target) throw LlamaException(code::kInvalidArgument, "the draft context must not be the generating context");
  const llama_vocab* draftVocab = llama_model_get_vocab(draft->model.get());
  DraftModel::CheckSameVocabulary(vocab, draftVocab);
  const std::string schedule = args::OptionalEnum(spec, "schedule", "constant", {"constant", "heuristic"});
  Napi::Value confidenceValue = spec.Get("confidence");
  double confidence = 0.0;
  if (!confidenceValue.IsUndefined() && !confidenceValue.IsNull()) {
    if (!confidenceValue.IsNumber()) throw LlamaException(code::kInvalidArgument, "speculative.confidence must be a number in [0, 1]");
    confidence = confidenceValue.As<Napi::Number>().DoubleValue();
    if (!(confidence >= 0.0 && confidence <= 1.0)) throw LlamaException(code::kInvalidArgument, "speculative.confidence must be a number in [0, 1]");
  }
  if (plans.Length() != r.outputs.size()) throw LlamaException(code::kInvalidArgument, "speculative: one plan per output");
  for (uint32_t i = 0; i < r.outputs.size(); i++) {
    generation::Output& out = r.outputs[i];
    if (static_cast<uint32_t>(out.sequence) >= draft->nSeqMax) {
      throw LlamaException(code::kInvalidArgument, "the draft context has no sequence " + std::to_string(out.sequence));
    }
    auto chain = sampling::BuildChain(plans.Get(i).As<Napi::Object>(), draftVocab, /*statelessOnly=*/true);
    chain->SeparateStream();
    chain->SetPrompt(r.prompt);
    out.drafter = std::make_unique<DraftModel>(target, draft, out.sequence, std::move(chain), numTokens,
                                               schedule == "heuristic" ? Schedule::kHeuristic : Schedule::kConstant, confidence, r.eos);
  }
}

}  // namespace lg
