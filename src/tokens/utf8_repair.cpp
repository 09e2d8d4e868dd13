// Reading bytes as UTF-8 the way Node's and Python's decoders do, so that the
// tokenizer sees exactly the text a JS or Python reference would see.
#include <cstdint>
#include <cstring>

#include "glyph/tokenizer.h"
#include "tokens/utf8_scan.h"

namespace glyph {
namespace tokens {

// What a lead byte starts: the sequence length (0 = cannot start one) and the
// allowed range of the second byte, which encodes the overlong, surrogate and
// > U+10FFFF exclusions (Unicode Table 3-7).
struct LeadByte {
    size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
};

static LeadByte classify_lead(unsigned char b0) {
    LeadByte lead;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        lead.length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        lead.length = 3;
        if (b0 == 0xE0) lead.lo = 0xA0;
        if (b0 == 0xED) lead.hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        lead.length = 4;
        if (b0 == 0xF0) lead.lo = 0x90;
        if (b0 == 0xF4) lead.hi = 0x8F;
    }
    return lead;
}

size_t valid_utf8_prefix(std::string_view s, size_t from) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = from;
    while (i < n) {
        // Skip ASCII eight bytes at a time: most text is mostly ASCII.
        while (i + 8 <= n) {
            uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const size_t len = utf8_sequence_length(s, i);
        if (len == 0) return i;
        i += len;
    }
    return n;
}

size_t utf8_sequence_length(std::string_view s, size_t i) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    const unsigned char b0 = p[i];
    if (b0 < 0x80) return 1;
    const LeadByte lead = classify_lead(b0);
    const size_t len = lead.length;
    if (len == 0) return 0;
    if (i + 1 >= n || p[i + 1] < lead.lo || p[i + 1] > lead.hi) return 0;
    for (size_t k = 2; k < len; ++k) {
        if (i + k >= n || (p[i + k] & 0xC0) != 0x80) return 0;
    }
    return len;
}

// Length of the maximal subpart starting at an invalid position: the longest
// prefix of a well-formed sequence, at least one byte. Each becomes one U+FFFD.
static size_t maximal_subpart(std::string_view s, size_t i) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    const unsigned char b0 = p[i];
    const LeadByte lead = classify_lead(b0);
    const size_t len = lead.length;
    if (len == 0) return 1;
    size_t k = 1;
    if (i + k < n && p[i + k] >= lead.lo && p[i + k] <= lead.hi) {
        ++k;
        while (k < len && i + k < n && (p[i + k] & 0xC0) == 0x80) ++k;
    }
    return k;
}

}  // namespace tokens

std::string repair_utf8(std::string_view bytes) {
    size_t bad = tokens::valid_utf8_prefix(bytes, 0);
    if (bad == bytes.size()) return std::string(bytes);
    std::string out;
    out.reserve(bytes.size() + 16);
    size_t start = 0;
    while (bad < bytes.size()) {
        out.append(bytes.data() + start, bad - start);
        out.append("\xEF\xBF\xBD");
        start = bad + tokens::maximal_subpart(bytes, bad);
        bad = tokens::valid_utf8_prefix(bytes, start);
    }
    out.append(bytes.data() + start, bytes.size() - start);
    return out;
}

}  // namespace glyph
