// Format names, the WebP and JPEG encoders, and the encoder dispatch.
#include "encode/jpeg_support.h"

#include <jerror.h>
#include <webp/encode.h>

#include <memory>
#include <new>
#include <string>

#include "encode/image_check.h"
#include "glyph/encode.h"

namespace glyph {

namespace detail {

void check_image(const Image& image, const char* what) {
    if (image.width <= 0 || image.height <= 0)
        throw EncodeError(std::string(what) + ": empty image (" + std::to_string(image.width) + "x" +
                          std::to_string(image.height) + ")");
    if (image.channels != 1 && image.channels != 3)
        throw EncodeError(std::string(what) + ": " + std::to_string(image.channels) +
                          " channels; only gray (1) or RGB (3) can be encoded");
    if (image.pixels.size() != image.stride() * size_t(image.height))
        throw EncodeError(std::string(what) + ": pixel buffer holds " + std::to_string(image.pixels.size()) +
                          " bytes, the image needs " + std::to_string(image.stride() * size_t(image.height)));
}

Image to_rgb(const Image& image) {
    if (image.channels == 3) return image;
    Image rgb(image.width, image.height, 3);
    const size_t n = size_t(image.width) * size_t(image.height);
    for (size_t i = 0; i < n; ++i) {
        uint8_t v = image.pixels[i];
        rgb.pixels[3 * i] = rgb.pixels[3 * i + 1] = rgb.pixels[3 * i + 2] = v;
    }
    return rgb;
}

}  // namespace detail

ImageFormat parse_image_format(std::string_view name) {
    if (name == "png") return ImageFormat::Png;
    if (name == "webp") return ImageFormat::Webp;
    if (name == "jpeg" || name == "jpg") return ImageFormat::Jpeg;
    throw EncodeError("unknown image format '" + std::string(name) + "' (allowed: png, webp, jpeg)");
}

std::string mime_type(ImageFormat format) {
    switch (format) {
        case ImageFormat::Png: return "image/png";
        case ImageFormat::Webp: return "image/webp";
        case ImageFormat::Jpeg: return "image/jpeg";
    }
    return "application/octet-stream";
}

std::string file_extension(ImageFormat format) {
    switch (format) {
        case ImageFormat::Png: return "png";
        case ImageFormat::Webp: return "webp";
        case ImageFormat::Jpeg: return "jpg";
    }
    return "bin";
}

namespace {

void check_quality(int quality, const char* what) {
    if (quality < 0 || quality > 100)
        throw EncodeError(std::string(what) + ": quality " + std::to_string(quality) + " is out of range (0..100)");
}

}  // namespace

std::vector<uint8_t> encode_webp(const Image& image, int quality) {
    detail::check_image(image, "WebP");
    check_quality(quality, "WebP");
    if (image.width > WEBP_MAX_DIMENSION || image.height > WEBP_MAX_DIMENSION)
        throw EncodeError("WebP: " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                          " exceeds the format's limit of " + std::to_string(WEBP_MAX_DIMENSION) + " px a side");
    const Image rgb = detail::to_rgb(image);
    const int stride = rgb.width * 3;
    uint8_t* out = nullptr;
    size_t size = quality == 100 ? WebPEncodeLosslessRGB(rgb.pixels.data(), rgb.width, rgb.height, stride, &out)
                                 : WebPEncodeRGB(rgb.pixels.data(), rgb.width, rgb.height, stride, float(quality), &out);
    if (size == 0) {
        WebPFree(out);
        throw EncodeError("WebP: the encoder failed");
    }
    std::vector<uint8_t> bytes(out, out + size);
    WebPFree(out);
    return bytes;
}

namespace {

// libjpeg prints warnings to stderr and exit()s on errors by default; a
// library must do neither, so errors longjmp back with their message.
[[noreturn]] void jpeg_error_exit(j_common_ptr info) {
    auto* err = reinterpret_cast<detail::JpegErrorManager*>(info->err);
    (*info->err->format_message)(info, err->message);
    std::longjmp(err->jump, 1);
}

void jpeg_note_warning(j_common_ptr info, int level) {
    auto* err = reinterpret_cast<detail::JpegErrorManager*>(info->err);
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
}

// Appends to the vector; on bad_alloc it reports through libjpeg (outside the
// catch handler, since longjmp must not leave one).
void append_or_fail(j_compress_ptr cinfo, std::vector<uint8_t>& bytes, const uint8_t* data, size_t size) {
    bool ok = true;
    try {
        bytes.insert(bytes.end(), data, data + size);
    } catch (const std::bad_alloc&) {
        ok = false;
    }
    if (!ok) ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
}

// Collects the compressed stream in a vector. jpeg_mem_dest would do, but its
// buffer pointer goes stale when it grows, so the error path could not free it.
struct VectorDestination {
    jpeg_destination_mgr base;
    std::vector<uint8_t> bytes;
    std::vector<uint8_t> chunk = std::vector<uint8_t>(64 * 1024);
};

void jpeg_dest_init(j_compress_ptr cinfo) {
    auto* dest = reinterpret_cast<VectorDestination*>(cinfo->dest);
    dest->base.next_output_byte = dest->chunk.data();
    dest->base.free_in_buffer = dest->chunk.size();
}

boolean jpeg_dest_empty(j_compress_ptr cinfo) {
    auto* dest = reinterpret_cast<VectorDestination*>(cinfo->dest);
    append_or_fail(cinfo, dest->bytes, dest->chunk.data(), dest->chunk.size());
    jpeg_dest_init(cinfo);
    return TRUE;
}

void jpeg_dest_term(j_compress_ptr cinfo) {
    auto* dest = reinterpret_cast<VectorDestination*>(cinfo->dest);
    append_or_fail(cinfo, dest->bytes, dest->chunk.data(), dest->chunk.size() - dest->base.free_in_buffer);
}

}  // namespace

jpeg_error_mgr* detail::install_jpeg_errors(JpegErrorManager& err) {
    jpeg_error_mgr* base = jpeg_std_error(&err.base);
    base->error_exit = jpeg_error_exit;
    base->emit_message = jpeg_note_warning;
    return base;
}

std::vector<uint8_t> encode_jpeg(const Image& image, int quality) {
    detail::check_image(image, "JPEG");
    check_quality(quality, "JPEG");
    if (image.width > JPEG_MAX_DIMENSION || image.height > JPEG_MAX_DIMENSION)
        throw EncodeError("JPEG: " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                          " exceeds the format's limit of " + std::to_string(JPEG_MAX_DIMENSION) + " px a side");

    // libjpeg reports errors by longjmp; locals changed after setjmp would be
    // indeterminate then, so all state lives on the heap behind a pointer set before it.
    struct State {
        jpeg_compress_struct cinfo{};
        detail::JpegErrorManager err{};
        VectorDestination dest;
    };
    const auto state = std::make_unique<State>();
    jpeg_compress_struct* cinfo = &state->cinfo;
    cinfo->err = detail::install_jpeg_errors(state->err);
    if (setjmp(state->err.jump)) {
        jpeg_destroy_compress(cinfo);
        throw EncodeError(std::string("JPEG: ") + state->err.message);
    }
    jpeg_create_compress(cinfo);
    state->dest.base.init_destination = jpeg_dest_init;
    state->dest.base.empty_output_buffer = jpeg_dest_empty;
    state->dest.base.term_destination = jpeg_dest_term;
    cinfo->dest = &state->dest.base;
    cinfo->image_width = JDIMENSION(image.width);
    cinfo->image_height = JDIMENSION(image.height);
    cinfo->input_components = image.channels;
    cinfo->in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(image.row(int(cinfo->next_scanline)));
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    jpeg_destroy_compress(cinfo);
    return std::move(state->dest.bytes);
}

std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, int quality) {
    switch (format) {
        case ImageFormat::Png: return encode_png(image);
        case ImageFormat::Webp: return encode_webp(image, quality);
        case ImageFormat::Jpeg: return encode_jpeg(image, quality);
    }
    throw EncodeError("unknown image format");
}

}  // namespace glyph
