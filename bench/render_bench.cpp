// Where a page's time goes in the renderer, on real pages of a real text:
// layout + raster in memory (and each apart), PNG encoding of the pages that gives (the
// encode-only floor under any full render), and the bare deflate of the page
// rows by libdeflate level 1 and by ISA-L igzip level 1 (the default's), with
// the igzip variants that do not beat it. Text: $GLYPH_BENCH_TEXT, else samples/novel_excerpt.txt; en preset.
#include <benchmark/benchmark.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "glyph/config.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/renderer.h"

namespace {

const std::string& bench_text() {
    static const std::string text = [] {
        const char* env = std::getenv("GLYPH_BENCH_TEXT");
        const std::string path = env && *env ? env : GLYPH_SOURCE_DIR "/samples/novel_excerpt.txt";
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read the benchmark text " + path);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }();
    return text;
}

const glyph::RenderConfig& config() {
    static const glyph::RenderConfig c = glyph::preset("en");
    return c;
}

const std::vector<glyph::Page>& pages() {
    static const std::vector<glyph::Page> p = glyph::render_text(bench_text(), config()).pages;
    return p;
}

void set_page_rate(benchmark::State& state, size_t page_count) {
    state.counters["pages"] = double(page_count);
    state.counters["pages_per_s"] = benchmark::Counter(double(page_count), benchmark::Counter::kIsIterationInvariantRate);
}

// Layout + raster, one thread, pages kept in memory.
void BM_RenderText(benchmark::State& state) {
    size_t count = 0;
    for (auto _ : state) {
        glyph::RenderResult r = glyph::render_text(bench_text(), config());
        count = r.pages.size();
        benchmark::DoNotOptimize(r.pages.data());
    }
    set_page_rate(state, count);
    state.counters["chars_per_s"] =
        benchmark::Counter(double(bench_text().size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RenderText)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The two halves of BM_RenderText apart, through the public split API. The
// layout alone (Renderer::layout also builds the --layout rows and the
// missing-glyph count, so it runs a little longer than the layout inside a render).
void BM_LayoutText(benchmark::State& state) {
    const glyph::Renderer renderer(config());
    size_t count = 0;
    for (auto _ : state) {
        const glyph::Layout layout = renderer.layout(bench_text());
        count = size_t(layout.page_count());
        benchmark::DoNotOptimize(layout.pages().data());
    }
    set_page_rate(state, count);
}
BENCHMARK(BM_LayoutText)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Drawing the laid-out pages: each page's slice of the layout, glyph blits,
// auto-crop; each page freed before the next, as the CLI frees it once written.
void BM_RasterPages(benchmark::State& state) {
    const glyph::Renderer renderer(config());
    const glyph::Layout layout = renderer.layout(bench_text());
    for (auto _ : state) {
        for (int p = 0; p < layout.page_count(); ++p) {
            const glyph::Page page = renderer.rasterize(layout, p);
            benchmark::DoNotOptimize(page.image.pixels.data());
        }
    }
    set_page_rate(state, size_t(layout.page_count()));
}
BENCHMARK(BM_RasterPages)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// glyph's PNG writer at the level the CLI uses, on the rendered pages.
void BM_EncodePages(benchmark::State& state) {
    size_t bytes = 0;
    for (auto _ : state) {
        bytes = 0;
        for (const glyph::Page& page : pages()) bytes += glyph::encode_png(page.image, 1).size();
        benchmark::DoNotOptimize(bytes);
    }
    set_page_rate(state, pages().size());
    state.counters["bytes_per_page"] = double(bytes) / double(pages().size());
}
BENCHMARK(BM_EncodePages)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Every encoder level on the same pages: igzip's fast levels (1..3) beside
// libdeflate's dense ones (4..12; 12 takes ~0.3 s a page, so it is left out).
void BM_EncodePagesAtLevel(benchmark::State& state) {
    const int level = int(state.range(0));
    size_t bytes = 0;
    for (auto _ : state) {
        bytes = 0;
        for (const glyph::Page& page : pages()) bytes += glyph::encode_png(page.image, level).size();
        benchmark::DoNotOptimize(bytes);
    }
    set_page_rate(state, pages().size());
    state.counters["bytes_per_page"] = double(bytes) / double(pages().size());
}
BENCHMARK(BM_EncodePagesAtLevel)->Arg(0)->DenseRange(1, 6)->Arg(9)->Unit(benchmark::kMillisecond);

// The pages' rows, each after its PNG filter byte: filter none (0), as the
// encoder deflates them, or Sub (1) / Up (2), for the benchmark of filters.
std::vector<std::vector<uint8_t>> filtered_rows(int filter) {
    std::vector<std::vector<uint8_t>> rows;
    for (const glyph::Page& page : pages()) {
        const glyph::Image& im = page.image;
        const int w = im.stride();
        std::vector<uint8_t> raw;
        raw.reserve(size_t(im.height) * size_t(w + 1));
        for (int y = 0; y < im.height; ++y) {
            raw.push_back(uint8_t(filter));
            const uint8_t* r = im.row(y);
            for (int x = 0; x < w; ++x) {
                const int predictor = filter == 0 ? 0 : filter == 1 ? (x ? r[x - 1] : 0) : (y ? im.row(y - 1)[x] : 0);
                raw.push_back(uint8_t(r[x] - predictor));
            }
        }
        rows.push_back(std::move(raw));
    }
    return rows;
}

const std::vector<std::vector<uint8_t>>& page_rows() {
    static const std::vector<std::vector<uint8_t>> rows = filtered_rows(0);
    return rows;
}

// Deflating the unfiltered rows alone (libdeflate level 1), without a PNG around them.
void BM_DeflateRows(benchmark::State& state) {
    libdeflate_compressor* compressor = libdeflate_alloc_compressor(1);
    std::vector<uint8_t> out;
    size_t bytes = 0;
    for (auto _ : state) {
        bytes = 0;
        for (const auto& raw : page_rows()) {
            out.resize(libdeflate_zlib_compress_bound(compressor, raw.size()));
            bytes += libdeflate_zlib_compress(compressor, raw.data(), raw.size(), out.data(), out.size());
        }
        benchmark::DoNotOptimize(bytes);
    }
    libdeflate_free_compressor(compressor);
    set_page_rate(state, page_rows().size());
    state.counters["bytes_per_page"] = double(bytes) / double(page_rows().size());
}
BENCHMARK(BM_DeflateRows)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// One page's rows deflated by igzip at `level` with a level buffer of
// `buffer_size` bytes (zlib stream, stateless): its compressed size.
size_t igzip_size(const std::vector<uint8_t>& raw, int level, std::vector<uint8_t>& buffer, std::vector<uint8_t>& out) {
    out.resize(raw.size() + raw.size() / 1000 + 1024);
    // Zeroed: without it, level 0's output size depended on what the stack
    // held before (250 KB a page instead of 112 after a level-1 run here).
    isal_zstream stream{};
    isal_deflate_stateless_init(&stream);
    stream.level = uint32_t(level);
    stream.level_buf = buffer.empty() ? nullptr : buffer.data();
    stream.level_buf_size = uint32_t(buffer.size());
    stream.gzip_flag = IGZIP_ZLIB;
    stream.end_of_stream = 1;
    stream.next_in = const_cast<uint8_t*>(raw.data());
    stream.avail_in = uint32_t(raw.size());
    stream.next_out = out.data();
    stream.avail_out = uint32_t(out.size());
    if (isal_deflate_stateless(&stream) != COMP_OK) throw std::runtime_error("igzip failed");
    return stream.total_out;
}

void deflate_all_rows(benchmark::State& state, const std::vector<std::vector<uint8_t>>& rows, int level,
                      size_t buffer_size) {
    std::vector<uint8_t> buffer(buffer_size), out;
    size_t bytes = 0;
    for (auto _ : state) {
        bytes = 0;
        for (const auto& raw : rows) bytes += igzip_size(raw, level, buffer, out);
        benchmark::DoNotOptimize(bytes);
    }
    set_page_rate(state, rows.size());
    state.counters["bytes_per_page"] = double(bytes) / double(rows.size());
}

// The same rows through ISA-L igzip level 1 alone: the floor under the
// default encoder.
void BM_IgzipRows(benchmark::State& state) { deflate_all_rows(state, page_rows(), 1, ISAL_DEF_LVL1_DEFAULT); }
BENCHMARK(BM_IgzipRows)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Ways under that floor that do not get there (docs/benchmarks.md):
// igzip's level 0 (no level buffer) and level 1 with a smaller or larger
// hash/token buffer (arg: 0 = SMALL, 1 = EXTRA_LARGE) ...
void BM_IgzipRowsLevel0(benchmark::State& state) { deflate_all_rows(state, page_rows(), 0, 0); }
BENCHMARK(BM_IgzipRowsLevel0)->Unit(benchmark::kMillisecond);

void BM_IgzipRowsBuffer(benchmark::State& state) {
    deflate_all_rows(state, page_rows(), 1, state.range(0) ? ISAL_DEF_LVL1_EXTRA_LARGE : ISAL_DEF_LVL1_SMALL);
}
BENCHMARK(BM_IgzipRowsBuffer)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// ... and PNG's Sub (1) or Up (2) filter on every row instead of none.
void BM_IgzipFilteredRows(benchmark::State& state) {
    deflate_all_rows(state, filtered_rows(int(state.range(0))), 1, ISAL_DEF_LVL1_DEFAULT);
}
BENCHMARK(BM_IgzipFilteredRows)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
