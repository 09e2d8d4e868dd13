// Decoding PNG (libspng), JPEG (libjpeg-turbo) and WebP (libwebp) to gray or
// RGB, with one-line errors for anything unreadable.
#include <spng.h>
#include <webp/decode.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "encode/image_check.h"
#include "encode/jpeg_support.h"
#include "glyph/encode.h"

namespace glyph {
namespace {

// Bounds what a hostile header can make us allocate (300 MB as RGB).
constexpr long long kMaxPixels = 100'000'000;
constexpr uint32_t kMaxSide = 65'535;

void check_size(long long width, long long height, const char* what) {
    if (width <= 0 || height <= 0)
        throw EncodeError(std::string(what) + ": image has no pixels");
    if (width > kMaxSide || height > kMaxSide || width * height > kMaxPixels)
        throw EncodeError(std::string(what) + ": " + std::to_string(width) + "x" + std::to_string(height) +
                          " is larger than the " + std::to_string(kMaxPixels) + "-pixel limit");
}

uint8_t over_white(uint8_t value, uint8_t alpha) {
    return uint8_t((unsigned(value) * alpha + 255u * (255u - alpha) + 127u) / 255u);
}

// RGBA pixels composited over a white page, kept as gray when the source was gray.
Image composite_rgba(const std::vector<uint8_t>& rgba, int width, int height, bool gray) {
    Image image(width, height, gray ? 1 : 3);
    const size_t n = size_t(width) * size_t(height);
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* px = &rgba[4 * i];
        if (gray) {
            image.pixels[i] = over_white(px[0], px[3]);
        } else {
            for (int c = 0; c < 3; ++c) image.pixels[3 * i + size_t(c)] = over_white(px[c], px[3]);
        }
    }
    return image;
}

struct SpngFree {
    void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};

[[noreturn]] void spng_fail(const char* step, int code) {
    throw EncodeError(std::string("PNG: ") + step + ": " + spng_strerror(code));
}

Image decode_png(const uint8_t* data, size_t size) {
    std::unique_ptr<spng_ctx, SpngFree> ctx(spng_ctx_new(0));
    if (!ctx) throw EncodeError("PNG: cannot allocate a decoder");
    spng_set_image_limits(ctx.get(), kMaxSide, kMaxSide);
    spng_set_chunk_limits(ctx.get(), 64u << 20, 64u << 20);
    if (int rc = spng_set_png_buffer(ctx.get(), data, size)) spng_fail("bad data", rc);

    spng_ihdr ihdr{};
    if (int rc = spng_get_ihdr(ctx.get(), &ihdr)) spng_fail("bad header", rc);
    check_size(ihdr.width, ihdr.height, "PNG");
    const int width = int(ihdr.width), height = int(ihdr.height);
    const bool gray = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE ||
                      ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
    spng_trns trns{};
    const bool has_trns = spng_get_trns(ctx.get(), &trns) == 0;

    // Plain 8-bit gray and RGB (what glyph writes) decode straight into place;
    // everything else goes through RGBA so that transparency lands on white.
    int direct_format = 0;
    if (!has_trns && ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE && ihdr.bit_depth <= 8)
        direct_format = SPNG_FMT_G8;
    else if (!has_trns && ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR && ihdr.bit_depth == 8)
        direct_format = SPNG_FMT_RGB8;
    if (direct_format) {
        Image image(width, height, direct_format == SPNG_FMT_G8 ? 1 : 3);
        if (int rc = spng_decode_image(ctx.get(), image.pixels.data(), image.pixels.size(), direct_format, 0))
            spng_fail("corrupt or truncated data", rc);
        return image;
    }
    std::vector<uint8_t> rgba(size_t(width) * size_t(height) * 4);
    if (int rc = spng_decode_image(ctx.get(), rgba.data(), rgba.size(), SPNG_FMT_RGBA8, SPNG_DECODE_TRNS))
        spng_fail("corrupt or truncated data", rc);
    return composite_rgba(rgba, width, height, gray);
}

Image decode_jpeg(const uint8_t* data, size_t size) {
    // libjpeg reports errors by longjmp; locals changed after setjmp would be
    // indeterminate then, so all state lives on the heap behind a pointer set before it.
    struct State {
        jpeg_decompress_struct cinfo{};
        detail::JpegErrorManager err{};
        Image image;
    };
    const auto state = std::make_unique<State>();
    jpeg_decompress_struct* cinfo = &state->cinfo;
    cinfo->err = detail::install_jpeg_errors(state->err);
    if (setjmp(state->err.jump)) {
        jpeg_destroy_decompress(cinfo);
        throw EncodeError(std::string("JPEG: ") + state->err.message);
    }
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(cinfo, TRUE);
    // check_size throws a C++ exception, which must not cross libjpeg: finish first.
    const bool too_big = cinfo->image_width > kMaxSide || cinfo->image_height > kMaxSide ||
                         (long long)cinfo->image_width * cinfo->image_height > kMaxPixels;
    if (too_big) {
        const long long w = cinfo->image_width, h = cinfo->image_height;
        jpeg_destroy_decompress(cinfo);
        check_size(w, h, "JPEG");
    }
    cinfo->out_color_space = cinfo->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(cinfo);
    state->image = Image(int(cinfo->output_width), int(cinfo->output_height), int(cinfo->output_components));
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = state->image.row(int(cinfo->output_scanline));
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);
    jpeg_destroy_decompress(cinfo);
    // libjpeg pads a cut-off stream with gray and only warns; a cut file is an error here.
    if (state->err.truncated) throw EncodeError("JPEG: data ends early (truncated file)");
    return std::move(state->image);
}

// WebP has no gray mode, so WebP pages always come back as RGB.
Image decode_webp(const uint8_t* data, size_t size) {
    WebPBitstreamFeatures features{};
    if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK)
        throw EncodeError("WebP: corrupt or truncated header");
    if (features.has_animation) throw EncodeError("WebP: animated images are not supported");
    check_size(features.width, features.height, "WebP");
    const int width = features.width, height = features.height;
    if (features.has_alpha) {
        std::vector<uint8_t> rgba(size_t(width) * size_t(height) * 4);
        if (!WebPDecodeRGBAInto(data, size, rgba.data(), rgba.size(), width * 4))
            throw EncodeError("WebP: corrupt or truncated data");
        return composite_rgba(rgba, width, height, false);
    }
    Image image(width, height, 3);
    if (!WebPDecodeRGBInto(data, size, image.pixels.data(), image.pixels.size(), width * 3))
        throw EncodeError("WebP: corrupt or truncated data");
    return image;
}

}  // namespace

Image decode_image(const uint8_t* data, size_t size) {
    if (data == nullptr || size == 0) throw EncodeError("empty image data");
    static constexpr uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return decode_png(data, size);
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return decode_jpeg(data, size);
    if (size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WEBP", 4) == 0)
        return decode_webp(data, size);
    throw EncodeError("unknown image format (not PNG, JPEG or WebP)");
}

Image read_image_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EncodeError("cannot open " + path + ": " + std::strerror(errno));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw EncodeError("cannot read " + path);
    try {
        return decode_image(bytes.data(), bytes.size());
    } catch (const EncodeError& e) {
        throw EncodeError(path + ": " + e.what());
    }
}

}  // namespace glyph
