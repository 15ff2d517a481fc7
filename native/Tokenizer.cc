#include "Tokenizer.h"

#include "Errors.h"

#include <climits>

namespace lg::tokenizer {

namespace {

// llama.cpp asserts (aborting the process) when a model without a vocabulary
// is asked to tokenize or to render a token, and when a special token it must
// add was disabled at load (an id out of the vocabulary's range): check first.
// Such a model still generates token ids; their text is empty.
bool HasVocabulary(const llama_vocab* vocab) { return llama_vocab_type(vocab) != LLAMA_VOCAB_TYPE_NONE; }

void CheckVocabulary(const llama_vocab* vocab) {
  if (!HasVocabulary(vocab)) {
    throw LlamaException(code::kUnsupported, "the model has no vocabulary (tokenizer.ggml.model is no_vocab): pass token ids");
  }
}

void CheckSpecialTokens(const llama_vocab* vocab) {
  const auto missing = [](llama_token id) { return id == LLAMA_TOKEN_NULL; };
  const char* absent = nullptr;
  if (llama_vocab_get_add_bos(vocab) && missing(llama_vocab_bos(vocab))) absent = "BOS";
  else if (llama_vocab_get_add_eos(vocab) && missing(llama_vocab_eos(vocab))) absent = "EOS";
  else if (llama_vocab_type(vocab) == LLAMA_VOCAB_TYPE_WPM && (missing(llama_vocab_bos(vocab)) || missing(llama_vocab_sep(vocab)))) absent = "CLS/SEP";
  if (absent != nullptr) {
    throw LlamaException(code::kUnsupported, std::string("the model adds a ") + absent +
                                                " token but has none (its id is outside the vocabulary); tokenize with addSpecial: false");
  }
}

}  // namespace

std::vector<llama_token> Tokenize(const llama_vocab* vocab, const std::string& text, bool addSpecial, bool parseSpecial) {
  CheckVocabulary(vocab);
  if (addSpecial) CheckSpecialTokens(vocab);
  if (text.size() > static_cast<size_t>(INT32_MAX) / 2) {
    throw LlamaException(code::kInvalidArgument, "text is too long to tokenize");
  }
  const auto length = static_cast<int32_t>(text.size());
  std::vector<llama_token> tokens(static_cast<size_t>(length) + 2);
  int32_t n = llama_tokenize(vocab, text.data(), length, tokens.data(), static_cast<int32_t>(tokens.size()), addSpecial,
                             parseSpecial);
  if (n < 0) {
    tokens.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab, text.data(), length, tokens.data(), static_cast<int32_t>(tokens.size()), addSpecial,
                       parseSpecial);
  }
  if (n < 0) throw LlamaException(code::kInternal, "tokenization failed");
  tokens.resize(static_cast<size_t>(n));
  return tokens;
}

std::string Detokenize(const llama_vocab* vocab, const std::vector<llama_token>& tokens, bool removeSpecial,
                       bool unparseSpecial) {
  if (tokens.empty() || !HasVocabulary(vocab)) return {};
  std::string text(tokens.size() * 8, '\0');
  auto call = [&] {
    return llama_detokenize(vocab, tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                            static_cast<int32_t>(text.size()), removeSpecial, unparseSpecial);
  };
  int32_t n = call();
  if (n < 0) {
    text.resize(static_cast<size_t>(-n));
    n = call();
  }
  if (n < 0) throw LlamaException(code::kInternal, "detokenization failed");
  text.resize(static_cast<size_t>(n));
  return text;
}

std::string Piece(const llama_vocab* vocab, llama_token token, bool special) {
  if (!HasVocabulary(vocab)) return {};
  std::string piece(16, '\0');
  int32_t n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, special);
  if (n < 0) {
    piece.resize(static_cast<size_t>(-n));
    n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, special);
  }
  if (n < 0) throw LlamaException(code::kInternal, "token_to_piece failed");
  piece.resize(static_cast<size_t>(n));
  return piece;
}

}  // namespace lg::tokenizer
