#include "Generation.h"

#include "AddonData.h"
#include "Args.h"
#include "DeliveryJs.h"
#include "SpeculativeRequest.h"
#include "generation/beam/BeamConstraints.h"
#include "sampling/StageFactory.h"

#include <cmath>
#include <set>

namespace lg {
namespace {

using generation::Delivery;
using generation::Job;
using generation::Request;

constexpr int64_t kMaxTokens = 1LL << 30;
constexpr int64_t kMaxChunkIntervalUs = 3600LL * 1000 * 1000;  // an hour

std::vector<std::string> Strings(Napi::Value value, const char* name) {
  std::vector<std::string> out;
  if (value.IsUndefined() || value.IsNull()) return out;
  if (!value.IsArray()) throw LlamaException(code::kInvalidArgument, std::string(name) + " must be an array of strings");
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    out.push_back(args::String(list.Get(i), name));
    if (out.back().empty()) throw LlamaException(code::kInvalidArgument, std::string(name) + " must not contain an empty string");
  }
  return out;
}

// force_words_ids: each entry a phrase (token ids) or a disjunction (lists of token ids).
std::vector<generation::beam::ConstraintSpec> Constraints(Napi::Value value, int32_t nVocab) {
  std::vector<generation::beam::ConstraintSpec> out;
  if (value.IsUndefined() || value.IsNull()) return out;
  if (!value.IsArray()) throw LlamaException(code::kInvalidArgument, "beam.constraints must be an array");
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value entry = list.Get(i);
    if (!entry.IsArray() || entry.As<Napi::Array>().Length() == 0) {
      throw LlamaException(code::kInvalidArgument, "force_words_ids entries must be non-empty lists");
    }
    Napi::Array words = entry.As<Napi::Array>();
    generation::beam::ConstraintSpec spec;
    spec.disjunctive = words.Get(0u).IsArray();
    if (spec.disjunctive) {
      for (uint32_t w = 0; w < words.Length(); w++) spec.words.push_back(args::Tokens(words.Get(w), "force_words_ids", nVocab));
    } else {
      spec.words.push_back(args::Tokens(words, "force_words_ids", nVocab));
    }
    out.push_back(std::move(spec));
  }
  generation::beam::MakeConstraints(out);  // throws on an empty word, or a word that is a prefix of another
  return out;
}

generation::beam::BeamConfig ParseBeam(Napi::Object o, const Request& r, const ContextState& state) {
  using generation::beam::EarlyStopping;
  generation::beam::BeamConfig c;
  const auto lanes = static_cast<int64_t>(r.outputs.size());
  c.numBeams = static_cast<int32_t>(args::Integer(o.Get("numBeams"), "numBeams", 2, lanes));
  if (c.numBeams != lanes) throw LlamaException(code::kInvalidArgument, "a beam search needs one output (sequence) per beam");
  if (static_cast<uint32_t>(c.numBeams) > state.nBatch) {
    throw LlamaException(code::kInvalidArgument, "num_beams (" + std::to_string(c.numBeams) + ") must not exceed the context's batchSize (" +
                                                     std::to_string(state.nBatch) + "): every beam is decoded in one batch");
  }
  c.groups = static_cast<int32_t>(args::OptionalInteger(o, "groups", 1, 1, c.numBeams));
  if (c.numBeams % c.groups != 0) throw LlamaException(code::kInvalidArgument, "num_beam_groups must divide num_beams");
  c.numReturn = static_cast<int32_t>(args::OptionalInteger(o, "numReturnSequences", 1, 1, c.numBeams));
  Napi::Value penalty = o.Get("lengthPenalty");
  if (!penalty.IsUndefined()) {
    if (!penalty.IsNumber() || !std::isfinite(penalty.As<Napi::Number>().DoubleValue())) {
      throw LlamaException(code::kInvalidArgument, "lengthPenalty must be a finite number");
    }
    c.lengthPenalty = penalty.As<Napi::Number>().DoubleValue();
  }
  const std::string early = args::OptionalEnum(o, "earlyStopping", "false", {"true", "false", "never"});
  c.earlyStopping = early == "true" ? EarlyStopping::kTrue : early == "never" ? EarlyStopping::kNever : EarlyStopping::kFalse;
  c.doSample = args::OptionalBool(o, "doSample", false);
  c.seed = static_cast<uint64_t>(args::OptionalInteger(o, "seed", 0, 0, 4294967295LL));
  c.constraints = Constraints(o.Get("constraints"), state.nVocab);
  if (!c.constraints.empty() && (c.groups > 1 || c.doSample)) {
    throw LlamaException(code::kInvalidArgument, "constrained beam search (force_words_ids) works without groups and without sampling");
  }
  return c;
}

Request ParseRequest(Napi::Env env, Napi::Object o, const ContextState& state, const llama_vocab* vocab) {
  Request r;
  r.prompt = args::Tokens(o.Get("prompt"), "prompt", state.nVocab);
  if (r.prompt.empty()) throw LlamaException(code::kInvalidArgument, "the prompt must not be empty");
  if (r.prompt.size() > state.nCtxSeq) {
    throw LlamaException(code::kContextOverflow, "the prompt has " + std::to_string(r.prompt.size()) +
                                                     " tokens; a sequence of this context holds at most " +
                                                     std::to_string(state.nCtxSeq));
  }
  r.keep = static_cast<int32_t>(args::OptionalInteger(o, "keep", 0, 0, static_cast<int64_t>(r.prompt.size()) - 1));
  if (!o.Get("outputs").IsArray()) throw LlamaException(code::kInvalidArgument, "outputs must be an array");
  Napi::Array outputs = o.Get("outputs").As<Napi::Array>();
  if (outputs.Length() == 0 || outputs.Length() > state.nSeqMax) {
    throw LlamaException(code::kInvalidArgument, "a request needs 1 to " + std::to_string(state.nSeqMax) + " outputs");
  }
  std::set<llama_seq_id> seen;
  for (uint32_t i = 0; i < outputs.Length(); i++) {
    Napi::Object spec = args::OptionalObject(outputs.Get(i), "output");
    generation::Output out;
    out.sequence = static_cast<llama_seq_id>(args::Integer(spec.Get("sequence"), "sequence", 0, state.nSeqMax - 1));
    if (!seen.insert(out.sequence).second) throw LlamaException(code::kInvalidArgument, "outputs must use distinct sequences");
    if (!spec.Get("plan").IsObject()) throw LlamaException(code::kInvalidArgument, "each output needs a sampler plan");
    out.chain = sampling::BuildChain(spec.Get("plan").As<Napi::Object>(), vocab);
    if (out.chain->vocabSize() != static_cast<size_t>(state.nVocab)) {
      throw LlamaException(code::kInvalidArgument, "the sampler plan is for another vocabulary size");
    }
    out.chain->SetPrompt(r.prompt);
    r.outputs.push_back(std::move(out));
  }
  if (!o.Get("eos").IsUndefined()) r.eos = args::Tokens(o.Get("eos"), "eos", state.nVocab);
  r.stopStrings = Strings(o.Get("stopStrings"), "stopStrings");
  r.includeStopString = args::OptionalBool(o, "includeStopString", true);
  r.maxNewTokens = static_cast<int32_t>(args::OptionalInteger(o, "maxNewTokens", 1, 1, kMaxTokens));
  Napi::Value maxTime = o.Get("maxTimeMs");
  if (!maxTime.IsUndefined() && !maxTime.IsNull()) {
    if (!maxTime.IsNumber() || !(maxTime.As<Napi::Number>().DoubleValue() > 0)) {
      throw LlamaException(code::kInvalidArgument, "maxTimeMs must be a positive number");
    }
    r.maxTimeMs = maxTime.As<Napi::Number>().DoubleValue();
  }
  r.topLogprobs = static_cast<int32_t>(args::OptionalInteger(o, "topLogprobs", -1, -1, 1000));
  r.outputScores = args::OptionalBool(o, "outputScores", false);
  r.outputLogits = args::OptionalBool(o, "outputLogits", false);
  r.useCache = args::OptionalBool(o, "useCache", true);
  r.contextShiftKeep = static_cast<int32_t>(args::OptionalInteger(o, "contextShiftKeep", -1, -1, kMaxTokens));
  r.queueCapacity = static_cast<size_t>(args::OptionalInteger(o, "queueCapacity", 64, 1, kMaxTokens));
  r.chunkInterval = std::chrono::microseconds(args::OptionalInteger(o, "chunkIntervalUs", 16000, 0, kMaxChunkIntervalUs));
  r.special = args::OptionalBool(o, "special", false);
  Napi::Value beam = o.Get("beam");
  if (!beam.IsUndefined() && !beam.IsNull()) r.beam = ParseBeam(args::OptionalObject(beam, "beam"), r, state);
  Napi::Value speculative = o.Get("speculative");
  if (!speculative.IsUndefined() && !speculative.IsNull()) {
    Napi::Array plans = Napi::Array::New(env, outputs.Length());
    for (uint32_t i = 0; i < outputs.Length(); i++) plans.Set(i, outputs.Get(i).As<Napi::Object>().Get("plan"));
    AttachDrafters(env, args::OptionalObject(speculative, "speculative"), plans, r, state, vocab);
  }
  return r;
}

}  // namespace

Napi::Function Generation::Init(Napi::Env env) {
  return DefineClass(env, "NativeGeneration",
                     {
                         InstanceMethod<&Generation::Read>("read"),
                         InstanceMethod<&Generation::Abort>("abort"),
                         InstanceMethod<&Generation::Ref>("ref"),
                         InstanceMethod<&Generation::Unref>("unref"),
                         InstanceMethod<&Generation::SetStreaming>("setStreaming"),
                     });
}

Generation::Generation(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Generation>(info) {
  if (info.Length() != 0) throw MakeError(info.Env(), code::kInvalidArgument, "generations are created by context.generate()");
}

Generation::~Generation() {
  // Collected while running (nobody can read it any more): stop it.
  if (job_) {
    job_->abort = true;
    if (auto engine = engine_.lock()) engine->Wake(true);
  }
}

// generate(request, onReadable) -> NativeGeneration
Napi::Value Generation::Start(const Napi::CallbackInfo& info, const ContextStatePtr& state,
                              const std::shared_ptr<generation::Engine>& engine) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw LlamaException(code::kInvalidArgument, "generate needs a request object");
  if (!info[1].IsFunction()) throw LlamaException(code::kInvalidArgument, "generate needs a notification callback");
  const llama_vocab* vocab = llama_model_get_vocab(state->model.get());
  auto job = std::make_shared<Job>(ParseRequest(env, info[0].As<Napi::Object>(), *state, vocab));

  auto* keep = new std::shared_ptr<Job>(job);
  Napi::ThreadSafeFunction notify = Napi::ThreadSafeFunction::New(
      env, info[1].As<Napi::Function>(), "llama-generate:generation", 0, 1, keep,
      [](Napi::Env, std::shared_ptr<Job>* data) {
        (*data)->NotifierFinalized();
        delete data;
      });
  job->SetNotifier(notify);

  Napi::Object handle = AddonData::Get(env)->generationClass.New({});
  Generation* self = Generation::Unwrap(handle);
  self->job_ = job;
  self->engine_ = engine;
  try {
    engine->Submit(job);
  } catch (...) {
    self->job_.reset();
    notify.Release();
    throw;
  }
  return handle;
}

Napi::Value Generation::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!job_) return env.Null();
  bool wasPaused = false;
  Delivery d = job_->Read(wasPaused);
  const bool finished = d.finish.has_value();
  Napi::Object out = DeliveryToJs(env, AddonData::Get(env)->deliveryKeys, d);
  if (finished) {
    job_.reset();
  } else if (wasPaused) {
    if (auto engine = engine_.lock()) engine->Wake();  // room in the queue again
  }
  return out;
}

Napi::Value Generation::Abort(const Napi::CallbackInfo& info) {
  if (job_) {
    job_->abort = true;
    if (auto engine = engine_.lock()) engine->Wake(true);
  }
  return info.Env().Undefined();
}

Napi::Value Generation::Ref(const Napi::CallbackInfo& info) {
  if (job_) job_->SetReferenced(info.Env(), true);
  return info.Env().Undefined();
}

Napi::Value Generation::Unref(const Napi::CallbackInfo& info) {
  if (job_) job_->SetReferenced(info.Env(), false);
  return info.Env().Undefined();
}

Napi::Value Generation::SetStreaming(const Napi::CallbackInfo& info) {
  if (!info[0].IsBoolean()) throw LlamaException(code::kInvalidArgument, "setStreaming needs a boolean");
  if (job_) {
    job_->streaming = info[0].As<Napi::Boolean>().Value();
    if (auto engine = engine_.lock()) engine->Wake();  // chunks held back go out at the next step
  }
  return info.Env().Undefined();
}

}  // namespace lg
