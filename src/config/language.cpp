// The "auto" preset: one rule, used by every entry point, for which of the
// built-in presets suits a text.
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "glyph/config.h"

namespace glyph {
namespace {

// Scripts the zh preset's font (WenQuanYi Micro Hei) draws and DejaVu Sans does not.
bool is_cjk_letter(char32_t c) {
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(UChar32(c), &status);
    if (U_FAILURE(status)) return false;
    return script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA ||
           script == USCRIPT_HANGUL || script == USCRIPT_BOPOMOFO;
}

// Lenient UTF-8 decoding: a language guess must not fail on a bad byte
// (rendering reports those with their offset).
char32_t next_code_point(std::string_view s, size_t& i) {
    const auto b = static_cast<unsigned char>(s[i]);
    const int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    char32_t c = len == 1 ? b : (b & (0x7F >> len));
    for (int k = 1; k < len; ++k) {
        if (i + size_t(k) >= s.size() || (static_cast<unsigned char>(s[i + size_t(k)]) & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        c = (c << 6) | (static_cast<unsigned char>(s[i + size_t(k)]) & 0x3F);
    }
    i += size_t(len);
    return c;
}

}  // namespace

std::string auto_preset_name(std::string_view text) {
    size_t cjk = 0, other = 0;
    for (size_t i = 0; i < text.size();) {
        const char32_t c = next_code_point(text, i);
        if (c < 0x80) {
            other += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            continue;
        }
        if (!u_isalpha(UChar32(c))) continue;  // digits, punctuation and spaces say nothing
        (is_cjk_letter(c) ? cjk : other)++;
    }
    return cjk > other ? "zh" : "en";
}

RenderConfig preset_for_text(std::string_view name, std::string_view text) {
    return preset(name == "auto" ? std::string_view(auto_preset_name(text)) : name);
}

}  // namespace glyph
