// The compiled form of a loaded tokenizer: every table of a Tokenizer::Model
// in one flat byte image, which a later load uses in place (its hash tables
// are viewed, not rebuilt) instead of parsing tokenizer.json again.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tokens/tokenizer_model.h"

namespace glyph::tokens {

// Bumped whenever the image layout or the meaning of a Model field changes,
// so that images written by another glyph version are rebuilt, never misread.
inline constexpr uint32_t kModelImageVersion = 3;  // 3: Metaspace pre-tokenizer steps

// The image of `model`; every section starts at a multiple of 8 bytes.
std::string encode_model_image(const Tokenizer::Model& model);

// A model whose tables view `image` (which must start 8-byte aligned and is
// kept alive by the model), or null when the image is not well formed: every
// offset, size and id is checked, so a damaged image is refused, never trusted.
std::shared_ptr<Tokenizer::Model> decode_model_image(std::shared_ptr<const void> owner, std::string_view image,
                                                     const std::string& path);

}  // namespace glyph::tokens
