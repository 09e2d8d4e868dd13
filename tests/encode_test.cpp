// Encode module: PNG/WebP/JPEG round trips (PNG also checked with libpng as an
// independent decoder), decoding of foreign PNG flavours, corrupt input,
// resize budget math, base64 vectors and atomic writes.
#include <gtest/gtest.h>
#include <png.h>

#include <csetjmp>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "glyph/config.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "test_support.h"

namespace {

using glyph::EncodeError;
using glyph::Image;

// Text-page-like content: white with dark strokes, plus a gray ramp so every
// byte value appears.
Image sample_image(int width, int height, int channels) {
    Image image(width, height, channels);
    std::mt19937 rng(42);
    for (int y = 0; y < height; ++y) {
        uint8_t* row = image.row(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < channels; ++c) {
                uint8_t v = 255;
                if (y < 4) v = uint8_t((x * 7 + c * 50) & 255);
                else if ((y / 3) % 4 == 1 && (rng() % 5) < 2) v = uint8_t(rng() % 120);
                row[size_t(x) * size_t(channels) + size_t(c)] = v;
            }
        }
    }
    return image;
}

struct LibpngImage {
    int width = 0, height = 0, color_type = -1, bit_depth = 0;
    std::vector<uint8_t> pixels;
};

struct ReadCursor {
    const std::vector<uint8_t>* data;
    size_t offset;
};

void read_from_vector(png_structp png, png_bytep out, png_size_t length) {
    auto* cursor = static_cast<ReadCursor*>(png_get_io_ptr(png));
    if (cursor->offset + length > cursor->data->size()) png_error(png, "read past end");
    std::copy_n(cursor->data->data() + cursor->offset, length, out);
    cursor->offset += length;
}

// Decodes with libpng's low-level API, without transformations, so the
// result shows exactly what the file stores.
LibpngImage decode_with_libpng(const std::vector<uint8_t>& bytes) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    auto* result = new LibpngImage;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        delete result;
        ADD_FAILURE() << "libpng could not decode our PNG";
        return {};
    }
    ReadCursor cursor{&bytes, 0};
    png_set_read_fn(png, &cursor, read_from_vector);
    png_read_info(png, info);
    result->width = int(png_get_image_width(png, info));
    result->height = int(png_get_image_height(png, info));
    result->color_type = png_get_color_type(png, info);
    result->bit_depth = png_get_bit_depth(png, info);
    const size_t rowbytes = png_get_rowbytes(png, info);
    result->pixels.resize(rowbytes * size_t(result->height));
    for (int y = 0; y < result->height; ++y) png_read_row(png, result->pixels.data() + rowbytes * size_t(y), nullptr);
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    LibpngImage out = std::move(*result);
    delete result;
    return out;
}

void write_to_vector(png_structp png, png_bytep data, png_size_t length) {
    auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + length);
}

// Writes a PNG of any flavour with libpng (rows already in the file's format).
std::vector<uint8_t> encode_with_libpng(int width, int height, int bit_depth, int color_type,
                                        const std::vector<uint8_t>& rows,
                                        const std::vector<png_color>& palette = {},
                                        const std::vector<uint8_t>& palette_alpha = {}) {
    auto* out = new std::vector<uint8_t>;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        delete out;
        ADD_FAILURE() << "libpng could not write the test PNG";
        return {};
    }
    png_set_write_fn(png, out, write_to_vector, nullptr);
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (!palette.empty()) png_set_PLTE(png, info, palette.data(), int(palette.size()));
    if (!palette_alpha.empty())
        png_set_tRNS(png, info, palette_alpha.data(), int(palette_alpha.size()), nullptr);
    png_write_info(png, info);
    const size_t rowbytes = rows.size() / size_t(height);
    for (int y = 0; y < height; ++y) png_write_row(png, rows.data() + rowbytes * size_t(y));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    std::vector<uint8_t> bytes = std::move(*out);
    delete out;
    return bytes;
}

bool one_line(const std::string& message) {
    return !message.empty() && message.find('\n') == std::string::npos;
}

void expect_decode_error(const std::vector<uint8_t>& bytes, const std::string& what) {
    try {
        glyph::decode_image(bytes.data(), bytes.size());
        ADD_FAILURE() << what << ": decoded without an error";
    } catch (const EncodeError& e) {
        EXPECT_TRUE(one_line(e.what())) << what << ": " << e.what();
    }
}

TEST(EncodePng, GrayRoundTripWithBothDecoders) {
    const Image page = sample_image(589, 842, 1);
    const std::vector<uint8_t> png = glyph::encode_png(page);

    const Image back = glyph::decode_image(png.data(), png.size());
    EXPECT_EQ(back.width, 589);
    EXPECT_EQ(back.height, 842);
    EXPECT_EQ(back.channels, 1);
    EXPECT_TRUE(back.pixels == page.pixels);

    const LibpngImage independent = decode_with_libpng(png);
    EXPECT_EQ(independent.color_type, PNG_COLOR_TYPE_GRAY);
    EXPECT_EQ(independent.bit_depth, 8);
    EXPECT_EQ(independent.width, 589);
    EXPECT_TRUE(independent.pixels == page.pixels);
}

TEST(EncodePng, RgbRoundTripWithBothDecoders) {
    const Image page = sample_image(301, 97, 3);
    const std::vector<uint8_t> png = glyph::encode_png(page, 6);

    const Image back = glyph::decode_image(png.data(), png.size());
    EXPECT_EQ(back.channels, 3);
    EXPECT_TRUE(back.pixels == page.pixels);

    const LibpngImage independent = decode_with_libpng(png);
    EXPECT_EQ(independent.color_type, PNG_COLOR_TYPE_RGB);
    EXPECT_TRUE(independent.pixels == page.pixels);
}

// (Sizes by level are compared on real pages below: on this synthetic image
// igzip's level 1 happens to beat libdeflate's 9.)
TEST(EncodePng, EveryLevelDecodesAndOutOfRangeIsRejected) {
    const Image page = sample_image(200, 300, 1);
    size_t level0 = 0, level12 = 0;
    for (int level : {0, 1, 2, 3, 4, 6, 9, 12}) {
        const std::vector<uint8_t> png = glyph::encode_png(page, level);
        EXPECT_TRUE(decode_with_libpng(png).pixels == page.pixels) << "level " << level;
        if (level == 0) level0 = png.size();
        if (level == 12) level12 = png.size();
    }
    EXPECT_LT(level12, level0);
    EXPECT_THROW(glyph::encode_png(page, 13), EncodeError);
    EXPECT_THROW(glyph::encode_png(page, -1), EncodeError);
}

// Every level, igzip's (1..3) and libdeflate's (0, 4..12), on real rendered
// pages: libspng (glyph's decoder) and libpng both give back the raster.
TEST(EncodePng, EveryLevelGivesBackRealPagesExactly) {
    const std::string text = glyph::test::read_file(glyph::test::repo_path("samples/novel_excerpt.txt"));
    glyph::RenderResult r = glyph::render_text(text, glyph::preset("en"));
    ASSERT_GE(r.pages.size(), 2u);
    const Image& page = r.pages.front().image;
    const Image& last = r.pages.back().image;  // auto-cropped short
    std::vector<size_t> sizes;
    for (int level = 0; level <= 12; ++level) {
        for (const Image* image : {&page, &last}) {
            const std::vector<uint8_t> png = glyph::encode_png(*image, level);
            const Image back = glyph::decode_image(png.data(), png.size());
            ASSERT_EQ(back.width, image->width) << "level " << level;
            ASSERT_EQ(back.height, image->height) << "level " << level;
            EXPECT_TRUE(back.pixels == image->pixels) << "libspng, level " << level;
            EXPECT_TRUE(decode_with_libpng(png).pixels == image->pixels) << "libpng, level " << level;
            if (image == &page) sizes.push_back(png.size());
        }
    }
    // 0 stores, igzip's levels compress, libdeflate's dense levels compress more.
    EXPECT_GT(sizes[0], sizes[1]);
    EXPECT_LT(sizes[4], sizes[1]);
    EXPECT_LT(sizes[12], sizes[3]);
}

// Noise does not compress: igzip falls back to stored blocks, which must fit
// the output bound (RGB, so the rows are three times as long).
TEST(EncodePng, IncompressiblePixelsAtTheFastLevels) {
    Image noise(640, 480, 3);
    std::mt19937 rng(3);
    for (uint8_t& v : noise.pixels) v = uint8_t(rng());
    for (int level : {1, 2, 3}) {
        const std::vector<uint8_t> png = glyph::encode_png(noise, level);
        EXPECT_TRUE(decode_with_libpng(png).pixels == noise.pixels) << "level " << level;
        EXPECT_LT(png.size(), noise.pixels.size() + noise.pixels.size() / 50) << "level " << level;
    }
}

TEST(EncodePng, RejectsMalformedImages) {
    EXPECT_THROW(glyph::encode_png(Image()), EncodeError);
    Image two_channels(4, 4, 2);
    EXPECT_THROW(glyph::encode_png(two_channels), EncodeError);
    Image short_buffer(4, 4, 1);
    short_buffer.pixels.pop_back();
    EXPECT_THROW(glyph::encode_png(short_buffer), EncodeError);
}

TEST(DecodePng, GrayAlphaIsCompositedOverWhiteAndStaysGray) {
    // Two pixels: black fully opaque, black fully transparent, then 50% black.
    const std::vector<uint8_t> rows = {0, 255, 0, 0, 0, 128};
    const std::vector<uint8_t> png = encode_with_libpng(3, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, rows);
    const Image image = glyph::decode_image(png.data(), png.size());
    ASSERT_EQ(image.channels, 1);
    EXPECT_EQ(image.pixels[0], 0);
    EXPECT_EQ(image.pixels[1], 255);
    EXPECT_NEAR(image.pixels[2], 127, 1);
}

TEST(DecodePng, RgbaIsCompositedOverWhite) {
    const std::vector<uint8_t> rows = {255, 0, 0, 255, 0, 0, 255, 0};
    const std::vector<uint8_t> png = encode_with_libpng(2, 1, 8, PNG_COLOR_TYPE_RGB_ALPHA, rows);
    const Image image = glyph::decode_image(png.data(), png.size());
    ASSERT_EQ(image.channels, 3);
    EXPECT_EQ(image.pixels, (std::vector<uint8_t>{255, 0, 0, 255, 255, 255}));
}

TEST(DecodePng, PaletteWithTransparencyBecomesRgb) {
    const std::vector<png_color> palette = {{10, 20, 30}, {0, 0, 0}};
    const std::vector<uint8_t> alpha = {255, 0};
    const std::vector<uint8_t> rows = {0x40};  // 2-bit indices: 1, 0, 0, 0
    const std::vector<uint8_t> png = encode_with_libpng(4, 1, 2, PNG_COLOR_TYPE_PALETTE, rows, palette, alpha);
    const Image image = glyph::decode_image(png.data(), png.size());
    ASSERT_EQ(image.channels, 3);
    EXPECT_EQ(std::vector<uint8_t>(image.pixels.begin(), image.pixels.begin() + 6),
              (std::vector<uint8_t>{255, 255, 255, 10, 20, 30}));
}

TEST(DecodePng, SixteenBitAndOneBitGrayBecomeEightBitGray) {
    const std::vector<uint8_t> rows16 = {0xFF, 0xFF, 0x00, 0x00, 0x80, 0x00};
    const std::vector<uint8_t> png16 = encode_with_libpng(3, 1, 16, PNG_COLOR_TYPE_GRAY, rows16);
    const Image gray16 = glyph::decode_image(png16.data(), png16.size());
    ASSERT_EQ(gray16.channels, 1);
    EXPECT_EQ(gray16.pixels[0], 255);
    EXPECT_EQ(gray16.pixels[1], 0);
    EXPECT_NEAR(gray16.pixels[2], 128, 1);

    const std::vector<uint8_t> rows1 = {0xA0};  // 1, 0, 1, 0
    const std::vector<uint8_t> png1 = encode_with_libpng(4, 1, 1, PNG_COLOR_TYPE_GRAY, rows1);
    const Image gray1 = glyph::decode_image(png1.data(), png1.size());
    ASSERT_EQ(gray1.channels, 1);
    EXPECT_EQ(gray1.pixels, (std::vector<uint8_t>{255, 0, 255, 0}));
}

TEST(EncodeWebp, LosslessRoundTripIsExact) {
    const Image rgb = sample_image(160, 90, 3);
    const std::vector<uint8_t> webp = glyph::encode_webp(rgb, 100);
    const Image back = glyph::decode_image(webp.data(), webp.size());
    EXPECT_EQ(back.width, 160);
    EXPECT_EQ(back.channels, 3);
    EXPECT_TRUE(back.pixels == rgb.pixels);

    // WebP has no gray mode: a gray page comes back as RGB with equal channels.
    const Image gray = sample_image(64, 40, 1);
    const std::vector<uint8_t> gray_webp = glyph::encode_webp(gray, 100);
    const Image gray_back = glyph::decode_image(gray_webp.data(), gray_webp.size());
    ASSERT_EQ(gray_back.channels, 3);
    for (size_t i = 0; i < gray.pixels.size(); ++i) {
        ASSERT_EQ(gray_back.pixels[3 * i], gray.pixels[i]);
        ASSERT_EQ(gray_back.pixels[3 * i + 2], gray.pixels[i]);
    }
}

double mean_abs_diff(const Image& a, const Image& b) {
    double sum = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    return sum / double(a.pixels.size());
}

TEST(EncodeLossy, JpegAndWebpStayClose) {
    // Smooth content, where lossy codecs at quality 90 are near-exact.
    Image smooth(128, 96, 3);
    for (int y = 0; y < smooth.height; ++y)
        for (int x = 0; x < smooth.width; ++x)
            for (int c = 0; c < 3; ++c) smooth.row(y)[x * 3 + c] = uint8_t(x + y / 2 + c * 20);

    for (glyph::ImageFormat format : {glyph::ImageFormat::Jpeg, glyph::ImageFormat::Webp}) {
        const std::vector<uint8_t> bytes = glyph::encode_image(smooth, format, 90);
        const Image back = glyph::decode_image(bytes.data(), bytes.size());
        ASSERT_EQ(back.width, smooth.width);
        ASSERT_EQ(back.channels, 3);
        EXPECT_LT(mean_abs_diff(back, smooth), 3.0) << glyph::file_extension(format);
    }

    Image gray(64, 64, 1, 200);
    const std::vector<uint8_t> jpeg = glyph::encode_jpeg(gray, 90);
    const Image gray_back = glyph::decode_image(jpeg.data(), jpeg.size());
    EXPECT_EQ(gray_back.channels, 1);
    EXPECT_LT(mean_abs_diff(gray_back, gray), 1.0);
    EXPECT_THROW(glyph::encode_jpeg(gray, 101), EncodeError);
}

TEST(DecodeImage, CorruptAndTruncatedInputGiveOneLineErrors) {
    const Image page = sample_image(120, 80, 3);
    const std::vector<uint8_t> png = glyph::encode_png(page);
    const std::vector<uint8_t> jpeg = glyph::encode_jpeg(page, 90);
    const std::vector<uint8_t> webp = glyph::encode_webp(page, 80);

    expect_decode_error({}, "empty");
    expect_decode_error({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'}, "text");
    expect_decode_error(std::vector<uint8_t>(png.begin(), png.begin() + long(png.size() / 2)), "half PNG");
    expect_decode_error(std::vector<uint8_t>(png.begin(), png.begin() + 20), "PNG header only");
    std::vector<uint8_t> flipped = png;
    flipped[png.size() / 2] ^= 0x55;  // inside IDAT: the CRC no longer matches
    expect_decode_error(flipped, "PNG with a flipped byte");
    expect_decode_error(std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + long(jpeg.size() / 2)), "half JPEG");
    expect_decode_error(std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 4), "JPEG marker only");
    expect_decode_error(std::vector<uint8_t>(webp.begin(), webp.begin() + long(webp.size() / 2)), "half WebP");
    expect_decode_error(std::vector<uint8_t>(webp.begin(), webp.begin() + 16), "WebP header only");
}

TEST(DecodeImage, ReadImageFileNamesThePath) {
    glyph::test::TempDir dir;
    try {
        glyph::read_image_file(dir.file("missing.png"));
        ADD_FAILURE() << "no error for a missing file";
    } catch (const EncodeError& e) {
        EXPECT_NE(std::string(e.what()).find("missing.png"), std::string::npos);
    }
    glyph::test::write_file(dir.file("bad.png"), "not an image at all");
    try {
        glyph::read_image_file(dir.file("bad.png"));
        ADD_FAILURE() << "no error for a non-image";
    } catch (const EncodeError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.png"), std::string::npos);
        EXPECT_TRUE(one_line(e.what()));
    }
}

TEST(Formats, NamesMimeTypesAndExtensions) {
    EXPECT_EQ(glyph::parse_image_format("jpg"), glyph::ImageFormat::Jpeg);
    EXPECT_EQ(glyph::parse_image_format("webp"), glyph::ImageFormat::Webp);
    EXPECT_EQ(glyph::mime_type(glyph::ImageFormat::Png), "image/png");
    EXPECT_EQ(glyph::file_extension(glyph::ImageFormat::Jpeg), "jpg");
    EXPECT_THROW(glyph::parse_image_format("gif"), EncodeError);
}

TEST(Resize, PixelBudgetKeepsAspectAndNeverUpscales) {
    const Image tall(1000, 2000, 1);
    const Image fitted = glyph::fit_to_pixel_budget(tall, 500000);
    EXPECT_LE((long long)fitted.width * fitted.height, 500000);
    EXPECT_GT((long long)fitted.width * fitted.height, 490000);
    EXPECT_NEAR(double(fitted.height) / fitted.width, 2.0, 0.01);

    const Image same = glyph::fit_to_pixel_budget(tall, 5000000);
    EXPECT_EQ(same.width, 1000);
    EXPECT_EQ(same.height, 2000);
    EXPECT_EQ(glyph::fit_to_pixel_budget(tall, 0).width, 1000);

    const Image thin(10000, 1, 1);
    const Image thin_fitted = glyph::fit_to_pixel_budget(thin, 50);
    EXPECT_LE((long long)thin_fitted.width * thin_fitted.height, 50);
    EXPECT_GE(thin_fitted.height, 1);
}

TEST(Resize, LanczosPreservesFlatAreasAndAverageInk) {
    const Image flat(300, 200, 3, 117);
    const Image small = glyph::resize_image(flat, 97, 61);
    EXPECT_EQ(small.channels, 3);
    for (uint8_t v : small.pixels) ASSERT_EQ(v, 117);

    // Vertical stripes, 2 px black / 2 px white, shrunk 4x: mid gray everywhere.
    Image stripes(400, 40, 1);
    for (int y = 0; y < stripes.height; ++y)
        for (int x = 0; x < stripes.width; ++x) stripes.row(y)[x] = (x / 2) % 2 ? 255 : 0;
    const Image shrunk = glyph::resize_image(stripes, 100, 10);
    for (int x = 5; x < 95; ++x) EXPECT_NEAR(shrunk.row(5)[x], 128, 3) << "x=" << x;

    EXPECT_THROW(glyph::resize_image(flat, 0, 10), EncodeError);
}

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(glyph::base64_encode(reinterpret_cast<const uint8_t*>(plain.data()), plain.size()), encoded);
        const std::vector<uint8_t> decoded = glyph::base64_decode(encoded);
        EXPECT_EQ(std::string(decoded.begin(), decoded.end()), plain);
    }
}

TEST(Base64, BinaryRoundTripAndErrors) {
    std::vector<uint8_t> bytes(1000);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(i * 37 + 11);
    const std::string text = glyph::base64_encode(bytes.data(), bytes.size());
    EXPECT_EQ(glyph::base64_decode(text), bytes);
    EXPECT_EQ(glyph::base64_decode("Zm9v\r\nYmFy"), (std::vector<uint8_t>{'f', 'o', 'o', 'b', 'a', 'r'}));
    EXPECT_EQ(glyph::base64_decode("Zm8"), (std::vector<uint8_t>{'f', 'o'}));
    EXPECT_THROW(glyph::base64_decode("Zm9v!"), EncodeError);
    EXPECT_THROW(glyph::base64_decode("Zg==Zg=="), EncodeError);
    EXPECT_THROW(glyph::base64_decode("Z"), EncodeError);
    EXPECT_THROW(glyph::base64_decode("Zm9v="), EncodeError);
}

std::vector<std::string> folder_entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
    return names;
}

TEST(WriteFileAtomic, WritesReplacesAndLeavesNoTemporaryFile) {
    glyph::test::TempDir dir;
    const std::string path = dir.file("page_001.png");
    const std::string first = "first content";
    glyph::write_file_atomic(path, first.data(), first.size());
    EXPECT_EQ(glyph::test::read_file(path), first);

    const std::string second(100000, 'x');
    glyph::write_file_atomic(path, second.data(), second.size());
    EXPECT_EQ(glyph::test::read_file(path), second);
    EXPECT_EQ(folder_entries(dir.path), std::vector<std::string>{"page_001.png"});
}

TEST(WriteFileAtomic, FailureThrowsAndLeavesNothingBehind) {
    glyph::test::TempDir dir;
    EXPECT_THROW(glyph::write_file_atomic(dir.file("no/such/folder/x.png"), "abc", 3), std::runtime_error);
    // Renaming onto an existing folder fails after the temporary file was written.
    std::filesystem::create_directory(dir.file("taken"));
    std::filesystem::create_directory(dir.file("taken/inside"));
    EXPECT_THROW(glyph::write_file_atomic(dir.file("taken"), "abc", 3), std::runtime_error);
    EXPECT_EQ(folder_entries(dir.path), std::vector<std::string>{"taken"});
}

}  // namespace
