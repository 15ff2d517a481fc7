#include "GrammarStats.h"

#include "grammar/GrammarCache.h"

namespace lg {

Napi::Value GrammarCacheStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<grammar::CacheEntryInfo> entries = grammar::CacheInfo();
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); i++) {
    const grammar::CacheEntryInfo& e = entries[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("vocabSize", e.vocabSize);
    o.Set("root", e.root);
    o.Set("textBytes", static_cast<double>(e.textBytes));
    o.Set("uses", static_cast<double>(e.uses));
    o.Set("compileMs", e.stats.compileMs);
    o.Set("trieMs", e.trieMs);
    o.Set("positions", static_cast<double>(e.stats.positions));
    o.Set("eager", static_cast<double>(e.stats.eager));
    o.Set("lazy", static_cast<double>(e.stats.lazy));
    o.Set("visits", static_cast<double>(e.stats.visits));
    o.Set("dependentNodes", static_cast<double>(e.stats.dependentNodes));
    o.Set("fallback", static_cast<double>(e.stats.fallback));
    o.Set("bytes", static_cast<double>(e.stats.bytes));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value GrammarCacheClear(const Napi::CallbackInfo& info) {
  grammar::ClearCache();
  return info.Env().Undefined();
}

}  // namespace lg
