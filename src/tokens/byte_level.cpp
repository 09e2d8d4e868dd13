#include "tokens/byte_level.h"

#include <array>

namespace glyph::tokens {
namespace {

// Printable Latin-1 bytes spell themselves; the other 68 take code points
// 256.. in byte order, so that no vocabulary string holds a space or control.
struct Alphabet {
    std::array<char32_t, 256> code_point{};
    std::array<int16_t, 324> byte{};

    Alphabet() {
        byte.fill(-1);
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            code_point[size_t(b)] = printable ? char32_t(b) : next++;
            byte[code_point[size_t(b)]] = int16_t(b);
        }
    }
};

const Alphabet& alphabet() {
    static const Alphabet table;
    return table;
}

}  // namespace

std::string byte_level_spelling(uint8_t byte) {
    const char32_t cp = alphabet().code_point[byte];
    std::string out;
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
    return out;
}

bool decode_byte_level(std::string_view spelling, std::string& bytes) {
    bytes.clear();
    const Alphabet& a = alphabet();
    for (size_t i = 0; i < spelling.size();) {
        const auto c = static_cast<unsigned char>(spelling[i]);
        char32_t cp;
        if (c < 0x80) {
            cp = c;
            i += 1;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < spelling.size()) {
            cp = char32_t((c & 0x1F) << 6) | (static_cast<unsigned char>(spelling[i + 1]) & 0x3F);
            i += 2;
        } else {
            return false;  // three- and four-byte sequences are all outside the alphabet
        }
        if (cp >= a.byte.size() || a.byte[cp] < 0) return false;
        bytes.push_back(char(a.byte[cp]));
    }
    return true;
}

}  // namespace glyph::tokens
