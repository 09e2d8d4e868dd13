// Word lists for RULER's synthetic tasks (our own, in src/eval/ruler_words.cpp).
#pragma once

#include <string>
#include <vector>

namespace glyph::eval {

// Lowercase ASCII letters only, sorted, without repeats within a list.
const std::vector<std::string>& ruler_nouns();
const std::vector<std::string>& ruler_adjectives();
const std::vector<std::string>& ruler_verbs();

}  // namespace glyph::eval
