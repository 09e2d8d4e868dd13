// The fingerprint a manifest keeps of the text its pages show, so that a
// later check (glyph ocr --pages) notices a source file edited since.
#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "glyph/render.h"

namespace glyph {

std::string source_digest(std::string_view source) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(source.data(), source.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 of the source text failed (libcrypto)");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

}  // namespace glyph
