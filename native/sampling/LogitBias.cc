#include "LogitBias.h"

namespace lg::sampling {
namespace {

class LogitBiasStage : public Stage {
 public:
  explicit LogitBiasStage(std::vector<std::pair<llama_token, float>> biases) : biases_(std::move(biases)) {}
  const char* Name() const override { return "logit_bias"; }

  void Apply(Scores& scores, const History&, Candidates&) override {
    for (const auto& [token, bias] : biases_)
      if (scores[static_cast<size_t>(token)] != -INFINITY) scores[static_cast<size_t>(token)] += bias;  // llama.cpp biases only the tokens still there
  }

 private:
  std::vector<std::pair<llama_token, float>> biases_;
};

}  // namespace

std::unique_ptr<Stage> LogitBias(std::vector<std::pair<llama_token, float>> biases) {
  return std::make_unique<LogitBiasStage>(std::move(biases));
}

}  // namespace lg::sampling
