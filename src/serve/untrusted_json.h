// JSON the server did not write (request bodies, upstream replies): nesting
// depth bounded while parsing, so nothing recursive later (dump, copy) can run
// out of stack, and values quoted back in error messages kept short.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace glyph::serve {

// Deeper than any OpenAI chat request or Glyph config needs (they nest < 10).
constexpr int kMaxJsonDepth = 64;

// Parses `text`; a discarded value when it is not JSON. Throws ServeError
// naming the limit when arrays/objects nest deeper than kMaxJsonDepth.
nlohmann::json parse_untrusted_json(std::string_view text);
nlohmann::ordered_json parse_untrusted_ordered_json(std::string_view text);

// A value for an error message: scalars as JSON cut to 80 bytes, containers
// by kind ("an array of 3", "an object"), never dumped whole.
std::string brief_json(const nlohmann::json& value);

}  // namespace glyph::serve
