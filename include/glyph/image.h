// In-memory page images: 8-bit gray or RGB pixels, row-major, no padding.
#pragma once

#include <cstdint>
#include <vector>

namespace glyph {

struct Image {
    int width = 0;
    int height = 0;
    int channels = 1;  // 1 = gray, 3 = RGB
    std::vector<uint8_t> pixels;

    Image() = default;
    Image(int w, int h, int c, uint8_t fill = 255)
        : width(w), height(h), channels(c), pixels(size_t(w) * size_t(h) * size_t(c), fill) {}
    size_t stride() const { return size_t(width) * size_t(channels); }
    uint8_t* row(int y) { return pixels.data() + size_t(y) * stride(); }
    const uint8_t* row(int y) const { return pixels.data() + size_t(y) * stride(); }
};

}  // namespace glyph
