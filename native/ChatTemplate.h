// ChatTemplate: messages rendered with llama.cpp's built-in chat templates
// (llama_chat_apply_template recognises the common template families).
#pragma once

#include <napi.h>

namespace lg {

// applyChatTemplate(template: string, messages: {role, content}[], addGenerationPrompt: boolean) -> string
Napi::Value ApplyChatTemplate(const Napi::CallbackInfo& info);

}  // namespace lg
