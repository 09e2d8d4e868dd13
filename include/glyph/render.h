// The renderer: a UTF-8 text and a RenderConfig in, page images out, each page
// knowing which span of the source it shows. Pages stay in memory; writing
// them to a folder (PNG files + manifest.json) is a separate step.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "glyph/config.h"
#include "glyph/image.h"

namespace glyph {

// Input that cannot be rendered (e.g. invalid UTF-8): one line naming the problem.
struct InputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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

struct RenderResult {
    std::vector<Page> pages;
    std::vector<LayoutLine> lines;
    RenderTimings timings;
};

struct RenderOptions {
    int threads = 1;            // raster threads; 0 = all cores
    bool keep_layout = false;   // fill RenderResult::lines with words
    // When set, each finished page goes here (from worker threads, in any
    // order) and the result keeps only its metadata (image.pixels empty), so
    // a long document never holds all its pages in memory.
    std::function<void(const Page&)> on_page;
};

// Throws InputError for unusable text and ConfigError for an unusable config.
RenderResult render_text(std::string_view utf8, const RenderConfig& config,
                         const RenderOptions& options = {});

// Writes page_001.png ... and manifest.json into a folder (created if its
// parent exists). Every file goes through a temporary name; manifest.json is
// written last and an old one is removed first, so a folder without it is
// incomplete. write() may be called from several threads.
class PageWriter {
public:
    explicit PageWriter(std::string out_dir);  // throws InputError
    void write(const Page& page);
    // Writes manifest.json describing `result` and returns it. `source_path`
    // (empty: none, e.g. stdin or a batch item) is recorded as "source" with
    // "source_sha256", so the pages can be checked against their text later.
    nlohmann::json finish(const RenderResult& result, const RenderConfig& config, std::string_view source,
                          const std::string& source_path = "");
    double encode_ms() const { return encode_us_.load() / 1000.0; }
    static std::string page_file_name(int number);

private:
    std::string dir_;
    std::atomic<long long> encode_us_{0};
};

// In-memory result to a folder, pages encoded on `threads` threads.
nlohmann::json write_pages(const RenderResult& result, const RenderConfig& config, std::string_view source,
                           const std::string& out_dir, int threads = 1);

// Lowercase hex SHA-256 of a source text: the manifest's "source_sha256".
std::string source_digest(std::string_view source);

// The --layout JSONL rows for a result.
std::string layout_jsonl(const RenderResult& result);

}  // namespace glyph
