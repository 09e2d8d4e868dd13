// The tokenizer (added tokens, NFC, pre-tokenizer split, byte-level BPE) on
// arbitrary bytes with Qwen3's tokenizer.json ($GLYPH_TOKENIZER or models/).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "glyph/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const glyph::Tokenizer tokenizer = glyph::Tokenizer::load(glyph::default_tokenizer_path());
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::vector<uint32_t> ids = tokenizer.encode(text);
    if (!text.empty() && ids.empty()) __builtin_trap();
    for (uint32_t id : ids)
        if (id >= tokenizer.vocab_size()) __builtin_trap();
    // Invalid UTF-8 reads as U+FFFD, so the repaired text has the same ids.
    if (tokenizer.encode(glyph::repair_utf8(text)) != ids) __builtin_trap();
    return 0;
}
