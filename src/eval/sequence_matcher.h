// difflib.SequenceMatcher(None, a, b).ratio() as Python computes it, on code
// points: the matching-block decomposition (longest match first, then both
// sides recursively) with difflib's "popular element" heuristic (autojunk).
#pragma once

#include <string_view>

namespace glyph::eval {

// 2 * matched / (len(a) + len(b)); 1.0 when both are empty.
double sequence_ratio(std::u32string_view a, std::u32string_view b, bool autojunk = true);

}  // namespace glyph::eval
