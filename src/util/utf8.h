// The one UTF-8 helper every stage uses: strict decoding (errors name the
// byte offset), encoding, counting code points, and foreign text as one
// line of a message.
#pragma once

#include <string>
#include <string_view>

namespace glyph {

// Decodes the code point at s[i] and advances i. Throws InputError for
// invalid UTF-8 (overlong, surrogates, truncated, out of range).
char32_t decode_utf8(std::string_view s, size_t& i);
// The same without throwing: false (i unchanged) where s[i] starts no valid sequence.
bool try_decode_utf8(std::string_view s, size_t& i, char32_t& cp);
void append_utf8(std::string& out, char32_t cp);
// Code points in s: what "characters" means in every count glyph reports.
// Counts lead bytes, so it never fails (invalid input is checked elsewhere).
size_t count_code_points(std::string_view s);
// Text from elsewhere (a server's error body, a model's reply) as one line of
// a message: whitespace runs become one space, other control characters go,
// and past `limit` bytes it is cut on a code point boundary and ends "...".
std::string one_line(std::string_view text, size_t limit);

}  // namespace glyph
