// Accounting against a render folder's manifest.json: the page extents a
// manifest records, and the token counts written back into it. Kept apart
// from accounting.h so that its signatures carry no JSON type.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "glyph/accounting.h"

namespace glyph {

// From a renderer manifest ("pages": [{"width", "height", "text_begin", "text_end"}, ...]).
// Throws InputError naming the page and key when one is missing or not a number.
std::vector<PageExtent> page_extents(const nlohmann::json& manifest);

// Adds "text_tokens" and "vision_tokens" to every manifest page and an
// "accounting" object (profile, tokenizer, totals, ratio) at the top level.
void add_to_manifest(nlohmann::json& manifest, const CompressionStats& stats, const std::string& tokenizer_name);

}  // namespace glyph
