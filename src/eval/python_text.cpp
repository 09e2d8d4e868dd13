// Python str semantics over ICU's character properties (see python_text.h).
#include "eval/python_text.h"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/locid.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/utf8.h"

namespace glyph::eval::py {

std::u32string decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        char32_t c = 0;
        if (try_decode_utf8(s, i, c)) {
            out.push_back(c);
        } else {
            out.push_back(0xFFFD);  // as Python's errors="replace": one per bad byte
            ++i;
        }
    }
    return out;
}

std::string encode(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) append_utf8(out, c);
    return out;
}

bool is_space(char32_t c) {
    // CPython's _Py_ascii_whitespace plus the non-ASCII characters whose
    // bidirectional class is WS, B or S or whose category is Zs (Unicode 14).
    if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_word(char32_t c) {
    if (c == U'_') return true;
    auto cat = u_charType(static_cast<UChar32>(c));
    bool alpha = cat == U_UPPERCASE_LETTER || cat == U_LOWERCASE_LETTER || cat == U_TITLECASE_LETTER ||
                 cat == U_MODIFIER_LETTER || cat == U_OTHER_LETTER;
    return alpha || u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_NUMERIC_TYPE) != U_NT_NONE;
}

bool is_decimal(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER; }

std::u32string lower(std::u32string_view text) {
    bool ascii = true;
    for (char32_t c : text) ascii = ascii && c < 0x80;
    std::u32string out(text);
    if (ascii) {
        for (char32_t& c : out)
            if (c >= U'A' && c <= U'Z') c += 32;
        return out;
    }
    auto u = icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                           static_cast<int32_t>(text.size()));
    u.toLower(icu::Locale::getRoot());
    out.assign(static_cast<size_t>(u.countChar32()), U'\0');
    UErrorCode status = U_ZERO_ERROR;
    u.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), status);
    return out;
}

std::vector<std::u32string> split_whitespace(std::u32string_view text) {
    std::vector<std::u32string> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) ++i;
        size_t start = i;
        while (i < text.size() && !is_space(text[i])) ++i;
        if (i > start) out.emplace_back(text.substr(start, i - start));
    }
    return out;
}

std::vector<std::u32string> split(std::u32string_view text, std::u32string_view sep) {
    std::vector<std::u32string> out;
    size_t start = 0;
    for (;;) {
        size_t hit = text.find(sep, start);
        if (hit == std::u32string_view::npos) break;
        out.emplace_back(text.substr(start, hit - start));
        start = hit + sep.size();
    }
    out.emplace_back(text.substr(start));
    return out;
}

std::u32string_view strip(std::u32string_view text) {
    size_t b = 0, e = text.size();
    while (b < e && is_space(text[b])) ++b;
    while (e > b && is_space(text[e - 1])) --e;
    return text.substr(b, e - b);
}

std::u32string join(const std::vector<std::u32string>& parts, std::u32string_view sep) {
    std::u32string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

double round_to(double x, int ndigits) {
    if (!std::isfinite(x)) return x;
    // glibc prints the exact binary value correctly rounded (ties to even),
    // and strtod reads the decimal back correctly rounded: Python's algorithm.
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", ndigits, x);
    return std::strtod(buf, nullptr);
}

long long round_half_even(double x) { return static_cast<long long>(std::nearbyint(x)); }

}  // namespace glyph::eval::py
