#include "Args.h"

#include "Errors.h"

#include <cmath>

namespace lg::args {
namespace {

[[noreturn]] void Fail(Napi::Env env, const std::string& message) {
  throw MakeError(env, code::kInvalidArgument, message);
}

}  // namespace

int64_t Integer(Napi::Value value, const char* name, int64_t min, int64_t max) {
  Napi::Env env = value.Env();
  if (!value.IsNumber()) Fail(env, std::string(name) + " must be an integer");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) Fail(env, std::string(name) + " must be an integer, got " + std::to_string(d));
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    Fail(env, std::string(name) + " must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                  std::to_string(static_cast<int64_t>(d)));
  }
  return static_cast<int64_t>(d);
}

int64_t OptionalInteger(Napi::Object obj, const char* key, int64_t fallback, int64_t min, int64_t max) {
  Napi::Value value = obj.Get(key);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  return Integer(value, key, min, max);
}

bool OptionalBool(Napi::Object obj, const char* key, bool fallback) {
  Napi::Value value = obj.Get(key);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  if (!value.IsBoolean()) Fail(obj.Env(), std::string(key) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string String(Napi::Value value, const char* name) {
  if (!value.IsString()) Fail(value.Env(), std::string(name) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

std::string OptionalEnum(Napi::Object obj, const char* key, const std::string& fallback,
                         const std::vector<std::string>& allowed) {
  Napi::Value value = obj.Get(key);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  std::string s = String(value, key);
  for (const auto& a : allowed)
    if (a == s) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  Fail(obj.Env(), std::string(key) + " must be one of " + list + ", got '" + s + "'");
}

Napi::Object OptionalObject(Napi::Value value, const char* name) {
  if (value.IsUndefined() || value.IsNull()) return Napi::Object::New(value.Env());
  if (!value.IsObject()) Fail(value.Env(), std::string(name) + " must be an object");
  return value.As<Napi::Object>();
}

std::vector<int32_t> Tokens(Napi::Value value, const char* name, int32_t nVocab) {
  Napi::Env env = value.Env();
  std::vector<int32_t> out;
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    Napi::Int32Array array = value.As<Napi::Int32Array>();
    out.assign(array.Data(), array.Data() + array.ElementLength());
  } else if (value.IsArray()) {
    Napi::Array array = value.As<Napi::Array>();
    out.reserve(array.Length());
    for (uint32_t i = 0; i < array.Length(); i++) {
      out.push_back(static_cast<int32_t>(Integer(array.Get(i), name, INT32_MIN, INT32_MAX)));
    }
  } else {
    Fail(env, std::string(name) + " must be an Int32Array or an array of token ids");
  }
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i] < 0 || out[i] >= nVocab) {
      Fail(env, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(out[i]) +
                    " is not a token id (vocabulary size " + std::to_string(nVocab) + ")");
    }
  }
  return out;
}

}  // namespace lg::args
