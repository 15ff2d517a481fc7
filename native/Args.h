// Args: reading and range-checking values from JS before they reach
// llama.cpp. Every failure throws a LlamaError INVALID_ARGUMENT naming the
// argument.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lg::args {

// An integer in [min, max]; `name` is used in the error message.
int64_t Integer(Napi::Value value, const char* name, int64_t min, int64_t max);
// obj[key] as Integer, or `fallback` when undefined/null.
int64_t OptionalInteger(Napi::Object obj, const char* key, int64_t fallback, int64_t min, int64_t max);
bool OptionalBool(Napi::Object obj, const char* key, bool fallback);
std::string String(Napi::Value value, const char* name);
// obj[key] as a string from `allowed`, or `fallback` when undefined.
std::string OptionalEnum(Napi::Object obj, const char* key, const std::string& fallback,
                         const std::vector<std::string>& allowed);
Napi::Object OptionalObject(Napi::Value value, const char* name);
// An Int32Array (or array of integers) of token ids, each in [0, nVocab).
std::vector<int32_t> Tokens(Napi::Value value, const char* name, int32_t nVocab);

}  // namespace lg::args
