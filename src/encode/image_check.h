// Shared checks and conversions for the encoders and decoders.
#pragma once

#include <string>

#include "glyph/encode.h"
#include "glyph/image.h"

namespace glyph::detail {

// Throws EncodeError unless the image is non-empty, gray or RGB, and its
// pixel buffer matches its size. `what` names the encoder in the message.
void check_image(const Image& image, const char* what);

// RGB copy of a gray or RGB image (WebP has no gray mode).
Image to_rgb(const Image& image);

}  // namespace glyph::detail
