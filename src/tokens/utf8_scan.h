// UTF-8 validity scanning shared by the tokenizer's input repair and matcher.
#pragma once

#include <cstddef>
#include <string_view>

namespace glyph::tokens {

// Offset of the first byte (at or after `from`) that does not start a
// well-formed UTF-8 sequence, or s.size() if the rest is valid.
size_t valid_utf8_prefix(std::string_view s, size_t from);

// Length (1-4) of the well-formed sequence starting at s[i], or 0 if invalid.
size_t utf8_sequence_length(std::string_view s, size_t i);

}  // namespace glyph::tokens
