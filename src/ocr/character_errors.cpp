// Character error rate between a source text and what OCR read back.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <string>
#include <vector>

#include "glyph/ocr.h"
#include "util/normalize.h"

namespace glyph {
namespace {

bool is_cjk(UChar32 c) {
    if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF)) return true;  // CJK and full-width punctuation
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &status);
    return U_SUCCESS(status) && (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA ||
                                 script == USCRIPT_KATAKANA || script == USCRIPT_BOPOMOFO);
}

// Whether whitespace between `before` and `after` is none a reader sees on
// the page: Chinese sets no word spaces, so a line break between two Han
// characters is only the renderer's, and the spaces Tesseract puts between
// Han characters, or after a full-width "；" (whose cell is half blank), are
// not in the text. Between a CJK character and a Latin letter or a digit the
// page shows a real space when the text has one, so that one counts.
bool space_is_unseen(UChar32 before, UChar32 after) {
    const auto spaced_word_char = [](UChar32 c) { return u_isalnum(c) && !is_cjk(c); };
    return (is_cjk(before) || is_cjk(after)) && !spaced_word_char(before) && !spaced_word_char(after);
}

// NFKC, so that what a reader sees as the same character compares equal:
// Tesseract reads full-width CJK punctuation ("；（！") as its ASCII form,
// and may emit ligatures ("ﬁ") or "..." for "…". Invalid UTF-8 becomes U+FFFD.
std::string nfkc(std::string_view text) {
    std::string valid;
    icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), int32_t(std::min<size_t>(text.size(), INT32_MAX))))
        .toUTF8String(valid);
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
    if (U_FAILURE(status)) return valid;
    std::string normalized;
    const bool changed = normalize_utf8(*nfkc, valid, normalized, status);
    return changed && U_SUCCESS(status) ? normalized : valid;
}

// Typographic quotes as their ASCII forms. Tesseract's English model reads
// a curly apostrophe as ' at every size we render (128 of 160 in a chapter
// of prose, at the en preset too), so counting the difference measured its
// alphabet, not the page's legibility. NFKC leaves these alone.
char32_t plain_quote(char32_t c) {
    switch (c) {
        case U'\u2018': case U'\u2019': case U'\u201A': case U'\u201B': case U'\u2032': return U'\'';
        case U'\u201C': case U'\u201D': case U'\u201E': case U'\u201F': return U'"';
        default: return c;
    }
}

// Code points after NFKC, quotes plain and whitespace folded; invalid UTF-8
// becomes U+FFFD, so both sides are compared on the same footing rather than rejected.
std::u32string normalize(std::string_view raw) {
    const std::string normalized = nfkc(raw);
    const std::string_view text = normalized;
    std::u32string folded;
    folded.reserve(text.size());
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const int32_t length = int32_t(std::min<size_t>(text.size(), INT32_MAX));
    bool pending_space = false;
    for (int32_t i = 0; i < length;) {
        UChar32 c;
        U8_NEXT(s, i, length, c);
        if (c < 0) c = 0xFFFD;
        if (u_isUWhiteSpace(c)) {
            pending_space = !folded.empty();
            continue;
        }
        if (pending_space && !space_is_unseen(UChar32(folded.back()), c)) folded += U' ';
        pending_space = false;
        folded += plain_quote(char32_t(c));
    }
    return folded;
}

// Levenshtein distance with two rows (memory O(min(n, m))), after stripping
// the common prefix and suffix, which on a well-read page is most of it.
size_t edit_distance(std::u32string_view a, std::u32string_view b) {
    while (!a.empty() && !b.empty() && a.front() == b.front()) {
        a.remove_prefix(1);
        b.remove_prefix(1);
    }
    while (!a.empty() && !b.empty() && a.back() == b.back()) {
        a.remove_suffix(1);
        b.remove_suffix(1);
    }
    if (a.size() < b.size()) std::swap(a, b);
    if (b.empty()) return a.size();

    std::vector<uint32_t> previous(b.size() + 1), current(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) previous[j] = uint32_t(j);
    for (size_t i = 1; i <= a.size(); ++i) {
        current[0] = uint32_t(i);
        const char32_t ai = a[i - 1];
        for (size_t j = 1; j <= b.size(); ++j) {
            const uint32_t substitute = previous[j - 1] + (ai != b[j - 1]);
            const uint32_t remove_or_insert = std::min(previous[j], current[j - 1]) + 1;
            current[j] = std::min(substitute, remove_or_insert);
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

}  // namespace

CharacterErrors character_errors(std::string_view reference, std::string_view hypothesis) {
    const std::u32string ref = normalize(reference);
    const std::u32string hyp = normalize(hypothesis);
    return {edit_distance(ref, hyp), ref.size()};
}

double character_error_rate(std::string_view reference, std::string_view hypothesis) {
    const CharacterErrors errors = character_errors(reference, hypothesis);
    if (errors.reference_length == 0) return errors.edits == 0 ? 0.0 : 1.0;
    return double(errors.edits) / double(errors.reference_length);
}

}  // namespace glyph
