// Line breaking and pagination. The reference mode reproduces the reportlab
// pipelines of Glyph's renderers (paragraphs of 30 source lines or the whole
// text as one, tabs as word breaks or no-break spaces, its word and CJK
// wrapping, its page-split quirks); the clean mode keeps the geometry but
// drops the quirks. Output is positioned lines in points, ready to raster.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "glyph/cancel.h"
#include "glyph/config.h"
#include "layout/font_metrics.h"
#include "layout/shaper.h"

namespace glyph {

// The source after the reference's clean-up: one code point per entry, each
// with the byte offset in the original UTF-8 where it came from.
struct SourceText {
    std::u32string chars;
    std::vector<uint32_t> offsets;  // offsets.size() == chars.size() + 1 (end sentinel)
};

struct PositionedLine {
    int page = 0;               // 0-based
    double baseline = 0;        // points from the page top
    double x = 0;               // points from the page left, start of the first glyph
    // The same position as the PDF states it, for a rasterizer that wants
    // poppler's exact arithmetic: paragraph origin (cm, PDF user space,
    // bottom-up) plus the text-space start of the line (Tm/Td/T*).
    double origin_x = 0, origin_y = 0;
    double text_x = 0, text_y = 0;
    double word_space = 0;      // extra advance of every U+0020 (PDF Tw)
    uint32_t glyph_begin = 0;   // range in PageLayout::glyphs
    uint32_t glyph_end = 0;
    uint32_t shaped_begin = 0;  // range in DocumentLayout::shaped_glyphs (clean mode)
    uint32_t shaped_end = 0;
    uint32_t src_begin = 0;     // byte span of the source shown by this line
    uint32_t src_end = 0;
    std::vector<std::pair<uint32_t, uint32_t>> words;  // glyph ranges, for --layout
};

struct ParagraphBox {
    int page = 0;
    double x = 0, top = 0, width = 0, height = 0;  // points, top from the page top
};

struct DocumentLayout {
    std::u32string glyphs;         // what each line draws, in order (code points)
    // Clean mode: what each line draws as shaped glyphs, which the rasterizer
    // then draws instead of `glyphs` (those still give the words and spans).
    bool shaped = false;
    std::vector<ShapedGlyph> shaped_glyphs;
    std::vector<uint8_t> marker;   // per glyph: 1 = drawn in the newline marker's color
    std::vector<PositionedLine> lines;
    std::vector<ParagraphBox> boxes;
    int page_count = 0;
    Color marker_color{0, 0, 0};
};

// Called on the layout's thread each time a page is complete: pages
// [0, pages_done) of `doc` will not change, so a renderer can rasterize them
// while layout goes on (from a copy: the vectors keep growing). The last
// page is complete when the layout returns.
using PagesDone = std::function<void(const DocumentLayout& doc, int pages_done)>;

// Dispatches on config.mode; `font` must carry the fallback fonts in clean mode
// (the clean layout shapes with those files).
// Both throw Cancelled once `cancel` is set (checked per page, per line in clean mode).
DocumentLayout layout_document(const SourceText& text, const RenderConfig& config, FontMetrics& font,
                               const std::atomic<bool>* cancel = nullptr, const PagesDone& on_pages_done = {});
DocumentLayout layout_clean(const SourceText& text, const RenderConfig& config, FontMetrics& font,
                            const std::atomic<bool>* cancel = nullptr, const PagesDone& on_pages_done = {});

// reportlab's fp_str: how a number is written into the PDF (and so what the
// rasterizer reads back).
double pdf_number(double v);

}  // namespace glyph
