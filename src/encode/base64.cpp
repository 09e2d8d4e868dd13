// Base64 (RFC 4648, standard alphabet, padded) for data: URLs in VLM requests.
#include <array>
#include <string>

#include "glyph/encode.h"

namespace glyph {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_decode_table() {
    std::array<int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i) table[size_t(uint8_t(kAlphabet[i]))] = int8_t(i);
    return table;
}
constexpr std::array<int8_t, 256> kDecode = make_decode_table();

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::string base64_encode(const uint8_t* data, size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const uint32_t v = uint32_t(data[i]) << 16 | uint32_t(data[i + 1]) << 8 | data[i + 2];
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (const size_t rest = size - i) {
        const uint32_t v = uint32_t(data[i]) << 16 | (rest == 2 ? uint32_t(data[i + 1]) << 8 : 0);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// Line breaks (as in MIME-wrapped input) are skipped; padding is optional but
// must be at the end; any other character is an error.
std::vector<uint8_t> base64_decode(std::string_view text) {
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    uint32_t bits = 0;
    int count = 0;   // sextets in `bits`
    int padding = 0;
    size_t position = 0;
    for (char ch : text) {
        ++position;
        if (is_space(ch)) continue;
        if (ch == '=') {
            ++padding;
            continue;
        }
        const int8_t v = kDecode[size_t(uint8_t(ch))];
        if (v < 0 || padding > 0)
            throw EncodeError("base64: invalid character at position " + std::to_string(position));
        bits = bits << 6 | uint32_t(v);
        if (++count == 4) {
            out.push_back(uint8_t(bits >> 16));
            out.push_back(uint8_t(bits >> 8));
            out.push_back(uint8_t(bits));
            bits = 0;
            count = 0;
        }
    }
    if (count == 1) throw EncodeError("base64: truncated input (a lone final character)");
    if (padding > 0 && (count == 0 || count + padding != 4))
        throw EncodeError("base64: wrong padding");
    if (count == 2) out.push_back(uint8_t(bits >> 4));
    if (count == 3) {
        out.push_back(uint8_t(bits >> 10));
        out.push_back(uint8_t(bits >> 2));
    }
    return out;
}

}  // namespace glyph
