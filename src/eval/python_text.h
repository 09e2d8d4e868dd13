// Python's str semantics that the benchmark scorers depend on (lower(),
// split(), strip(), the \b, \d and \s classes of `re`), on code points, so
// that our metrics see the same characters and words as the Python originals.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace glyph::eval::py {

// UTF-8 <-> code points. Invalid UTF-8 decodes each bad byte to U+FFFD.
std::u32string decode(std::string_view utf8);
std::string encode(std::u32string_view text);

// str.isspace(): the characters str.split() and str.strip() treat as whitespace.
bool is_space(char32_t c);
// A word character of `re` on str patterns (\w): str.isalnum() or '_'.
bool is_word(char32_t c);
// \d on str patterns: a decimal digit (general category Nd).
bool is_decimal(char32_t c);

// str.lower(): full Unicode lowercase mapping, final sigma included.
std::u32string lower(std::u32string_view text);
// str.split() with no separator: runs of non-whitespace.
std::vector<std::u32string> split_whitespace(std::u32string_view text);
// str.split(sep) with a literal, non-empty separator.
std::vector<std::u32string> split(std::u32string_view text, std::u32string_view sep);
// str.strip() with no argument.
std::u32string_view strip(std::u32string_view text);
// " ".join(...)
std::u32string join(const std::vector<std::u32string>& parts, std::u32string_view sep);

// round(x, ndigits) for a float: the double nearest to x rounded to ndigits
// decimals, halves to even on the exact binary value.
double round_to(double x, int ndigits);
// round(x) for a float: nearest integer, halves to even.
long long round_half_even(double x);

}  // namespace glyph::eval::py
