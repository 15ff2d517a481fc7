// RuleUnfolding: gives every rule outside a recursion its own copy at each
// place it is referenced (a JSON schema's `string`, `char` and `space` rules
// become one copy per property), so that what follows a rule is known from
// the rule itself and the compiler can follow it (GrammarRules'
// continuations): tokens that finish a string and go on with `",` or `}` are
// then context-independent instead of checked at run time.
//
// The language does not change, nor the shape of the parser stacks: a copy
// has the same elements (references renamed), and `origin` maps it back to
// the rule llama.cpp has, so a stack of copies is a stack of llama.cpp's.
// Rules in a recursion (JSON's free-form `value`) stay shared. The copies are
// bounded by `maxElements` in all; past it, references stay shared.
#pragma once

#include <llama-grammar.h>

#include <cstdint>
#include <vector>

namespace lg::grammar {

struct UnfoldedRules {
  llama_grammar_rules rules;    // the originals first (same ids), then the copies
  std::vector<uint32_t> origin;  // per rule: the original it copies (itself for an original)
};

UnfoldedRules Unfold(const llama_grammar_rules& rules, uint32_t root, size_t maxElements);

}  // namespace lg::grammar
