// The "auto" preset: one rule, used by every entry point, for which of the
// built-in presets suits a text.
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "glyph/config.h"
#include "util/utf8.h"

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

}  // namespace

std::string auto_preset_name(std::string_view text) {
    size_t cjk = 0, other = 0;
    for (size_t i = 0; i < text.size();) {
        // ASCII first, byte by byte: most texts are mostly ASCII.
        if (const auto byte = static_cast<unsigned char>(text[i]); byte < 0x80) {
            other += ((byte | 0x20) >= 'a' && (byte | 0x20) <= 'z');
            ++i;
            continue;
        }
        // A language guess must not fail on a bad byte (rendering reports
        // those with their offset): skip it.
        char32_t c = 0;
        if (!try_decode_utf8(text, i, c)) {
            ++i;
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
