// Shaping in the clean layout mode (HarfBuzz): kerning, ligatures, combining
// marks, Arabic joining and right-to-left order, with Debian's DejaVu Sans
// and its fallback fonts, checked on decoded pages and on the layout.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "layout/shaper.h"
#include "test_support.h"
#include "util/fonts.h"

using namespace glyph;
using glyph::test::read_file;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;

namespace {

RenderConfig config(const std::string& mode, int dpi = 72) {
    return apply_config(json{{"layout-mode", mode}, {"dpi", dpi}, {"auto-crop-width", false}}, preset("en"));
}

Image page(const std::string& text, const std::string& mode, int dpi = 72) {
    return render_text(text, config(mode, dpi)).pages.at(0).image;
}

bool ink(const Image& img, int x, int y) { return img.row(y)[size_t(x) * size_t(img.channels)] < 128; }

struct Box {
    int x0 = 1 << 30, x1 = -1, y0 = 1 << 30, y1 = -1;
    int width() const { return x1 - x0 + 1; }
};

Box ink_box(const Image& img) {
    Box b;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            if (ink(img, x, y)) {
                b.x0 = std::min(b.x0, x);
                b.x1 = std::max(b.x1, x);
                b.y0 = std::min(b.y0, y);
                b.y1 = std::max(b.y1, y);
            }
    return b;
}

// Columns without ink between the leftmost and the rightmost ink.
int blank_columns(const Image& img) {
    const Box b = ink_box(img);
    int blank = 0;
    for (int x = b.x0; x <= b.x1; ++x) {
        bool any = false;
        for (int y = b.y0; y <= b.y1 && !any; ++y) any = ink(img, x, y);
        blank += !any;
    }
    return blank;
}

std::string dejavu() { return find_font_file({"DejaVuSans.ttf"}, "DejaVu Sans"); }

}  // namespace

TEST(Shaper, KerningLigaturesMarksAndFallback) {
    Shaper shaper({dejavu(), find_font_file({"wqy-microhei.ttc"}, "WenQuanYi Micro Hei")});
    // DejaVu Sans kerns A/V and T/o: shaped pairs are narrower than their letters.
    EXPECT_LT(shaper.shape(U"AV").width, shaper.char_width(U'A') + shaper.char_width(U'V') - 50);
    EXPECT_LT(shaper.shape(U"To").width, shaper.char_width(U'T') + shaper.char_width(U'o') - 50);
    // ... and has an "fi" ligature: one glyph.
    EXPECT_EQ(shaper.shape(U"fi").count, 1u);
    // A decomposed é is shaped as the precomposed one.
    Shaper::Result decomposed = shaper.shape(U"e\u0301");
    const std::vector<ShapedGlyph> d(decomposed.glyphs, decomposed.glyphs + decomposed.count);
    Shaper::Result precomposed = shaper.shape(U"\u00E9");
    ASSERT_EQ(d.size(), precomposed.count);
    EXPECT_EQ(d[0].gid, precomposed.glyphs[0].gid);
    // A character the main font lacks comes from the first font that has it.
    Shaper::Result mixed = shaper.shape(U"a\u4E2D");
    ASSERT_EQ(mixed.count, 2u);
    EXPECT_EQ(mixed.glyphs[0].font, 0);
    EXPECT_EQ(mixed.glyphs[1].font, 1);
    EXPECT_NE(mixed.glyphs[1].gid, 0u);
    // Cached and uncached pieces shape alike.
    const std::u32string long_word(100, U'W');
    EXPECT_NEAR(shaper.shape(long_word).width, 100 * shaper.char_width(U'W'), 1e-3);
}

TEST(Shaping, KerningNarrowsThePageAndTheLayout) {
    // Through the CLI: PNG files decoded back and the --layout rows.
    TempDir dir;
    const std::string text = "AVAVAVAVAVAVAVAVAVAV To fi";
    write_file(dir.file("in.txt"), text);
    struct Out {
        Box box;
        json row;
    };
    auto render = [&](const std::string& mode) {
        const std::string out = dir.file(mode);
        auto r = run_glyph("render " + shell_quote(dir.file("in.txt")) + " --preset en --mode " + mode +
                           " --set auto-crop-width=false --out " + shell_quote(out) + " --layout " +
                           shell_quote(out + ".jsonl"));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::istringstream rows(read_file(out + ".jsonl"));
        std::string line;
        std::getline(rows, line);
        return Out{ink_box(read_image_file(out + "/page_001.png")), json::parse(line)};
    };
    const Out ref = render("reference"), clean = render("clean");
    EXPECT_EQ(clean.row["words"], ref.row["words"]);
    EXPECT_EQ(clean.row["text_end"], text.size());
    const double ref_w = ref.row["x1"].get<double>() - ref.row["x0"].get<double>();
    const double clean_w = clean.row["x1"].get<double>() - clean.row["x0"].get<double>();
    EXPECT_LT(clean_w, ref_w - 8) << "10 kerned A-V pairs and T-o, one ligature";
    EXPECT_LT(clean.box.width(), ref.box.width() - 8);
    // The layout's width is the drawn width.
    EXPECT_NEAR(clean.box.x1 + 1 - clean.box.x0, clean_w, 2.0);
}

TEST(Shaping, CombiningMarkSitsOnItsBase) {
    const Image decomposed = page("caf\x65\xCC\x81 x\xCC\x81", "clean", 288);  // e, x + U+0301
    const Image precomposed = page("caf\xC3\xA9 x\xCC\x81", "clean", 288);
    EXPECT_EQ(decomposed.pixels, precomposed.pixels);
    // A mark without a precomposed form: above its base, within its width.
    const Box x = ink_box(page("x", "clean", 288)), x_acute = ink_box(page("x\xCC\x81", "clean", 288));
    EXPECT_LT(x_acute.y0, x.y0 - 5);
    EXPECT_GE(x_acute.x0, x.x0 - 2);
    EXPECT_LE(x_acute.x1, x.x1 + 2);
}

TEST(Shaping, ArabicJoinsAndReadsRightToLeft) {
    // DejaVu Sans has Arabic with joining forms: ب ي ت (beh, yeh, teh) join
    // into one connected word; a zero-width non-joiner keeps them apart, as
    // code point by code point drawing (the reference mode) does.
    const std::string word = "\xD8\xA8\xD9\x8A\xD8\xAA";
    const std::string apart = "\xD8\xA8\xE2\x80\x8C\xD9\x8A\xE2\x80\x8C\xD8\xAA";
    EXPECT_EQ(blank_columns(page(word, "clean", 288)), 0);
    EXPECT_GT(blank_columns(page(apart, "clean", 288)), 4);
    EXPECT_GT(blank_columns(page(word, "reference", 288)), 4);
    // Right to left: in "ب ت" the beh (one dot below the baseline) is read
    // first, so it is drawn right of the teh (two dots above).
    const Image img = page("\xD8\xA8 \xD8\xAA", "clean", 288);
    const Box b = ink_box(img);
    int lowest_x = -1;
    for (int x = b.x0; x <= b.x1 && lowest_x < 0; ++x)
        if (ink(img, x, b.y1)) lowest_x = x;
    EXPECT_GT(lowest_x, (b.x0 + b.x1) / 2);
    // Left-to-right text around it keeps its order and its words.
    RenderOptions opts;
    opts.keep_layout = true;
    RenderResult mixed = render_text("abc \xD8\xA8\xD9\x8A\xD8\xAA 123", config("clean"), opts);
    ASSERT_EQ(mixed.lines.size(), 1u);
    EXPECT_EQ(mixed.lines[0].words, (std::vector<std::string>{"abc", word, "123"}));
}

TEST(Shaping, JustifiedLinesEndAtTheRightEdge) {
    RenderConfig cfg = apply_config(json{{"alignment", "JUSTIFY"}}, config("clean"));
    RenderOptions opts;
    opts.keep_layout = true;
    const std::string text = read_file(glyph::test::repo_path("samples/novel_excerpt.txt")).substr(0, 6000);
    RenderResult r = render_text(text, cfg, opts);
    const double right = cfg.page_width - cfg.margin_x - 6;  // the frame's padding
    int justified = 0;
    for (size_t i = 0; i + 1 < r.lines.size(); ++i) {
        if (r.lines[i].text_end < text.size() && text[r.lines[i].text_end] == '\n') continue;  // a paragraph end
        if (r.lines[i].words.size() < 2) continue;
        EXPECT_NEAR(r.lines[i].x1, right, 1e-3) << "line " << i;
        ++justified;
    }
    EXPECT_GT(justified, 20);
}

TEST(Shaping, OverlongWordsAreCutBetweenClusters) {
    RenderOptions opts;
    opts.keep_layout = true;
    const RenderConfig cfg = config("clean");
    const double right = cfg.page_width - cfg.margin_x - 6;
    std::string word;
    for (int i = 0; i < 600; ++i) word += "x\xCC\x81";  // x + combining acute
    RenderResult r = render_text(word + " " + std::string(3000, 'a'), cfg, opts);
    ASSERT_GT(r.lines.size(), 6u);
    std::string joined;
    for (const LayoutLine& l : r.lines) {
        EXPECT_LE(l.x1, right + 1e-6);
        ASSERT_FALSE(l.words.empty());
        EXPECT_NE(l.words[0].rfind("\xCC\x81", 0), 0u) << "a line starts with a lone mark";
        for (const std::string& w : l.words) joined += w;
    }
    EXPECT_EQ(joined, word + std::string(3000, 'a'));
}

TEST(Shaping, DevanagariReordersItsVowelSign) {
    std::string font;
    for (const std::string& f : fallback_font_files())
        if (f.find("Devanagari") != std::string::npos) font = f;
    if (font.empty()) GTEST_SKIP() << "no Devanagari font (Debian package fonts-noto-core)";
    // कि (ka, vowel sign i): the sign is written after ka but drawn before it.
    Shaper shaper({dejavu(), font});
    Shaper::Result ka = shaper.shape(U"\u0915");
    ASSERT_EQ(ka.count, 1u);
    const uint32_t ka_gid = ka.glyphs[0].gid;
    Shaper::Result ki = shaper.shape(U"\u0915\u093F");
    ASSERT_EQ(ki.count, 2u);
    EXPECT_EQ(ki.glyphs[0].font, 1);
    EXPECT_NE(ki.glyphs[0].gid, ka_gid);
    EXPECT_EQ(ki.glyphs[1].gid, ka_gid);
    // On the page (the same font as main font, in both modes): the
    // reference mode draws the sign where it is typed, clean mode before ka,
    // joined to it by the head bar.
    auto draw = [&](const std::string& mode) {
        return render_text("\xE0\xA4\x95\xE0\xA4\xBF",
                           apply_config(json{{"font-path", font}, {"layout-mode", mode}, {"dpi", 288}}, preset("en")))
            .pages.at(0)
            .image;
    };
    const Image clean = draw("clean");
    EXPECT_NE(clean.pixels, draw("reference").pixels);
    EXPECT_EQ(blank_columns(clean), 0) << "the sign's bar joins the consonant";
}
