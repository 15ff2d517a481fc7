#include "Tokenizer.h"

#include "Errors.h"

#include <climits>

namespace lg::tokenizer {

std::vector<llama_token> Tokenize(const llama_vocab* vocab, const std::string& text, bool addSpecial, bool parseSpecial) {
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
  if (tokens.empty()) return {};
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
