// Encode and decode page images (PNG, WebP, JPEG) and resize them to a pixel
// budget before they are sent to a VLM.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/error.h"
#include "glyph/file_write.h"
#include "glyph/image.h"

namespace glyph {

enum class ImageFormat { Png, Webp, Jpeg };

// An unknown format, a level or quality out of range, or image data that cannot be decoded.
struct EncodeError : Error {
    explicit EncodeError(const std::string& message) : Error(ErrorKind::Encode, message) {}
};

// "png" | "webp" | "jpeg" (also "jpg"); throws EncodeError otherwise.
ImageFormat parse_image_format(std::string_view name);
std::string mime_type(ImageFormat format);
std::string file_extension(ImageFormat format);

// PNG: gray images stay 8-bit gray, RGB stays RGB. level 0..12: 0 stores
// without compression, 1..3 are ISA-L igzip's fast levels, 4..12 libdeflate's
// denser ones (12 smallest); EncodeError outside that range.
std::vector<uint8_t> encode_png(const Image& image, int level = 1);
// quality 0..100; WebP quality 100 means lossless.
std::vector<uint8_t> encode_webp(const Image& image, int quality = 90);
std::vector<uint8_t> encode_jpeg(const Image& image, int quality = 90);
std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, int quality = 90);

// Decode PNG, JPEG or WebP (sniffed from the bytes) to gray or RGB.
// Throws EncodeError on anything else or on corrupt data.
Image decode_image(const uint8_t* data, size_t size);
Image read_image_file(const std::string& path);

// Scale down (never up) so that width*height <= max_pixels, keeping the
// aspect ratio, with a Lanczos-quality filter as Glyph's scripts do.
// max_pixels <= 0 means no limit.
Image fit_to_pixel_budget(const Image& image, long long max_pixels);
Image resize_image(const Image& image, int width, int height);
// Change only the width, with PIL's default bicubic filter and its
// fixed-point arithmetic: the reference pipeline's horizontal-scale step, so
// pages match it pixel for pixel.
Image stretch_width(const Image& image, int width);

std::string base64_encode(const uint8_t* data, size_t size);
std::vector<uint8_t> base64_decode(std::string_view text);  // throws EncodeError

}  // namespace glyph
