// LlamaStage: runs one of llama.cpp's own samplers (penalties, DRY, grammar,
// XTC, top-n-sigma, dynamic temperature, tail-free...) as a Stage: the finite
// scores go in as a llama_token_data_array, what the sampler leaves comes back
// and every other token becomes -inf.
#pragma once

#include "Stage.h"

#include <memory>
#include <string>

namespace lg::sampling {

class LlamaStage : public Stage {
 public:
  // Takes ownership of `sampler`. `acceptPrompt`: whether prompt tokens are
  // fed to it (penalties: yes, as llama-server does; grammar: no).
  LlamaStage(std::string name, llama_sampler* sampler, bool acceptPrompt);
  const char* Name() const override { return name_.c_str(); }
  void Apply(Scores& scores, const History& history, Candidates& candidates) override;
  void Accept(llama_token token, bool isPrompt) override;
  void Reset() override;
  bool Stateful() const override { return true; }

 private:
  struct Free {
    void operator()(llama_sampler* s) const { llama_sampler_free(s); }
  };
  std::string name_;
  std::unique_ptr<llama_sampler, Free> sampler_;
  bool acceptPrompt_;
  std::vector<llama_token_data> buffer_;
  std::vector<int32_t> kept_;
};

}  // namespace lg::sampling
