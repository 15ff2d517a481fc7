#include "ChatTemplate.h"

#include "Args.h"
#include "Errors.h"

#include <llama.h>

#include <string>
#include <vector>

namespace lg {

Napi::Value ApplyChatTemplate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, [&]() -> Napi::Value {
    const std::string tmpl = args::String(info[0], "template");
    if (!info[1].IsArray()) throw LlamaException(code::kInvalidArgument, "messages must be an array");
    Napi::Array list = info[1].As<Napi::Array>();
    std::vector<std::string> roles, contents;
    size_t total = tmpl.size();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value item = list.Get(i);
      if (!item.IsObject()) throw LlamaException(code::kInvalidArgument, "messages[" + std::to_string(i) + "] must be an object");
      Napi::Object m = item.As<Napi::Object>();
      roles.push_back(args::String(m.Get("role"), "role"));
      contents.push_back(args::String(m.Get("content"), "content"));
      total += roles.back().size() + contents.back().size();
    }
    std::vector<llama_chat_message> messages;
    for (size_t i = 0; i < roles.size(); i++) messages.push_back({roles[i].c_str(), contents[i].c_str()});
    const bool addAssistant = info[2].ToBoolean();
    std::string out(total * 2 + 256, '\0');
    auto apply = [&] {
      return llama_chat_apply_template(tmpl.c_str(), messages.data(), messages.size(), addAssistant, out.data(),
                                       static_cast<int32_t>(out.size()));
    };
    int32_t n = apply();
    if (n > static_cast<int32_t>(out.size())) {
      out.resize(static_cast<size_t>(n));
      n = apply();
    }
    if (n < 0) {
      throw LlamaException(code::kUnsupported,
                           "this chat template is not one llama.cpp's built-in template support recognises; "
                           "format the prompt yourself or pass chatTemplate with a supported template name (e.g. 'chatml')");
    }
    out.resize(static_cast<size_t>(n));
    return Napi::String::New(env, out);
  });
}

}  // namespace lg
