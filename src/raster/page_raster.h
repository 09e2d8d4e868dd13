// Rasterizing laid-out pages: FreeType glyphs (unhinted, anti-aliased, pen
// positions at quarter-pixel precision, as poppler draws the reference PDF)
// blended onto a page canvas, with a glyph cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "glyph/config.h"
#include "glyph/image.h"
#include "layout/page_layout.h"

namespace glyph {

// Coverage rows are `stride` bytes apart, padded with zeros to a whole
// number of kBlendChunk-byte chunks, so a blend can take a row in chunks
// (zero coverage leaves a pixel as it was).
inline constexpr int kBlendChunk = 8;
struct GlyphBitmap {
    int left = 0, top = 0, width = 0, height = 0, stride = 0;
    std::vector<uint8_t> coverage;
};

// One font at one pixel size. Not thread-safe: use one per thread.
class GlyphRasterizer {
public:
    // `fallback_paths` are tried, in order, for characters the main font lacks
    // (clean mode); empty keeps the reference's .notdef boxes.
    GlyphRasterizer(const std::string& font_path, double pixel_size, std::vector<std::string> fallback_paths = {});
    ~GlyphRasterizer();
    GlyphRasterizer(const GlyphRasterizer&) = delete;
    GlyphRasterizer& operator=(const GlyphRasterizer&) = delete;

    // x_quarter: the pen's sub-pixel offset in quarter pixels (0..3).
    // Inline for the cached case, which is nearly every call of a page.
    const GlyphBitmap& glyph(char32_t cp, int x_quarter) {
        const size_t i = size_t(cp) * 4 + size_t(x_quarter & 3);
        if (i < bmp_index_.size() && bmp_index_[i] >= 0) return bitmaps_[size_t(bmp_index_[i])];
        return glyph_slow(cp, x_quarter);
    }
    // A shaped glyph: `font` 0 is the main font, i the i-th fallback.
    const GlyphBitmap& glyph_id(uint16_t font, uint32_t gid, int x_quarter);

private:
    struct Faces;
    std::unique_ptr<Faces> faces_;
    // Bitmaps by (code point, quarter): a flat index for the BMP, a map beyond.
    std::vector<GlyphBitmap> bitmaps_;
    std::vector<int32_t> bmp_index_;  // up to 0x10000 * 4 entries, grown as met; -1 = not rendered yet
    std::unordered_map<uint64_t, int32_t> astral_index_;
    std::vector<std::vector<int32_t>> gid_index_;  // per font: num_glyphs * 4 entries, -1 = not rendered yet
    const GlyphBitmap& glyph_slow(char32_t cp, int x_quarter);
    GlyphBitmap render(char32_t cp, int x_quarter);
    GlyphBitmap render_gid(size_t font, uint32_t gid, int x_quarter);
};

// Pixel size of a page as pdftoppm makes it.
int page_pixels(double points, double dpi);

// Draw one page of the layout: code points advanced by the widths written into
// the reference PDF (`metrics`), or, for a shaped (clean) layout, its glyphs.
Image rasterize_page(const DocumentLayout& layout, int page, const RenderConfig& config, FontMetrics& metrics,
                     GlyphRasterizer& rasterizer, size_t first_line, size_t end_line);

}  // namespace glyph
