#include "util/utf8.h"

#include <cstdio>

#include "glyph/error.h"

namespace glyph {

namespace {
[[noreturn]] void invalid(std::string_view s, size_t at) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "input is not valid UTF-8: byte 0x%02X at offset %zu", unsigned(uint8_t(s[at])), at);
    throw InputError(buf);
}
}  // namespace

bool try_decode_utf8(std::string_view s, size_t& i, char32_t& out) {
    const size_t at = i;
    const uint8_t c = uint8_t(s[i]);
    if (c < 0x80) {
        ++i;
        out = c;
        return true;
    }
    int len;
    char32_t cp, min;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    else return false;
    if (at + size_t(len) > s.size()) return false;
    for (int k = 1; k < len; ++k) {
        const uint8_t cc = uint8_t(s[at + size_t(k)]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i = at + size_t(len);
    out = cp;
    return true;
}

char32_t decode_utf8(std::string_view s, size_t& i) {
    char32_t cp = 0;
    if (!try_decode_utf8(s, i, cp)) invalid(s, i);
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

size_t count_code_points(std::string_view s) {
    size_t n = 0;
    for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
    return n;
}

std::string one_line(std::string_view text, size_t limit) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20) continue;
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
        if (out.size() > limit) break;  // a body may be megabytes: read no further than needed
    }
    if (out.size() <= limit) return out;
    size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    return out.substr(0, cut) + "...";
}

}  // namespace glyph
