#include "Context.h"

#include "AddonData.h"
#include "Args.h"
#include "ContextWorkers.h"
#include "EmbedWorker.h"
#include "Generation.h"
#include "KvCache.h"
#include "StateIO.h"

namespace lg {

Napi::Function Context::Init(Napi::Env env) {
  return DefineClass(env, "NativeContext",
                     {
                         InstanceMethod<&Context::Info>("info"),
                         InstanceMethod<&Context::Evaluate>("evaluate"),
                         InstanceMethod<&Context::Generate>("generate"),
                         InstanceMethod<&Context::Embed>("embed"),
                         InstanceMethod<&Context::ClearAll>("clearAll"),
                         InstanceMethod<&Context::ClearSequence>("clearSequence"),
                         InstanceMethod<&Context::RemoveTokens>("removeTokens"),
                         InstanceMethod<&Context::CopySequence>("copySequence"),
                         InstanceMethod<&Context::KeepSequence>("keepSequence"),
                         InstanceMethod<&Context::ShiftPositions>("shiftPositions"),
                         InstanceMethod<&Context::SequencePositions>("sequencePositions"),
                         InstanceMethod<&Context::SaveState>("saveState"),
                         InstanceMethod<&Context::LoadState>("loadState"),
                         InstanceMethod<&Context::Stats>("stats"),
                         InstanceMethod<&Context::Dispose>("dispose"),
                         InstanceMethod<&Context::IsDisposed>("isDisposed"),
                     });
}

Context::Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw MakeError(info.Env(), code::kInvalidArgument, "contexts are created by model.createContext()");
  }
  state_ = *info[0].As<Napi::External<ContextStatePtr>>().Data();
}

Context::~Context() {
  if (engine_) engine_->Stop();
}

const ContextStatePtr& Context::State(Napi::Env env) const {
  if (!state_) throw MakeError(env, code::kDisposed, "the context has been disposed");
  return state_;
}

ContextStatePtr Context::StateOf(Napi::Env env, Napi::Value value, const char* name) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(AddonData::Get(env)->contextClass.Value())) {
    throw LlamaException(code::kInvalidArgument, std::string(name) + " must be a context");
  }
  const ContextStatePtr& state = Context::Unwrap(value.As<Napi::Object>())->state_;
  if (!state) throw LlamaException(code::kDisposed, std::string(name) + " has been disposed");
  return state;
}

llama_seq_id Context::Sequence(Napi::Value value, const char* name) const {
  const auto max = static_cast<int64_t>(State(value.Env())->nSeqMax) - 1;
  return static_cast<llama_seq_id>(args::Integer(value, name, 0, max));
}

llama_pos Context::Position(Napi::Value value, const char* name) {
  if (value.IsUndefined() || value.IsNull()) return -1;
  return static_cast<llama_pos>(args::Integer(value, name, -1, INT32_MAX));
}

Napi::Value Context::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ContextState& s = *State(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("contextSize", s.nCtx);
  out.Set("sequenceContextSize", s.nCtxSeq);
  out.Set("batchSize", s.nBatch);
  out.Set("ubatchSize", s.nUbatch);
  out.Set("sequences", s.nSeqMax);
  out.Set("vocabSize", s.nVocab);
  out.Set("unifiedKvCache", s.kvUnified);
  out.Set("threads", llama_n_threads(s.ctx.get()));
  out.Set("threadsBatch", llama_n_threads_batch(s.ctx.get()));
  out.Set("pooling", EmbedWorker::NativePoolingName(s.ctx.get()));
  return out;
}

// evaluate(tokens, sequence, logits: 'none'|'last'|'all') -> { promise, abort }
Napi::Value Context::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const ContextStatePtr& state = State(env);
    std::vector<llama_token> tokens = args::Tokens(info[0], "tokens", state->nVocab);
    if (tokens.empty()) throw LlamaException(code::kInvalidArgument, "tokens must not be empty");
    if (tokens.size() > state->nCtxSeq) {
      throw LlamaException(code::kContextOverflow, std::to_string(tokens.size()) +
                                                       " tokens exceed the context size of " +
                                                       std::to_string(state->nCtxSeq));
    }
    llama_seq_id sequence = Sequence(info[1], "sequence");
    Napi::Object options = Napi::Object::New(env);
    options.Set("logits", info[2]);
    std::string mode = args::OptionalEnum(options, "logits", "last", {"none", "last", "all"});
    auto abort = std::make_shared<std::atomic<bool>>(false);
    auto* worker = new EvaluateWorker(env, state, std::move(tokens), sequence,
                                      mode == "all" ? LogitsMode::kAll : mode == "none" ? LogitsMode::kNone : LogitsMode::kLast,
                                      abort);
    Napi::Object out = Napi::Object::New(env);
    out.Set("promise", worker->Promise());
    out.Set("abort", Napi::Function::New(env, [abort](const Napi::CallbackInfo&) { abort->store(true); }));
    worker->Queue();
    return out;
  });
}

// embed(inputs, pooling, normalize) -> { promise, abort } (see native/EmbedWorker.cc)
Napi::Value Context::Embed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value { return EmbedWorker::Start(info, State(env)); });
}

// generate(request, onReadable) -> NativeGeneration (see native/Generation.cc)
Napi::Value Context::Generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const ContextStatePtr& state = State(env);
    if (!engine_) engine_ = std::make_shared<generation::Engine>(state);
    return Generation::Start(info, state, engine_);
  });
}

Napi::Value Context::ClearAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    auto* worker = new ClearWorker(env, State(env));
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

Napi::Value Context::ClearSequence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    llama_seq_id seq = Sequence(info[0], "sequence");
    auto lock = state_->TryLock(env);
    kv::ClearSequence(*state_, seq);
    return env.Undefined();
  });
}

Napi::Value Context::RemoveTokens(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    llama_seq_id seq = Sequence(info[0], "sequence");
    llama_pos p0 = Position(info[1], "start");
    llama_pos p1 = Position(info[2], "end");
    auto lock = state_->TryLock(env);
    kv::RemoveRange(*state_, seq, p0, p1);
    return env.Undefined();
  });
}

Napi::Value Context::CopySequence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    llama_seq_id src = Sequence(info[0], "source");
    llama_seq_id dst = Sequence(info[1], "destination");
    llama_pos p0 = Position(info[2], "start");
    llama_pos p1 = Position(info[3], "end");
    auto lock = state_->TryLock(env);
    kv::CopySequence(*state_, src, dst, p0, p1);
    return env.Undefined();
  });
}

Napi::Value Context::KeepSequence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    llama_seq_id seq = Sequence(info[0], "sequence");
    auto lock = state_->TryLock(env);
    kv::KeepSequence(*state_, seq);
    return env.Undefined();
  });
}

Napi::Value Context::ShiftPositions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    llama_seq_id seq = Sequence(info[0], "sequence");
    llama_pos p0 = Position(info[1], "start");
    llama_pos p1 = Position(info[2], "end");
    auto delta = static_cast<llama_pos>(args::Integer(info[3], "delta", -INT32_MAX / 2, INT32_MAX / 2));
    auto lock = state_->TryLock(env);
    kv::ShiftPositions(*state_, seq, p0, p1, delta);
    return env.Undefined();
  });
}

Napi::Value Context::SequencePositions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    llama_seq_id seq = Sequence(info[0], "sequence");
    auto lock = state_->TryLock(env);
    auto range = kv::Positions(*state_, seq);
    if (!range) return env.Null();
    Napi::Object out = Napi::Object::New(env);
    out.Set("min", range->first);
    out.Set("max", range->second);
    return out;
  });
}

// saveState(sequence | -1, path | undefined, tokens | undefined) -> Promise<Buffer | undefined>
Napi::Value Context::SaveState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const ContextStatePtr& state = State(env);
    llama_seq_id seq = info[0].IsUndefined() ? -1 : Sequence(info[0], "sequence");
    std::string path = info[1].IsUndefined() ? std::string() : args::String(info[1], "path");
    std::vector<llama_token> tokens;
    if (!info[2].IsUndefined()) tokens = args::Tokens(info[2], "tokens", state->nVocab);
    auto* worker = new SaveStateWorker(env, state, seq, path, std::move(tokens));
    worker->Queue();
    return worker->Promise();
  });
}

// loadState(sequence | -1, path | Buffer) -> Promise<Int32Array (file) | undefined (buffer)>
Napi::Value Context::LoadState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const ContextStatePtr& state = State(env);
    llama_seq_id seq = info[0].IsUndefined() ? -1 : Sequence(info[0], "sequence");
    std::string path;
    std::vector<uint8_t> data;
    if (info[1].IsBuffer()) {
      auto buffer = info[1].As<Napi::Buffer<uint8_t>>();
      data.assign(buffer.Data(), buffer.Data() + buffer.Length());
    } else {
      path = args::String(info[1], "source");
      if (path.empty()) throw LlamaException(code::kInvalidArgument, "path must not be empty");
    }
    auto* worker = new LoadStateWorker(env, state, seq, std::move(path), std::move(data));
    worker->Queue();
    return worker->Promise();
  });
}

Napi::Value Context::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto lock = State(env)->TryLock(env);
  llama_perf_context_data perf = llama_perf_context(state_->ctx.get());
  Napi::Object out = Napi::Object::New(env);
  out.Set("promptTokens", perf.n_p_eval);
  out.Set("promptMs", perf.t_p_eval_ms);
  out.Set("evalTokens", perf.n_eval);
  out.Set("evalMs", perf.t_eval_ms);
  out.Set("loadMs", perf.t_load_ms);
  out.Set("graphsReused", perf.n_reused);
  return out;
}

Napi::Value Context::Dispose(const Napi::CallbackInfo& info) {
  if (engine_) {
    engine_->Stop();  // running generations end with DISPOSED
    engine_.reset();
  }
  state_.reset();  // an in-flight worker keeps its own reference and frees last
  return info.Env().Undefined();
}

Napi::Value Context::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !state_); }

}  // namespace lg
