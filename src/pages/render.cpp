#include "glyph/render.h"

#include <sys/mman.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/page_writer.h"
#include "glyph/renderer.h"
#include "glyph/work_pool.h"
#include "layout/font_metrics.h"
#include "layout/page_layout.h"
#include "raster/page_raster.h"
#include "util/fonts.h"
#include "util/utf8.h"

namespace glyph {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Decode and clean the source as the reference pipeline does: universal
// newlines (Python's text-mode read), soft hyphens and zero-width spaces dropped.
SourceText prepare_source(std::string_view utf8) {
    SourceText src;
    src.chars.reserve(utf8.size());
    src.offsets.reserve(utf8.size() + 1);
    size_t i = 0;
    while (i < utf8.size()) {
        const size_t at = i;
        const unsigned char byte = static_cast<unsigned char>(utf8[i]);
        if (byte < 0x80 && byte != '\r' && byte != 0) {  // plain ASCII, most of a text: no decoding
            src.chars.push_back(byte);
            src.offsets.push_back(uint32_t(at));
            ++i;
            continue;
        }
        char32_t cp = decode_utf8(utf8, i);  // advances i; throws InputError
        if (cp == 0)
            throw InputError("input contains a NUL byte at offset " + std::to_string(at) +
                             "; it looks like a binary file, not text");
        if (cp == 0xAD || cp == 0x200B) continue;
        if (cp == U'\r') {
            cp = U'\n';
            if (i < utf8.size() && utf8[i] == '\n') ++i;
        }
        src.chars.push_back(cp);
        src.offsets.push_back(uint32_t(at));
    }
    src.offsets.push_back(uint32_t(utf8.size()));
    return src;
}

// PIL's "L" of one pixel.
inline uint8_t luminance(const uint8_t* p, int channels) {
    if (channels == 1) return p[0];
    return uint8_t((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
}

// Cuts the page to its top-left width x height in its own buffer: each row
// moves to its place at the narrower stride, which is never after where it
// was, so going top-down reads every row before it is overwritten.
void crop_in_place(Image& img, int width, int height) {
    if (width == img.width && height == img.height) return;
    const size_t old_stride = img.stride(), new_stride = size_t(width) * size_t(img.channels);
    if (new_stride != old_stride)
        for (int y = 1; y < height; ++y)
            std::memmove(img.pixels.data() + size_t(y) * new_stride, img.pixels.data() + size_t(y) * old_stride,
                         new_stride);
    img.width = width;
    img.height = height;
    img.pixels.resize(new_stride * size_t(height));
    if (img.pixels.capacity() > 2 * img.pixels.size()) img.pixels.shrink_to_fit();  // a short last page
}

// The rightmost ink pixel of a grey row at or after `from`, or -1: ink is a
// level outside [lo, hi]. Each row is scanned from its right end back to the
// rightmost ink found so far, nearly all of it blank: 16 pixels at a time.
int rightmost_ink(const uint8_t* row, int from, int width, uint8_t lo, uint8_t hi) {
    int x = width;
#if defined(__SSE2__)
    const __m128i low = _mm_set1_epi8(char(lo)), span = _mm_set1_epi8(char(hi - lo));
    while (x - from >= 16) {
        x -= 16;
        // v - lo, wrapping, is at most hi - lo exactly for the background's levels.
        const __m128i off = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x)), low);
        const __m128i blank = _mm_cmpeq_epi8(_mm_min_epu8(off, span), off);
        const unsigned ink = ~unsigned(_mm_movemask_epi8(blank)) & 0xFFFFu;
        if (ink) return x + 31 - __builtin_clz(ink);
    }
#endif
    while (x-- > from)
        if (uint8_t(row[x] - lo) > uint8_t(hi - lo)) return x;
    return -1;
}

// The reference's auto-crop: ink is anything more than 5 grey levels away
// from the median of the top-left 2x2 pixels; keep margin pixels past it.
Image auto_crop(Image img, const RenderConfig& cfg, bool last_page) {
    const bool crop_w = cfg.auto_crop_width, crop_h = cfg.auto_crop_last_page && last_page;
    if (!crop_w && !crop_h) return img;
    const int w = img.width, h = img.height, ch = img.channels;
    const uint8_t* px = img.pixels.data();
    const size_t right = w > 1 ? 1 : 0, below = h > 1 ? size_t(w) : 0;
    uint8_t corner[4] = {luminance(px, ch), luminance(px + right * size_t(ch), ch),
                         luminance(px + below * size_t(ch), ch), luminance(px + (below + right) * size_t(ch), ch)};
    std::sort(corner, corner + 4);
    const double background = (corner[1] + corner[2]) / 2.0;
    bool ink[256];  // by grey level, decided once instead of per pixel
    for (int v = 0; v < 256; ++v) ink[v] = std::fabs(v - background) > 5;
    // The background's levels are one run [lo, hi] (never empty: ten levels
    // around a background in 0..255).
    const uint8_t lo = uint8_t(std::find(ink, ink + 256, false) - ink);
    const uint8_t hi = uint8_t(255 - (std::find(std::rbegin(ink), std::rend(ink), false) - std::rbegin(ink)));
    int last_col = -1, last_row = -1;
    for (int y = 0; y < h; ++y) {
        const uint8_t* row = img.row(y);
        const int from = crop_h ? 0 : last_col + 1;  // a full row only when the last ink row matters
        int x = -1;
        if (ch == 1) {
            x = rightmost_ink(row, from, w, lo, hi);
        } else {
            for (int c = w - 1; c >= from && x < 0; --c)
                if (ink[luminance(row + size_t(c) * size_t(ch), ch)]) x = c;
        }
        if (x >= 0) {
            last_col = std::max(last_col, x);
            last_row = y;
        }
    }
    int new_w = w, new_h = h;
    if (crop_w && last_col >= 0) new_w = std::min(w, int(std::nearbyint(last_col + 1 + cfg.margin_x)));
    if (crop_h && last_row >= 0) new_h = std::min(h, int(std::nearbyint(last_row + cfg.margin_y)));
    crop_in_place(img, std::max(1, new_w), std::max(1, new_h));
    return img;
}

// Whitespace and controls draw nothing, so a font need not have them.
bool draws_ink(char32_t c) {
    if (c < 0x80) return c > 0x20 && c != 0x7F;  // nearly every glyph of a page: decided in two tests
    return c > 0xA0 && c != 0x2028 && c != 0x2029 && !(c >= 0x2000 && c <= 0x200F) && c != 0x3000 && c != 0xFEFF;
}

MissingGlyphs find_missing_glyphs(const DocumentLayout& layout, const FontMetrics& metrics) {
    MissingGlyphs missing;
    missing.font_path = metrics.path();
    // Each distinct code point is asked of the font once: 0 unknown, 1 drawn, 2 missing.
    std::vector<uint8_t> seen;
    size_t distinct = 0;
    for (char32_t c : layout.glyphs) {
        if (!draws_ink(c)) continue;
        if (c >= seen.size()) seen.resize(std::min<size_t>(0x110000, size_t(c) * 2 + 1), 0);
        uint8_t& state = seen[c];
        if (state == 0) {
            state = metrics.covers(c) ? 1 : 2;
            if (state == 2 && distinct++ < 8) {
                if (!missing.examples.empty()) missing.examples += ' ';
                append_utf8(missing.examples, c);
            }
        }
        missing.count += state == 2;
    }
    return missing;
}

size_t char_index(const SourceText& src, uint32_t byte) {
    auto it = std::lower_bound(src.offsets.begin(), src.offsets.end(), byte);
    return size_t(it - src.offsets.begin());
}

// What rasterizing one page needs of the layout, copied out while layout goes
// on: lines [first_line, end_line) with their glyphs, marks and shaped glyphs
// (the lines' indices rebased to the copy) and the page's paragraph boxes,
// read from `next_box` on (boxes come in page order; it is advanced past them).
DocumentLayout page_slice(const DocumentLayout& doc, int page, size_t first_line, size_t end_line, size_t& next_box) {
    DocumentLayout slice;
    slice.shaped = doc.shaped;
    slice.marker_color = doc.marker_color;
    for (; next_box < doc.boxes.size() && doc.boxes[next_box].page <= page; ++next_box)
        if (doc.boxes[next_box].page == page) slice.boxes.push_back(doc.boxes[next_box]);
    if (first_line == end_line) return slice;
    const uint32_t glyph_base = doc.lines[first_line].glyph_begin, glyph_end = doc.lines[end_line - 1].glyph_end;
    slice.glyphs.assign(doc.glyphs, glyph_base, glyph_end - glyph_base);
    slice.marker.assign(doc.marker.begin() + glyph_base, doc.marker.begin() + glyph_end);
    const uint32_t shaped_base = doc.lines[first_line].shaped_begin;
    if (doc.shaped)
        slice.shaped_glyphs.assign(doc.shaped_glyphs.begin() + shaped_base,
                                   doc.shaped_glyphs.begin() + doc.lines[end_line - 1].shaped_end);
    slice.lines.reserve(end_line - first_line);
    for (size_t i = first_line; i < end_line; ++i) {
        const PositionedLine& from = doc.lines[i];
        PositionedLine& line = slice.lines.emplace_back();
        line.page = from.page;
        line.baseline = from.baseline;
        line.x = from.x;
        line.origin_x = from.origin_x;
        line.origin_y = from.origin_y;
        line.text_x = from.text_x;
        line.text_y = from.text_y;
        line.word_space = from.word_space;
        line.glyph_begin = from.glyph_begin - glyph_base;
        line.glyph_end = from.glyph_end - glyph_base;
        line.shaped_begin = from.shaped_begin - shaped_base;
        line.shaped_end = from.shaped_end - shaped_base;
        line.src_begin = from.src_begin;
        line.src_end = from.src_end;  // words stay behind: only --layout reads them, from the whole layout
    }
    return slice;
}

// A font and a glyph cache for one rasterizing thread at a time.
struct PageRasterizer {
    FontMetrics metrics;
    GlyphRasterizer raster;
    PageRasterizer(const RenderConfig& config, const std::vector<std::string>& fallbacks)
        : metrics(config.font_path, fallbacks),
          raster(config.font_path, config.font_size * config.dpi / 72.0, fallbacks) {}
};

// Loaded fonts lent to one thread at a time and put back after: at most one
// per thread is ever made, so caches stay warm from page to page and from
// text to text.
template <class T>
class Shelf {
public:
    using Make = std::function<std::unique_ptr<T>()>;
    explicit Shelf(Make make) : make_(std::move(make)) {}

    class Lease {
    public:
        Lease(Shelf& shelf, std::unique_ptr<T> item) : shelf_(shelf), item_(std::move(item)) {}
        ~Lease() { shelf_.put_back(std::move(item_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        T& operator*() const { return *item_; }
        T* operator->() const { return item_.get(); }

    private:
        Shelf& shelf_;
        std::unique_ptr<T> item_;
    };

    Lease take() {
        {
            std::lock_guard lock(mu_);
            if (!idle_.empty()) {
                std::unique_ptr<T> item = std::move(idle_.back());
                idle_.pop_back();
                return Lease(*this, std::move(item));
            }
        }
        return Lease(*this, make_());
    }

private:
    void put_back(std::unique_ptr<T> item) {
        std::lock_guard lock(mu_);
        idle_.push_back(std::move(item));
    }

    Make make_;
    std::mutex mu_;
    std::vector<std::unique_ptr<T>> idle_;
};

// Reports progress to one callback from several threads, one call at a time.
class ProgressReport {
public:
    explicit ProgressReport(const std::function<void(const RenderProgress&)>& sink) : sink_(sink) {}
    void laid_out(int pages, bool done) {
        if (!sink_) return;
        std::lock_guard lock(mu_);
        state_.pages_laid_out = pages;
        state_.layout_done = done;
        sink_(state_);
    }
    void rasterized() {
        if (!sink_) return;
        std::lock_guard lock(mu_);
        ++state_.pages_rasterized;
        sink_(state_);
    }

private:
    const std::function<void(const RenderProgress&)>& sink_;
    std::mutex mu_;
    RenderProgress state_;
};

// One page on its way from the layout to the result.
struct PageJob {
    DocumentLayout slice;
    Page page;
    bool last = false;  // the document's last page (auto-crop-last-page)
};

// Draws a page from its slice of the layout: the pixels, the line count and
// the span of its lines (which tile_spans then makes contiguous).
void draw_page(PageJob& job, const RenderConfig& config, Shelf<PageRasterizer>& rasterizers) {
    Image img;
    {
        const auto r = rasterizers.take();
        img = rasterize_page(job.slice, job.page.number - 1, config, r->metrics, r->raster, 0, job.slice.lines.size());
    }
    if (config.horizontal_scale != 1.0) img = stretch_width(img, std::max(1, int(img.width * config.horizontal_scale)));
    Page& page = job.page;
    page.image = auto_crop(std::move(img), config, job.last);
    page.line_count = int(job.slice.lines.size());
    for (const PositionedLine& l : job.slice.lines) {
        if (&l == &job.slice.lines.front()) page.text_begin = l.src_begin;
        page.text_end = std::max<size_t>(page.text_end, l.src_end);
    }
    job.slice = {};
}

void render_page(PageJob& job, const RenderConfig& config, Shelf<PageRasterizer>& rasterizers,
                 const RenderOptions& options, ProgressReport& progress) {
    throw_if_cancelled(options.cancel);
    draw_page(job, config, rasterizers);
    if (options.on_page) {
        options.on_page(job.page);
        job.page.image.pixels = {};
        job.page.image.pixels.shrink_to_fit();
    }
    progress.rasterized();
}

// Pages tile the source: each page's span runs to where the next begins.
void tile_spans(std::vector<Page>& pages, const SourceText& src, size_t text_bytes) {
    for (size_t p = 0; p < pages.size(); ++p) {
        Page& page = pages[p];
        if (p == 0) page.text_begin = 0;
        page.text_end = p + 1 < pages.size() ? pages[p + 1].text_begin : text_bytes;
        if (page.text_end < page.text_begin) page.text_end = page.text_begin;
        page.char_begin = char_index(src, uint32_t(page.text_begin));
        page.char_end = char_index(src, uint32_t(page.text_end));
    }
}

// The lines as the reference oracle's --layout rows: position in points,
// words as pdftotext reads them back, source span.
std::vector<LayoutLine> layout_lines(const DocumentLayout& layout, const FontMetrics& metrics,
                                     const RenderConfig& config) {
    std::vector<LayoutLine> lines;
    for (const PositionedLine& l : layout.lines) {
        LayoutLine out;
        out.page = l.page + 1;
        if (l.words.empty() || l.glyph_begin == l.glyph_end) continue;  // pdftotext sees no empty lines
        out.y = l.baseline - metrics.ascent1000() / 1000.0 * config.font_size;
        out.x0 = l.x;
        out.x1 = l.x;
        double x = l.x;
        if (layout.shaped) {
            for (uint32_t g = l.shaped_begin; g < l.shaped_end; ++g) {
                const ShapedGlyph& sg = layout.shaped_glyphs[g];
                x += sg.advance / 1000.0 * config.font_size + (sg.space ? l.word_space : 0);
            }
        } else {
            for (uint32_t g = l.glyph_begin; g < l.glyph_end; ++g) {
                x += metrics.width1000(layout.glyphs[g]) / 1000.0 * config.font_size +
                     (layout.glyphs[g] == U' ' || layout.glyphs[g] == 0xA0 ? l.word_space : 0);
            }
        }
        out.x1 = x;
        // Words as pdftotext reads them back: split at spaces (CJK lines
        // are laid out as one run of characters).
        for (auto [b, e] : l.words) {
            std::string word;
            for (uint32_t g = b; g <= e; ++g) {
                if (g == e || layout.glyphs[g] == U' ') {
                    if (!word.empty()) out.words.push_back(std::move(word));
                    word.clear();
                } else {
                    append_utf8(word, layout.glyphs[g]);
                }
            }
        }
        out.text_begin = l.src_begin;
        out.text_end = l.src_end;
        lines.push_back(std::move(out));
    }
    return lines;
}

// The first line of each page, and the end of the last: pages are runs of
// consecutive lines.
std::vector<size_t> page_line_starts(const DocumentLayout& doc) {
    std::vector<size_t> starts;
    size_t line = 0;
    for (int p = 0; p < doc.page_count; ++p) {
        starts.push_back(line);
        while (line < doc.lines.size() && doc.lines[line].page == p) ++line;
    }
    starts.push_back(line);
    return starts;
}

// A font given as bytes lives in an anonymous memory file, which every font
// loader (FreeType, HarfBuzz) can open by its /proc/self/fd path.
class MemoryFontFile {
public:
    explicit MemoryFontFile(const std::vector<uint8_t>& bytes) {
        if (bytes.empty()) throw ConfigError("font bytes are empty; expected a TTF/OTF/TTC font");
        fd_ = ::memfd_create("glyph-font", MFD_CLOEXEC);
        if (fd_ < 0) throw IoError(std::string("cannot hold the font in memory: ") + std::strerror(errno));
        size_t written = 0;
        while (written < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int error = n < 0 ? errno : EIO;
                ::close(fd_);
                throw IoError(std::string("cannot hold the font in memory: ") + std::strerror(error));
            }
            written += size_t(n);
        }
    }
    ~MemoryFontFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    MemoryFontFile(const MemoryFontFile&) = delete;
    MemoryFontFile& operator=(const MemoryFontFile&) = delete;
    std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
    int fd_ = -1;
};

RenderConfig with_font_path(RenderConfig config, const std::string& path) {
    config.font_path = path;
    return config;
}

}  // namespace

struct Renderer::Fonts {
    std::unique_ptr<MemoryFontFile> memory_font;  // declared first: outlives the faces opened from it
    RenderConfig config;
    std::vector<std::string> fallbacks;
    Shelf<FontMetrics> metrics;  // for layout
    Shelf<PageRasterizer> rasterizers;

    Fonts(std::unique_ptr<MemoryFontFile> memory, RenderConfig c)
        : memory_font(std::move(memory)),
          config(memory_font ? with_font_path(std::move(c), memory_font->path()) : std::move(c)),
          metrics([this] { return std::make_unique<FontMetrics>(config.font_path, fallbacks); }),
          rasterizers([this] { return std::make_unique<PageRasterizer>(config, fallbacks); }) {
        validate(config);
        if (config.mode == LayoutMode::Clean) fallbacks = fallback_font_files();
        (void)metrics.take();  // loads the font now, so a bad one fails here
    }
};

struct Layout::Data {
    const void* owner = nullptr;  // the Renderer's fonts it was laid out with
    DocumentLayout doc;
    std::vector<size_t> line_starts;  // page p holds lines [line_starts[p], line_starts[p + 1])
    std::vector<Page> pages;
    std::vector<LayoutLine> lines;
    MissingGlyphs missing;
    double layout_ms = 0;
};

int Layout::page_count() const { return data_ ? int(data_->pages.size()) : 0; }
const std::vector<Page>& Layout::pages() const {
    static const std::vector<Page> none;
    return data_ ? data_->pages : none;
}
const std::vector<LayoutLine>& Layout::lines() const {
    static const std::vector<LayoutLine> none;
    return data_ ? data_->lines : none;
}
const MissingGlyphs& Layout::missing() const {
    static const MissingGlyphs none;
    return data_ ? data_->missing : none;
}
double Layout::layout_ms() const { return data_ ? data_->layout_ms : 0; }

Renderer::Renderer(RenderConfig config) : fonts_(std::make_unique<Fonts>(nullptr, std::move(config))) {}

Renderer::Renderer(RenderConfig config, std::vector<uint8_t> font_bytes)
    : fonts_(std::make_unique<Fonts>(std::make_unique<MemoryFontFile>(font_bytes), std::move(config))) {}

Renderer::~Renderer() = default;
Renderer::Renderer(Renderer&&) noexcept = default;
Renderer& Renderer::operator=(Renderer&&) noexcept = default;

const RenderConfig& Renderer::config() const { return fonts_->config; }

Layout Renderer::layout(std::string_view utf8, const RenderOptions& options) const {
    const auto t0 = std::chrono::steady_clock::now();
    const RenderConfig& config = fonts_->config;
    const SourceText src = prepare_source(utf8);
    if (src.chars.empty()) throw InputError("input is empty: there is no text to render");
    auto data = std::make_shared<Layout::Data>();
    data->owner = fonts_.get();
    ProgressReport progress(options.on_progress);
    {
        const auto metrics = fonts_->metrics.take();
        data->doc = layout_document(src, config, *metrics, options.cancel,
                                    [&](const DocumentLayout&, int pages_done) { progress.laid_out(pages_done, false); });
        data->missing = find_missing_glyphs(data->doc, *metrics);
        data->lines = layout_lines(data->doc, *metrics, config);
    }
    data->line_starts = page_line_starts(data->doc);
    data->pages.resize(size_t(data->doc.page_count));
    for (size_t p = 0; p < data->pages.size(); ++p) {
        Page& page = data->pages[p];
        const size_t first = data->line_starts[p], end = data->line_starts[p + 1];
        page.number = int(p + 1);
        page.line_count = int(end - first);
        if (first < end) page.text_begin = data->doc.lines[first].src_begin;
    }
    tile_spans(data->pages, src, utf8.size());
    progress.laid_out(data->doc.page_count, true);
    data->layout_ms = ms_since(t0);
    Layout layout;
    layout.data_ = std::move(data);
    return layout;
}

Page Renderer::rasterize(const Layout& layout, int page_index) const {
    if (!layout.data_ || layout.data_->owner != fonts_.get())
        throw std::invalid_argument("rasterize: the layout was made by another Renderer");
    const Layout::Data& data = *layout.data_;
    if (page_index < 0 || page_index >= int(data.pages.size()))
        throw std::out_of_range("rasterize: page index " + std::to_string(page_index) + " is outside 0.." +
                                std::to_string(int(data.pages.size()) - 1));
    const size_t p = size_t(page_index);
    PageJob job;
    size_t boxes_from = 0;
    job.slice = page_slice(data.doc, page_index, data.line_starts[p], data.line_starts[p + 1], boxes_from);
    job.page.number = page_index + 1;
    job.last = p + 1 == data.pages.size();
    draw_page(job, fonts_->config, fonts_->rasterizers);
    Page page = data.pages[p];  // the spans, already tiled
    page.image = std::move(job.page.image);
    return page;
}

RenderResult Renderer::render(std::string_view utf8, const RenderOptions& options) const {
    const RenderConfig& config = fonts_->config;
    const auto t0 = std::chrono::steady_clock::now();
    const SourceText src = prepare_source(utf8);
    if (src.chars.empty()) throw InputError("input is empty: there is no text to render");
    const auto metrics = fonts_->metrics.take();

    // Pages are rasterized (and handed to on_page) on the pool while this
    // thread goes on laying out the next ones.
    std::optional<WorkPool> own_pool;
    WorkPool& pool = options.pool ? *options.pool : own_pool.emplace(options.threads);
    Shelf<PageRasterizer>& rasterizers = fonts_->rasterizers;
    ProgressReport progress(options.on_progress);
    std::vector<std::unique_ptr<PageJob>> jobs;
    WorkPool::Group page_tasks;
    size_t next_line = 0, next_box = 0;
    std::atomic<bool> abandoned{false};  // the layout failed: the queued pages are not wanted
    std::chrono::steady_clock::time_point first_page_out;
    auto hand_out = [&](const DocumentLayout& doc, int pages_done, bool layout_done) {
        // Reported before the pages go out, so that no page is seen drawn
        // before it is seen laid out.
        progress.laid_out(pages_done, layout_done);
        for (int p = int(jobs.size()); p < pages_done; ++p) {
            size_t end_line = next_line;
            while (end_line < doc.lines.size() && doc.lines[end_line].page == p) ++end_line;
            auto job = std::make_unique<PageJob>();
            job->slice = page_slice(doc, p, next_line, end_line, next_box);
            job->page.number = p + 1;
            job->last = layout_done && p + 1 == pages_done;
            next_line = end_line;
            if (jobs.empty()) first_page_out = std::chrono::steady_clock::now();
            pool.submit(page_tasks, [&config, &rasterizers, &options, &abandoned, &progress, job = job.get()] {
                if (!abandoned) render_page(*job, config, rasterizers, options, progress);
            });
            jobs.push_back(std::move(job));
        }
    };
    RenderResult result;
    try {
        const DocumentLayout layout =
            layout_document(src, config, *metrics, options.cancel,
                            [&](const DocumentLayout& doc, int pages_done) { hand_out(doc, pages_done, false); });
        hand_out(layout, layout.page_count, true);
        result.missing = find_missing_glyphs(layout, *metrics);
        if (options.keep_layout) result.lines = layout_lines(layout, *metrics, config);
    } catch (...) {
        // The queued pages refer to this frame: they must be over (their
        // errors are moot) before the layout's error leaves it.
        abandoned = true;
        try {
            pool.wait(page_tasks);
        } catch (...) {
        }
        throw;
    }
    result.timings.layout_ms = ms_since(t0);
    pool.wait(page_tasks);
    result.timings.raster_ms = ms_since(first_page_out);
    result.pages.reserve(jobs.size());
    for (std::unique_ptr<PageJob>& job : jobs) result.pages.push_back(std::move(job->page));
    jobs.clear();
    tile_spans(result.pages, src, utf8.size());
    return result;
}

RenderResult render_text(std::string_view utf8, const RenderConfig& config, const RenderOptions& options) {
    return Renderer(config).render(utf8, options);
}

std::string missing_glyph_warning(const MissingGlyphs& missing) {
    if (missing.count == 0) return "";
    const std::string font = fs::path(missing.font_path).filename().string();
    return std::to_string(missing.count) + (missing.count == 1 ? " character" : " characters") + " (" +
           missing.examples + ") " + (missing.count == 1 ? "has" : "have") + " no glyph in " + font +
           " and " + (missing.count == 1 ? "is" : "are") +
           " drawn as boxes; use another preset (--preset auto picks zh for Chinese), a font that has them "
           "(--set font-path=FILE), or --mode clean (falls back to other fonts)";
}

std::string layout_jsonl(const RenderResult& result) {
    std::string out;
    for (const LayoutLine& l : result.lines) {
        json row{{"page", l.page}, {"y", l.y}, {"x0", l.x0}, {"x1", l.x1}, {"words", l.words},
                 {"text_begin", l.text_begin}, {"text_end", l.text_end}};
        out += row.dump(-1, ' ', false, json::error_handler_t::replace);
        out += '\n';
    }
    return out;
}

json write_pages(const RenderResult& result, const RenderConfig& config, std::string_view source,
                 const std::string& out_dir, int threads) {
    PageWriter writer(out_dir);
    WorkPool pool(threads);
    WorkPool::Group writes;
    for (const Page& page : result.pages) pool.submit(writes, [&writer, &page] { writer.write(page); });
    pool.wait(writes);
    return writer.finish(result, config, source);
}

}  // namespace glyph
