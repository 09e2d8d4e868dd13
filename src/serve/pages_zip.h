// A segment's pages as one zip archive (page_001.png ..., manifest.json),
// built in memory for download.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "serve/segment_cache.h"

namespace glyph::serve {

// PNGs are stored, not deflated again. Throws std::runtime_error from libzip.
std::string zip_pages(const Segment& segment, const nlohmann::json& manifest);

}  // namespace glyph::serve
