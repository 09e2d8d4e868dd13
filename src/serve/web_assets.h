// The web app's files (web/), compiled into the binary at build time by
// cmake/embed_web.cmake.
#pragma once

#include <span>
#include <string_view>

namespace glyph::serve {

struct WebAsset {
    std::string_view path;  // "/index.html"
    std::string_view data;
};

std::span<const WebAsset> web_assets();

}  // namespace glyph::serve
