// Unicode normalization (NFC, NFKC, NFD, NFKD) that stays O(n log n) on any
// input. ICU puts combining marks in canonical order by insertion, so a long
// run of marks out of order costs time quadratic in its length (tens of
// seconds for a few hundred KB); runs that long are ordered here first and
// the ordered text handed to ICU, ordinary text goes to ICU as it is.
#pragma once

#include <string>
#include <string_view>

#include <unicode/normalizer2.h>

namespace glyph {

// Normalizes valid UTF-8 `text` (at most INT32_MAX bytes) with one of ICU's
// standard forms. Returns false, leaving `out` alone, when `text` is already
// normalized; otherwise `out` holds exactly what form.normalizeUTF8 gives.
// `status` reports ICU failures (out of memory).
bool normalize_utf8(const icu::Normalizer2& form, std::string_view text, std::string& out, UErrorCode& status);

// True for ranges where every character has a normalization boundary before
// it in all four forms (no decomposition starting with a mark, class 0, never
// composes with what precedes it): the scan skips ICU's lookup for them,
// which is most text.
bool always_starts_segment(UChar32 c);

}  // namespace glyph
