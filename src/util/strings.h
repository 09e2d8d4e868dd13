// Small string helpers shared by stages that must agree on them.
#pragma once

#include <string>
#include <string_view>

namespace glyph {

// Every occurrence of `pattern` in `s`, left to right, replaced by `content`
// (Python's str.replace). An empty pattern leaves `s` as it is.
inline std::string replace_all(std::string_view s, std::string_view pattern, std::string_view content) {
    if (pattern.empty()) return std::string(s);
    std::string out;
    size_t from = 0;
    for (size_t at = s.find(pattern); at != std::string_view::npos; at = s.find(pattern, from)) {
        out.append(s.substr(from, at - from)).append(content);
        from = at + pattern.size();
    }
    out.append(s.substr(from));
    return out;
}

}  // namespace glyph
