// Downscaling pages to a VLM's pixel budget with a separable Lanczos3 filter.
//
// Glyph's scripts resize with PIL's LANCZOS. stb_image_resize (the other
// candidate here) offers box, triangle, cubic and Mitchell kernels but no
// Lanczos, so this is a small two-pass Lanczos3 with PIL's support rule (the
// kernel widens by the scale factor when shrinking, which is what keeps thin
// glyph strokes from aliasing).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "encode/image_check.h"
#include "glyph/encode.h"

namespace glyph {
namespace {

constexpr double kLobes = 3.0;

double sinc(double x) {
    if (x == 0.0) return 1.0;
    const double px = std::numbers::pi * x;
    return std::sin(px) / px;
}

double lanczos3(double x) {
    return std::abs(x) < kLobes ? sinc(x) * sinc(x / kLobes) : 0.0;
}

// For each output sample along one axis: the first input index and the
// normalized weights of the input samples it mixes.
struct Taps {
    std::vector<int> first;
    std::vector<int> count;
    std::vector<float> weights;  // `width` floats per output sample
    int width = 0;
};

Taps make_taps(int in_size, int out_size) {
    const double scale = double(in_size) / out_size;
    const double filter_scale = std::max(scale, 1.0);
    const double support = kLobes * filter_scale;
    Taps taps;
    taps.width = int(std::ceil(support)) * 2 + 1;
    taps.first.resize(size_t(out_size));
    taps.count.resize(size_t(out_size));
    taps.weights.assign(size_t(out_size) * size_t(taps.width), 0.0f);
    for (int i = 0; i < out_size; ++i) {
        const double center = (i + 0.5) * scale;
        const int lo = std::max(0, int(center - support + 0.5));
        const int hi = std::min(in_size, int(center + support + 0.5));
        const int n = std::min(hi - lo, taps.width);
        float* w = &taps.weights[size_t(i) * size_t(taps.width)];
        double total = 0;
        for (int k = 0; k < n; ++k) {
            const double v = lanczos3((lo + k + 0.5 - center) / filter_scale);
            w[k] = float(v);
            total += v;
        }
        if (total != 0)
            for (int k = 0; k < n; ++k) w[k] = float(w[k] / total);
        taps.first[size_t(i)] = lo;
        taps.count[size_t(i)] = n;
    }
    return taps;
}

uint8_t to_byte(float v) {
    return uint8_t(std::clamp(std::lround(v), 0L, 255L));
}

}  // namespace

Image resize_image(const Image& image, int width, int height) {
    detail::check_image(image, "resize");
    if (width <= 0 || height <= 0)
        throw EncodeError("resize: target size " + std::to_string(width) + "x" + std::to_string(height) +
                          " must be positive");
    if (width == image.width && height == image.height) return image;

    const int c = image.channels;
    const Taps horizontal = make_taps(image.width, width);
    const Taps vertical = make_taps(image.height, height);

    // Horizontal pass into floats (input height x output width), then vertical.
    std::vector<float> mid(size_t(image.height) * size_t(width) * size_t(c));
    for (int y = 0; y < image.height; ++y) {
        const uint8_t* in = image.row(y);
        float* out = &mid[size_t(y) * size_t(width) * size_t(c)];
        for (int x = 0; x < width; ++x) {
            const float* w = &horizontal.weights[size_t(x) * size_t(horizontal.width)];
            const uint8_t* src = in + size_t(horizontal.first[size_t(x)]) * size_t(c);
            for (int ch = 0; ch < c; ++ch) {
                float sum = 0;
                for (int k = 0; k < horizontal.count[size_t(x)]; ++k) sum += w[k] * src[size_t(k * c + ch)];
                out[size_t(x * c + ch)] = sum;
            }
        }
    }

    Image result(width, height, c);
    const size_t row_floats = size_t(width) * size_t(c);
    std::vector<float> acc(row_floats);
    for (int y = 0; y < height; ++y) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        const float* w = &vertical.weights[size_t(y) * size_t(vertical.width)];
        for (int k = 0; k < vertical.count[size_t(y)]; ++k) {
            const float* src = &mid[size_t(vertical.first[size_t(y)] + k) * row_floats];
            for (size_t i = 0; i < row_floats; ++i) acc[i] += w[k] * src[i];
        }
        uint8_t* out = result.row(y);
        for (size_t i = 0; i < row_floats; ++i) out[i] = to_byte(acc[i]);
    }
    return result;
}

Image fit_to_pixel_budget(const Image& image, long long max_pixels) {
    const long long pixels = (long long)image.width * image.height;
    if (max_pixels <= 0 || pixels <= max_pixels) return image;
    // Scaling both sides by sqrt(budget / pixels) and rounding down keeps the
    // product inside the budget and the aspect ratio within a pixel.
    const double factor = std::sqrt(double(max_pixels) / double(pixels));
    int width = std::max(1, int(std::floor(image.width * factor)));
    int height = std::max(1, int(std::floor(image.height * factor)));
    // A side clamped up to 1 px can push a very thin image over the budget.
    while ((long long)width * height > max_pixels && (width > 1 || height > 1)) {
        if (width >= height) --width;
        else --height;
    }
    return resize_image(image, width, height);
}


namespace {

// PIL's bicubic kernel (a = -0.5), support 2.
double pil_bicubic(double x) {
    constexpr double a = -0.5;
    x = std::abs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

// PIL accumulates 8-bit samples with weights in 22-bit fixed point
// (32 bits minus 8 for the sample and 2 for headroom).
constexpr int kPilPrecisionBits = 22;

uint8_t pil_clip8(int64_t v) {
    if (v >= (int64_t(1) << kPilPrecisionBits << 8)) return 255;
    if (v <= 0) return 0;
    return uint8_t(v >> kPilPrecisionBits);
}

}  // namespace

Image stretch_width(const Image& image, int width) {
    detail::check_image(image, "stretch");
    if (width <= 0) throw EncodeError("stretch: target width " + std::to_string(width) + " must be positive");
    if (width == image.width) return image;

    const double scale = double(image.width) / width;
    const double filter_scale = std::max(scale, 1.0);
    const double inverse_scale = 1.0 / filter_scale;  // PIL multiplies by it, which rounds unlike dividing
    const double support = 2.0 * filter_scale;
    const int c = image.channels;
    Image result(width, image.height, c);
    std::vector<int> first(static_cast<size_t>(width)), count(static_cast<size_t>(width));
    std::vector<int64_t> weights;
    const int stride = int(std::ceil(support)) * 2 + 1;
    weights.assign(size_t(width) * size_t(stride), 0);
    for (int x = 0; x < width; ++x) {
        const double center = (x + 0.5) * scale;
        const int lo = std::max(0, int(center - support + 0.5));
        const int hi = std::min(image.width, int(center + support + 0.5));
        const int n = std::min(hi - lo, stride);
        std::vector<double> k(size_t(std::max(n, 0)));
        double total = 0;
        for (int i = 0; i < n; ++i) {
            k[size_t(i)] = pil_bicubic((i + lo - center + 0.5) * inverse_scale);
            total += k[size_t(i)];
        }
        int64_t* w = &weights[size_t(x) * size_t(stride)];
        for (int i = 0; i < n; ++i) {
            const double v = (total != 0 ? k[size_t(i)] / total : k[size_t(i)]) * double(1 << kPilPrecisionBits);
            w[i] = int64_t(v < 0 ? v - 0.5 : v + 0.5);  // PIL truncates after adding ±0.5
        }
        first[size_t(x)] = lo;
        count[size_t(x)] = n;
    }
    for (int y = 0; y < image.height; ++y) {
        const uint8_t* in = image.row(y);
        uint8_t* out = result.row(y);
        for (int x = 0; x < width; ++x) {
            const int64_t* w = &weights[size_t(x) * size_t(stride)];
            const uint8_t* src = in + size_t(first[size_t(x)]) * size_t(c);
            for (int ch = 0; ch < c; ++ch) {
                int64_t sum = int64_t(1) << (kPilPrecisionBits - 1);
                for (int i = 0; i < count[size_t(x)]; ++i) sum += w[i] * src[size_t(i * c + ch)];
                out[size_t(x * c + ch)] = pil_clip8(sum);
            }
        }
    }
    return result;
}

}  // namespace glyph
