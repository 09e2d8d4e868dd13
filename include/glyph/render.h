// The renderer: a UTF-8 text and a RenderConfig in, page images out, each page
// knowing which span of the source it shows. Pages stay in memory; writing
// them to a folder (PNG files + manifest.json) is a separate step
// (glyph/page_writer.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/cancel.h"
#include "glyph/config.h"
#include "glyph/error.h"
#include "glyph/image.h"
#include "glyph/work_pool.h"

namespace glyph {

// One rendered line, in the shape of the reference oracle's --layout rows.
struct LayoutLine {
    int page = 0;      // 1-based
    double y = 0;      // points from the page top to the top of the line box
    double x0 = 0;     // points
    double x1 = 0;
    std::vector<std::string> words;
    size_t text_begin = 0, text_end = 0;  // byte offsets in the source text
};

struct Page {
    int number = 0;  // 1-based
    Image image;
    int line_count = 0;
    size_t text_begin = 0, text_end = 0;  // byte offsets in the source text
    size_t char_begin = 0, char_end = 0;  // code point offsets in the source text
};

struct RenderTimings {
    double layout_ms = 0;
    double raster_ms = 0;
};

// Characters the pages draw as missing-glyph boxes: the font (and, in clean
// mode, its fallbacks) lacks them.
struct MissingGlyphs {
    size_t count = 0;        // drawn characters, counting repeats
    std::string examples;    // up to 8 distinct ones, UTF-8, space-separated
    std::string font_path;
};

struct RenderResult {
    std::vector<Page> pages;
    std::vector<LayoutLine> lines;
    RenderTimings timings;
    MissingGlyphs missing;
};

// One line for a person when pages show boxes ("" when none): how many, which,
// and the fixes (another preset, a font with them, or --mode clean).
std::string missing_glyph_warning(const MissingGlyphs& missing);

// How far a render has come.
struct RenderProgress {
    int pages_laid_out = 0;
    int pages_rasterized = 0;
    bool layout_done = false;  // pages_laid_out is now the page count
};

struct RenderOptions {
    int threads = 1;            // raster threads; 0 = all cores (when no pool is given)
    // When set, pages are rasterized (and on_page called) on this pool's
    // threads, beside whatever else the caller queued there, while the
    // calling thread lays out the next pages; `threads` is then unused.
    WorkPool* pool = nullptr;
    bool keep_layout = false;   // fill RenderResult::lines with words
    // When set, each finished page goes here (from worker threads, in any
    // order) and the result keeps only its metadata (image.pixels empty), so
    // a long document never holds all its pages in memory.
    std::function<void(const Page&)> on_page;
    // When set and it becomes true, render_text throws Cancelled at the next
    // page it lays out or rasterizes (on_page is not called after that).
    const std::atomic<bool>* cancel = nullptr;
    // When set, called after each page is laid out and after each page is
    // rasterized, from the laying-out thread or a pool thread, never two
    // calls at once.
    std::function<void(const RenderProgress&)> on_progress;
};

// Throws InputError for unusable text, ConfigError for an unusable config and
// Cancelled when options.cancel is set. Renderer (glyph/renderer.h) does the
// same for many texts, loading the fonts once, with layout as its own stage.
RenderResult render_text(std::string_view utf8, const RenderConfig& config,
                         const RenderOptions& options = {});

// Lowercase hex SHA-256 of a source text: the manifest's "source_sha256".
std::string source_digest(std::string_view source);

// The --layout JSONL rows for a result.
std::string layout_jsonl(const RenderResult& result);

}  // namespace glyph
