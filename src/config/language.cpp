// The "auto" preset: one rule, used by every entry point, for which of the
// built-in presets suits a text.
#include <cstddef>
#include <cstdint>

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

bool is_ascii_letter(unsigned char byte) { return uint8_t((byte | 0x20) - 'a') < 26; }

// ASCII letters among the kAsciiBlock bytes at p, or -1 when one of them is
// not ASCII. A fixed-size loop without branches, which the compiler turns
// into vector code: the whole text is scanned before anything renders, so
// this is on every command's critical path.
constexpr size_t kAsciiBlock = 64;
int ascii_letters(const unsigned char* p) {
    unsigned char high = 0;
    int letters = 0;
    for (size_t k = 0; k < kAsciiBlock; ++k) {
        high |= p[k];
        letters += is_ascii_letter(p[k]);
    }
    return high & 0x80 ? -1 : letters;
}

}  // namespace

std::string auto_preset_name(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    size_t cjk = 0, other = 0;
    size_t decode_until = 0;  // a block with other bytes in it is decoded to its end
    for (size_t i = 0; i < text.size();) {
        // Whole blocks of ASCII first: most texts are mostly ASCII.
        if (i >= decode_until && i + kAsciiBlock <= text.size()) {
            if (const int letters = ascii_letters(bytes + i); letters >= 0) {
                other += size_t(letters);
                i += kAsciiBlock;
                continue;
            }
            decode_until = i + kAsciiBlock;
        }
        if (const unsigned char byte = bytes[i]; byte < 0x80) {
            other += is_ascii_letter(byte);
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
