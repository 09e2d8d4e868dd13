// Where a page's time goes in the renderer, on real pages of a real text:
// layout + raster in memory, PNG encoding of the pages that gives (the
// encode-only floor under any full render), and the bare deflate of the page
// rows. Text: $GLYPH_BENCH_TEXT, else samples/novel_excerpt.txt; en preset.
#include <benchmark/benchmark.h>
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

// Deflating the unfiltered rows alone (libdeflate level 1), without a PNG around them.
void BM_DeflateRows(benchmark::State& state) {
    std::vector<std::vector<uint8_t>> raws;
    for (const glyph::Page& page : pages()) {
        std::vector<uint8_t> raw;
        raw.reserve(size_t(page.image.height) * (page.image.stride() + 1));
        for (int y = 0; y < page.image.height; ++y) {
            raw.push_back(0);
            raw.insert(raw.end(), page.image.row(y), page.image.row(y) + page.image.stride());
        }
        raws.push_back(std::move(raw));
    }
    libdeflate_compressor* compressor = libdeflate_alloc_compressor(1);
    std::vector<uint8_t> out;
    for (auto _ : state) {
        for (const auto& raw : raws) {
            out.resize(libdeflate_zlib_compress_bound(compressor, raw.size()));
            benchmark::DoNotOptimize(libdeflate_zlib_compress(compressor, raw.data(), raw.size(), out.data(), out.size()));
        }
    }
    libdeflate_free_compressor(compressor);
    set_page_rate(state, raws.size());
}
BENCHMARK(BM_DeflateRows)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
