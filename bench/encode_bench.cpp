// Per-page PNG encode time on a text-like 589x842 gray page: glyph's own
// writer (igzip at level 1, libdeflate at 6) against libspng + zlib at levels
// 1 and 6, the pairs measured in ../shared/reference/NOTES.md, plus the bare
// libdeflate and igzip zlib streams as floors.
#include <benchmark/benchmark.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <spng.h>

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <vector>

#include "glyph/encode.h"

namespace {

constexpr int kWidth = 589, kHeight = 842;

// A page like the en preset at 72 dpi: 81 lines of 10 px leading, words of
// 5-6 px wide anti-aliased "glyphs" drawn from a small repertoire (a real
// font repeats its glyphs too, which is what deflate feeds on).
glyph::Image text_like_page() {
    std::mt19937 rng(7);
    constexpr int kGlyphW = 5, kGlyphH = 9, kRepertoire = 60;
    std::vector<std::vector<uint8_t>> glyphs(kRepertoire, std::vector<uint8_t>(kGlyphW * kGlyphH, 255));
    for (auto& g : glyphs) {
        const int strokes = 2 + int(rng() % 3);
        for (int s = 0; s < strokes; ++s) {
            const bool vertical = rng() % 2;
            const int pos = int(rng() % (vertical ? kGlyphW : kGlyphH - 2)) + (vertical ? 0 : 2);
            const int from = int(rng() % 3), to = (vertical ? kGlyphH : kGlyphW) - int(rng() % 2);
            for (int t = from; t < to; ++t) {
                const int x = vertical ? pos : t, y = vertical ? t : pos;
                const uint8_t ink = uint8_t(rng() % 90);  // stem cores with gray edges
                uint8_t& px = g[size_t(y * kGlyphW + x)];
                px = std::min(px, ink);
                if (vertical && x + 1 < kGlyphW) {
                    uint8_t& edge = g[size_t(y * kGlyphW + x + 1)];
                    edge = std::min<uint8_t>(edge, uint8_t(150 + rng() % 80));
                }
            }
        }
    }
    glyph::Image page(kWidth, kHeight, 1);
    for (int line = 0; line < 81; ++line) {
        const int top = 16 + line * 10;
        int x = 16;
        while (true) {
            const int letters = 1 + int(rng() % 9);
            if (x + letters * (kGlyphW + 1) > kWidth - 16) break;
            for (int l = 0; l < letters; ++l, x += kGlyphW + 1) {
                const auto& g = glyphs[rng() % kRepertoire];
                for (int gy = 0; gy < kGlyphH && top + gy < kHeight; ++gy)
                    for (int gx = 0; gx < kGlyphW; ++gx) page.row(top + gy)[x + gx] = g[size_t(gy * kGlyphW + gx)];
            }
            x += 3;  // word space
        }
    }
    return page;
}

const glyph::Image& page() {
    static const glyph::Image p = text_like_page();
    return p;
}

void BM_GlyphPng(benchmark::State& state) {
    const int level = int(state.range(0));
    size_t bytes = 0;
    for (auto _ : state) {
        std::vector<uint8_t> png = glyph::encode_png(page(), level);
        bytes = png.size();
        benchmark::DoNotOptimize(png.data());
    }
    state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_GlyphPng)->Arg(1)->Arg(6)->Unit(benchmark::kMillisecond);

void BM_SpngZlib(benchmark::State& state) {
    const int level = int(state.range(0));
    const glyph::Image& p = page();
    size_t bytes = 0;
    for (auto _ : state) {
        spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
        spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
        spng_set_option(ctx, SPNG_FILTER_CHOICE, SPNG_DISABLE_FILTERING);
        spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, level);
        spng_ihdr ihdr{};
        ihdr.width = uint32_t(p.width);
        ihdr.height = uint32_t(p.height);
        ihdr.bit_depth = 8;
        ihdr.color_type = SPNG_COLOR_TYPE_GRAYSCALE;
        spng_set_ihdr(ctx, &ihdr);
        if (spng_encode_image(ctx, p.pixels.data(), p.pixels.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE))
            throw std::runtime_error("libspng encode failed");
        int error = 0;
        void* png = spng_get_png_buffer(ctx, &bytes, &error);
        benchmark::DoNotOptimize(png);
        std::free(png);
        spng_ctx_free(ctx);
    }
    state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_SpngZlib)->Arg(1)->Arg(6)->Unit(benchmark::kMillisecond);

// The floor: deflating the filtered rows alone, without building a PNG.
void BM_LibdeflateZlibOnly(benchmark::State& state) {
    const glyph::Image& p = page();
    std::vector<uint8_t> raw;
    for (int y = 0; y < p.height; ++y) {
        raw.push_back(0);
        raw.insert(raw.end(), p.row(y), p.row(y) + p.stride());
    }
    libdeflate_compressor* compressor = libdeflate_alloc_compressor(1);
    std::vector<uint8_t> out(libdeflate_zlib_compress_bound(compressor, raw.size()));
    size_t bytes = 0;
    for (auto _ : state) {
        bytes = libdeflate_zlib_compress(compressor, raw.data(), raw.size(), out.data(), out.size());
        benchmark::DoNotOptimize(out.data());
    }
    libdeflate_free_compressor(compressor);
    state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_LibdeflateZlibOnly)->Unit(benchmark::kMillisecond);

// The same rows through ISA-L igzip level 1 (stateless, zlib stream): the
// floor under glyph's default level.
void BM_IgzipZlibOnly(benchmark::State& state) {
    const glyph::Image& p = page();
    std::vector<uint8_t> raw;
    for (int y = 0; y < p.height; ++y) {
        raw.push_back(0);
        raw.insert(raw.end(), p.row(y), p.row(y) + p.stride());
    }
    std::vector<uint8_t> level_buffer(ISAL_DEF_LVL1_DEFAULT), out(raw.size() + raw.size() / 1000 + 1024);
    isal_zstream stream;
    size_t bytes = 0;
    for (auto _ : state) {
        isal_deflate_stateless_init(&stream);
        stream.level = 1;
        stream.level_buf = level_buffer.data();
        stream.level_buf_size = uint32_t(level_buffer.size());
        stream.gzip_flag = IGZIP_ZLIB;
        stream.end_of_stream = 1;
        stream.next_in = raw.data();
        stream.avail_in = uint32_t(raw.size());
        stream.next_out = out.data();
        stream.avail_out = uint32_t(out.size());
        if (isal_deflate_stateless(&stream) != COMP_OK) state.SkipWithError("igzip failed");
        bytes = stream.total_out;
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_IgzipZlibOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
