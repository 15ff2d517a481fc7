// Tokenizer: text <-> token ids over a model's vocabulary. Callers validate
// token ids first (Args::Tokens); these functions assume ids are in range.
#pragma once

#include <llama.h>

#include <string>
#include <vector>

namespace lg::tokenizer {

std::vector<llama_token> Tokenize(const llama_vocab* vocab, const std::string& text, bool addSpecial, bool parseSpecial);
std::string Detokenize(const llama_vocab* vocab, const std::vector<llama_token>& tokens, bool removeSpecial,
                       bool unparseSpecial);
// The raw bytes of one token (may be part of a UTF-8 character).
std::string Piece(const llama_vocab* vocab, llama_token token, bool special);

}  // namespace lg::tokenizer
