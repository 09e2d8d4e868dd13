// The fingerprint a manifest keeps of the text its pages show, so that a
// later check (glyph ocr --pages) notices a source file edited since.
// Nettle, not OpenSSL's libcrypto: libcrypto sets up its algorithm tables
// when it loads, which was a tenth of a `glyph render`'s start-up.
#include <nettle/sha2.h>

#include <string>

#include "glyph/render.h"

namespace glyph {

std::string source_digest(std::string_view source) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, source.size(), reinterpret_cast<const uint8_t*>(source.data()));
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * sizeof digest);
    for (uint8_t byte : digest) {
        hex += kHex[byte >> 4];
        hex += kHex[byte & 15];
    }
    return hex;
}

}  // namespace glyph
