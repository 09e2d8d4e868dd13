// GPT-2's byte-level alphabet: each byte is spelled as one printable code
// point in vocabulary strings; the encoder works on raw bytes instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace glyph::tokens {

// The split pattern a ByteLevel pre-tokenizer uses when use_regex is set.
inline constexpr const char* kGpt2SplitPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

// UTF-8 of the code point that spells `byte` in a byte-level vocabulary.
std::string byte_level_spelling(uint8_t byte);

// The raw bytes a vocabulary string spells; false if it holds a code point
// outside the byte-level alphabet (such a token can never come out of BPE).
bool decode_byte_level(std::string_view spelling, std::string& bytes);

}  // namespace glyph::tokens
