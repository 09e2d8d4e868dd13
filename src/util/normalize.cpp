#include "util/normalize.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <unicode/bytestream.h>
#include <unicode/stringpiece.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace glyph {
namespace {

// A segment (text between two normalization boundaries) with more code points
// than this is put in canonical order before ICU sees it. ICU's cost on a
// segment grows with the square of its length, so below this it stays a small
// constant per character.
constexpr size_t kLongSegment = 64;

void append_icu(const icu::Normalizer2& form, std::string_view piece, std::string& out, UErrorCode& status) {
    if (piece.empty() || U_FAILURE(status)) return;
    icu::StringByteSink<std::string> sink(&out, int32_t(piece.size()));
    form.normalizeUTF8(0, icu::StringPiece(piece.data(), int32_t(piece.size())), sink, nullptr, status);
}

// The segment fully decomposed and canonically ordered (every run of
// non-starters stably sorted by combining class), then given to ICU, whose
// reordering then never moves a mark: this is canonically equivalent to the
// segment, so ICU's result is the same, in O(n log n).
void append_ordered(const icu::Normalizer2& form, std::string_view segment, std::string& out, UErrorCode& status) {
    struct CodePoint {
        uint8_t ccc;
        UChar32 c;
    };
    std::vector<CodePoint> decomposed;
    decomposed.reserve(segment.size());
    icu::UnicodeString mapping;
    for (size_t i = 0; i < segment.size();) {
        UChar32 c;
        U8_NEXT_UNSAFE(segment.data(), i, c);
        if (!form.getDecomposition(c, mapping)) {
            decomposed.push_back({form.getCombiningClass(c), c});
            continue;
        }
        for (int32_t k = 0; k < mapping.length();) {
            const UChar32 d = mapping.char32At(k);
            k += U16_LENGTH(d);
            decomposed.push_back({form.getCombiningClass(d), d});
        }
    }
    const auto is_starter = [](const CodePoint& p) { return p.ccc == 0; };
    for (auto run = decomposed.begin(); run != decomposed.end();) {
        run = std::find_if_not(run, decomposed.end(), is_starter);
        const auto end = std::find_if(run, decomposed.end(), is_starter);
        std::stable_sort(run, end, [](const CodePoint& a, const CodePoint& b) { return a.ccc < b.ccc; });
        run = end;
    }
    std::string ordered;
    ordered.reserve(decomposed.size() * 3);
    for (const CodePoint& p : decomposed) {
        char bytes[U8_MAX_LENGTH];
        size_t length = 0;
        U8_APPEND_UNSAFE(bytes, length, p.c);
        ordered.append(bytes, length);
    }
    append_icu(form, ordered, out, status);
}

}  // namespace

// Latin and IPA below the combining marks, CJK ideographs, Hangul syllables.
bool always_starts_segment(UChar32 c) {
    return c < 0x300 || (c >= 0x3400 && c < 0xA000) || (c >= 0xAC00 && c <= 0xD7A3);
}

bool normalize_utf8(const icu::Normalizer2& form, std::string_view text, std::string& out, UErrorCode& status) {
    // ICU in pieces cut at boundaries (a character with hasBoundaryBefore never
    // interacts with what precedes it): short segments in long stretches as
    // they are, long ones through append_ordered.
    bool split = false;
    size_t plain_from = 0;     // text before this is in `out`
    size_t segment_from = 0;   // the current segment's first byte
    size_t segment_length = 0; // code points after its first
    const auto end_segment = [&](size_t at) {
        if (segment_length >= kLongSegment) {
            if (!split) out.clear();
            split = true;
            append_icu(form, text.substr(plain_from, segment_from - plain_from), out, status);
            append_ordered(form, text.substr(segment_from, at - segment_from), out, status);
            plain_from = at;
        }
        segment_from = at;
        segment_length = 0;
    };
    for (size_t i = 0; i < text.size();) {
        const size_t at = i;
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            // A run of ASCII: each character starts a segment, the run's last
            // one the segment that goes on after it.
            end_segment(at);
            while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
            segment_from = i - 1;
            continue;
        }
        UChar32 c;
        U8_NEXT_UNSAFE(text.data(), i, c);
        if (always_starts_segment(c) || form.hasBoundaryBefore(c)) end_segment(at);
        else ++segment_length;
    }
    end_segment(text.size());
    if (split) {
        append_icu(form, text.substr(plain_from), out, status);
        return true;
    }
    if (form.isNormalizedUTF8(icu::StringPiece(text.data(), int32_t(text.size())), status) || U_FAILURE(status))
        return false;
    out.clear();
    append_icu(form, text, out, status);
    return true;
}

}  // namespace glyph
