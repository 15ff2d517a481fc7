// Module entry point: one AddonData per environment (context-aware addon).
#include "AddonData.h"

using LlamaGenerateAddon = lg::AddonData;
NODE_API_ADDON(LlamaGenerateAddon)
