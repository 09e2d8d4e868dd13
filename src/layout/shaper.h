// Text shaping for the clean layout: HarfBuzz over the main font and its
// fallback fonts. A piece of text is split into runs by font (the first font
// that has the character; marks stay in their base's font when it has them)
// and by script, and each run is shaped with kerning, ligatures, joining and
// mark positioning. Short pieces (words) are cached, so a long document
// shapes each distinct word once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace glyph {

struct ShapedGlyph {
    uint16_t gid = 0;     // OpenType glyph ids are 16-bit
    uint8_t font = 0;     // 0: the main font, i: the i-th fallback font (GlyphRasterizer's order)
    uint8_t space = 0;    // 1: a U+0020, which justification widens
    float advance = 0;    // 1/1000 em, in the pen's direction (always rightwards)
    float x_offset = 0, y_offset = 0;  // 1/1000 em, y up
};

// Not thread-safe: one per layout.
class Shaper {
public:
    // `font_paths`: the main font first, then the fallbacks. Files HarfBuzz
    // cannot read keep their slot (their characters come out as .notdef of
    // the main font), so indices stay those of the list.
    explicit Shaper(const std::vector<std::string>& font_paths);
    ~Shaper();
    Shaper(const Shaper&) = delete;
    Shaper& operator=(const Shaper&) = delete;

    struct Result {
        const ShapedGlyph* glyphs = nullptr;
        size_t count = 0;
        double width = 0;  // 1/1000 em
    };
    // Glyphs in visual order. `rtl` is the embedding direction (bidi level
    // parity) of the whole piece. The result stays valid until the next call.
    Result shape(std::u32string_view text, bool rtl = false);
    // The advance of one code point shaped alone, 1/1000 em (for cutting
    // words longer than a line).
    double char_width(char32_t cp);

private:
    struct Fonts;
    std::unique_ptr<Fonts> fonts_;
    struct Entry {
        uint32_t begin = 0, count = 0;
        double width = 0;
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::u32string_view s) const { return std::hash<std::u32string_view>{}(s); }
    };
    std::unordered_map<std::u32string, Entry, Hash, std::equal_to<>> cache_[2];  // by direction
    std::vector<ShapedGlyph> store_;    // cached glyphs
    std::vector<ShapedGlyph> scratch_;  // glyphs of an uncached piece
    std::vector<float> char_widths_;    // BMP, -1: not shaped yet
    void shape_into(std::u32string_view text, bool rtl, std::vector<ShapedGlyph>& out);
};

}  // namespace glyph
