// GrammarStage: stage 3 of the chain (`grammar`, `json_schema`, lazy grammars)
// on the engine of this directory, with llama.cpp's grammar semantics.
//
// Built where the chain is built (the JS thread for generate() and
// createSampler()), where it only parses the grammar, so a grammar llama.cpp
// refuses fails at once. The compile (or the cache hit) happens at first use:
// on the generation's engine thread for generate(), so a large compile never
// blocks the JS thread and its errors end that generation; on the calling
// thread for a Sampler used from JS.
//
// LLAMA_GENERATE_GRAMMAR_ENGINE=llama.cpp (or the stage descriptor's
// `engine: 'llama.cpp'`) selects llama.cpp's own grammar sampler instead.
#pragma once

#include "../sampling/Stage.h"
#include "GrammarMatcher.h"
#include "LazyTrigger.h"

#include <memory>
#include <string>
#include <vector>

namespace lg::grammar {

class GrammarStage : public sampling::Stage {
 public:
  GrammarStage(const llama_vocab* vocab, std::string text, std::string root, bool lazy, const std::vector<std::string>& triggerPatterns,
               std::vector<int32_t> triggerTokens);
  const char* Name() const override { return "grammar"; }
  void Apply(sampling::Scores& scores, const sampling::History& history, sampling::Candidates& candidates) override;
  void Accept(llama_token token, bool isPrompt) override;
  void Reset() override;
  bool Stateful() const override { return true; }
  bool CheckArgmaxFirst() override;
  bool Keeps(llama_token token) override;

 private:
  void Ready();

  const llama_vocab* vocab_;
  std::string text_;
  std::string root_;
  std::shared_ptr<const GrammarRules> rules_;  // parsed, until compiled
  std::shared_ptr<CompiledGrammar> compiled_;
  std::unique_ptr<GrammarMatcher> matcher_;
  std::unique_ptr<TokenMask> mask_;
  LazyTrigger trigger_;
  std::vector<std::pair<int32_t, std::string>> replay_;
};

// Whether a grammar stage uses llama.cpp's sampler: `engine` ('llama.cpp' or
// 'llama-generate'; empty: LLAMA_GENERATE_GRAMMAR_ENGINE, else ours).
bool UseLlamaCppEngine(const std::string& engine);

}  // namespace lg::grammar
