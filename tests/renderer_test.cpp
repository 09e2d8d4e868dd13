// The Renderer object: layout as its own stage, pages rasterized on demand,
// fonts loaded once (from a file or from bytes), cancel and progress. Every
// page is compared with what render_text makes of the same text, pixel for
// pixel and as encoded PNG bytes.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/config_json.h"
#include "glyph/glyph.h"
#include "test_support.h"

using namespace glyph;
using glyph::test::read_file;
using nlohmann::json;

namespace {

std::string sample() { return read_file(glyph::test::repo_path("samples/novel_excerpt.txt")); }

std::vector<uint8_t> file_bytes(const std::string& path) {
    const std::string s = read_file(path);
    return {s.begin(), s.end()};
}

// What a page is, apart from its pixels.
void expect_same_extent(const Page& a, const Page& b) {
    EXPECT_EQ(a.number, b.number);
    EXPECT_EQ(a.line_count, b.line_count) << "page " << a.number;
    EXPECT_EQ(a.text_begin, b.text_begin) << "page " << a.number;
    EXPECT_EQ(a.text_end, b.text_end) << "page " << a.number;
    EXPECT_EQ(a.char_begin, b.char_begin) << "page " << a.number;
    EXPECT_EQ(a.char_end, b.char_end) << "page " << a.number;
}

void expect_same_page(const Page& a, const Page& b) {
    expect_same_extent(a, b);
    EXPECT_EQ(a.image.width, b.image.width) << "page " << a.number;
    EXPECT_EQ(a.image.height, b.image.height) << "page " << a.number;
    EXPECT_EQ(encode_png(a.image), encode_png(b.image)) << "page " << a.number << " differs";
}

RenderResult full_render(const std::string& text, const RenderConfig& config) {
    RenderOptions options;
    options.keep_layout = true;
    options.threads = 2;
    return render_text(text, config, options);
}

}  // namespace

TEST(Renderer, LayoutWithoutRasterMatchesRenderedPages) {
    const std::string text = sample();
    const RenderConfig config = preset("en");
    const RenderResult rendered = full_render(text, config);
    const Renderer renderer(config);
    const Layout layout = renderer.layout(text);
    ASSERT_EQ(layout.page_count(), int(rendered.pages.size()));
    ASSERT_GE(layout.page_count(), 2);
    for (size_t i = 0; i < rendered.pages.size(); ++i) {
        expect_same_extent(layout.pages()[i], rendered.pages[i]);
        EXPECT_TRUE(layout.pages()[i].image.pixels.empty()) << "layout draws nothing";
    }
    EXPECT_EQ(layout.pages().back().text_end, text.size()) << "the pages tile the whole text";
    // The lines come out of layout, as --layout writes them.
    ASSERT_EQ(layout.lines().size(), rendered.lines.size());
    for (size_t i = 0; i < rendered.lines.size(); ++i) {
        EXPECT_EQ(layout.lines()[i].page, rendered.lines[i].page);
        EXPECT_EQ(layout.lines()[i].words, rendered.lines[i].words);
        EXPECT_EQ(layout.lines()[i].text_begin, rendered.lines[i].text_begin);
        EXPECT_EQ(layout.lines()[i].x1, rendered.lines[i].x1);
    }
    // A line's span holds its words.
    const LayoutLine& first = layout.lines().front();
    const std::string shown = text.substr(first.text_begin, first.text_end - first.text_begin);
    EXPECT_NE(shown.find(first.words.front()), std::string::npos) << shown;
}

TEST(Renderer, PageOnDemandEqualsTheFullRender) {
    const std::string text = sample();
    // The last page is cropped to its ink: on demand it must know it is last.
    RenderConfig config = apply_config(json{{"auto-crop-last-page", true}, {"auto-crop-width", true}}, preset("en"));
    const RenderResult rendered = full_render(text, config);
    const Renderer renderer(config);
    const Layout layout = renderer.layout(text);
    ASSERT_EQ(layout.page_count(), int(rendered.pages.size()));
    // Out of order, the last first: each page is drawn from the layout alone.
    for (int i = layout.page_count() - 1; i >= 0; --i)
        expect_same_page(renderer.rasterize(layout, i), rendered.pages[size_t(i)]);
    EXPECT_LT(rendered.pages.back().image.height, 842) << "the test needs a cropped last page";
    EXPECT_THROW(renderer.rasterize(layout, layout.page_count()), std::out_of_range);
    // Clean mode lays out shaped glyphs, with fallback fonts: the same holds.
    const RenderConfig clean = apply_config(json{{"auto-crop-last-page", true}}, preset("en"));
    RenderConfig clean_config = clean;
    clean_config.mode = LayoutMode::Clean;
    const std::string mixed = text.substr(0, 9000) + "\n中文的一段话，和 ελληνικά.\n";
    const RenderResult clean_pages = full_render(mixed, clean_config);
    const Renderer clean_renderer(clean_config);
    const Layout clean_layout = clean_renderer.layout(mixed);
    ASSERT_EQ(clean_layout.page_count(), int(clean_pages.pages.size()));
    for (int i = 0; i < clean_layout.page_count(); ++i)
        expect_same_page(clean_renderer.rasterize(clean_layout, i), clean_pages.pages[size_t(i)]);
    EXPECT_THROW(renderer.rasterize(layout, -1), std::out_of_range);
    const Renderer other(config);
    EXPECT_THROW(other.rasterize(layout, 0), std::invalid_argument);
}

TEST(Renderer, OneRendererManyTextsAndThreads) {
    const std::string text = sample();
    const RenderConfig config = preset("en");
    const Renderer renderer(config);
    const std::string half = text.substr(0, text.size() / 2);
    const RenderResult whole = full_render(text, config), part = full_render(half, config);
    // Fonts and glyph caches are shared: two threads, two texts, at once.
    RenderResult a, b;
    std::thread other([&] { a = renderer.render(text); });
    b = renderer.render(half);
    other.join();
    ASSERT_EQ(a.pages.size(), whole.pages.size());
    ASSERT_EQ(b.pages.size(), part.pages.size());
    for (size_t i = 0; i < a.pages.size(); ++i) expect_same_page(a.pages[i], whole.pages[i]);
    for (size_t i = 0; i < b.pages.size(); ++i) expect_same_page(b.pages[i], part.pages[i]);
}

TEST(Renderer, FontFromBytesDrawsTheSamePages) {
    const std::string text = sample().substr(0, 6000);
    const RenderConfig config = preset("en");
    const RenderResult from_file = full_render(text, config);
    RenderConfig no_path = config;
    no_path.font_path = "/nonexistent/font.ttf";  // replaced: the bytes are the font
    const Renderer renderer(no_path, file_bytes(config.font_path));
    EXPECT_NE(renderer.config().font_path, config.font_path);
    const RenderResult from_bytes = renderer.render(text);
    ASSERT_EQ(from_bytes.pages.size(), from_file.pages.size());
    for (size_t i = 0; i < from_file.pages.size(); ++i) expect_same_page(from_bytes.pages[i], from_file.pages[i]);

    const std::string not_a_font = "this is plain text, not a font";
    try {
        Renderer bad(config, std::vector<uint8_t>(not_a_font.begin(), not_a_font.end()));
        ADD_FAILURE() << "text accepted as a font";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("font"), std::string::npos) << e.what();
        EXPECT_EQ(e.kind(), ErrorKind::Config);
    }
    EXPECT_THROW(Renderer(config, std::vector<uint8_t>{}), ConfigError);
}

TEST(Renderer, ProgressCountsEveryPageOnce) {
    const std::string text = sample();
    const Renderer renderer(preset("en"));
    std::mutex mu;
    std::vector<RenderProgress> seen;
    RenderOptions options;
    options.threads = 2;
    options.on_progress = [&](const RenderProgress& p) {
        std::lock_guard lock(mu);
        seen.push_back(p);
    };
    const RenderResult r = renderer.render(text, options);
    const int pages = int(r.pages.size());
    ASSERT_FALSE(seen.empty());
    int most_rasterized = 0, most_laid_out = 0;
    for (size_t i = 0; i < seen.size(); ++i) {
        EXPECT_GE(seen[i].pages_rasterized, most_rasterized) << "counts only grow";
        EXPECT_GE(seen[i].pages_laid_out, most_laid_out) << "counts only grow";
        most_rasterized = seen[i].pages_rasterized;
        most_laid_out = seen[i].pages_laid_out;
        EXPECT_LE(seen[i].pages_rasterized, seen[i].pages_laid_out) << "a page is laid out before it is drawn";
    }
    EXPECT_EQ(most_rasterized, pages);
    EXPECT_EQ(most_laid_out, pages);
    bool done = false;
    for (const RenderProgress& p : seen) done = done || p.layout_done;
    EXPECT_TRUE(done);

    seen.clear();
    const Layout layout = renderer.layout(text, options);
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(seen.back().layout_done);
    EXPECT_EQ(seen.back().pages_laid_out, layout.page_count());
    EXPECT_EQ(seen.back().pages_rasterized, 0) << "layout draws nothing";
}

TEST(Renderer, CancelStopsLayoutAndRender) {
    const std::string text = sample();
    const Renderer renderer(preset("en"));
    std::atomic<bool> stop{false};
    RenderOptions options;
    options.cancel = &stop;
    // Raised as soon as the first page is laid out: nothing is returned.
    options.on_progress = [&](const RenderProgress& p) {
        if (p.pages_laid_out >= 1) stop = true;
    };
    EXPECT_THROW(renderer.render(text, options), Cancelled);
    stop = false;
    EXPECT_THROW(renderer.layout(text, options), Cancelled);
    stop = true;
    try {
        renderer.layout(text, options);
        ADD_FAILURE() << "a raised flag did not stop the layout";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    // The renderer is still whole after a cancelled render.
    EXPECT_EQ(renderer.render(text).pages.size(), full_render(text, preset("en")).pages.size());
}

TEST(Renderer, BadInputAndConfigAreOneLineErrors) {
    EXPECT_THROW(Renderer(apply_config(json{{"font-size", 9}}, preset("en"))).layout(""), InputError);
    RenderConfig config = preset("en");
    config.font_path = "/nonexistent/font.ttf";
    try {
        Renderer r(config);
        ADD_FAILURE() << "a missing font was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Config);
        EXPECT_TRUE(is_usage_error(e.kind()));
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
    try {
        Renderer(preset("en")).layout(std::string("abc\xff", 4));
        ADD_FAILURE() << "invalid UTF-8 was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Input);
        EXPECT_STREQ(error_kind_name(e.kind()), "input");
    }
}

// glyph.h's walk-through, as written there (the VLM part aside).
TEST(Renderer, UmbrellaWalkThrough) {
    const std::string text = sample();
    const glyph::RenderConfig config = glyph::preset_for_text("auto", text);
    const glyph::Renderer renderer(config);
    glyph::RenderResult pages = renderer.render(text);
    ASSERT_FALSE(pages.pages.empty());
    const std::vector<uint8_t> png = encode_png(pages.pages.front().image);
    const Image decoded = decode_image(png.data(), png.size());
    EXPECT_EQ(decoded.width, pages.pages.front().image.width);
    const glyph::Layout layout = renderer.layout(text);
    EXPECT_EQ(layout.page_count(), int(pages.pages.size()));
    const glyph::Tokenizer tokenizer = glyph::Tokenizer::load(glyph::default_tokenizer_path());
    const glyph::VisionProfile& profile = glyph::find_profile("glm-4.1v");
    const glyph::CompressionStats stats = glyph::account(text, pages, tokenizer, profile);
    EXPECT_EQ(stats.text.tokens, int64_t(tokenizer.count(text)));
    EXPECT_GT(stats.ratio(), 1.0);
    EXPECT_EQ(glyph::ratio_line(stats).rfind("compression ", 0), 0u);
}
