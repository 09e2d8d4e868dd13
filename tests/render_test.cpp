// The renderer: real fonts, real PNG files decoded back, pinned reference
// behaviours (NOTES.md in ../shared/reference), and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/work_pool.h"
#include "glyph/config_json.h"
#include "glyph/page_writer.h"
#include "test_support.h"

using namespace glyph;
using glyph::test::read_file;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RenderResult render_en(const std::string& text, const std::string& key = "", const json& value = nullptr) {
    RenderConfig cfg = preset("en");
    if (!key.empty()) cfg = apply_config(json{{key, value}}, cfg);
    RenderOptions opts;
    opts.keep_layout = true;
    return render_text(text, cfg, opts);
}

std::vector<std::vector<std::string>> words_per_line(const RenderResult& r) {
    std::vector<std::vector<std::string>> out;
    for (const auto& l : r.lines) out.push_back(l.words);
    return out;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST(Render, SampleMakesEnPresetPages) {
    const std::string text = read_file(glyph::test::repo_path("samples/novel_excerpt.txt"));
    RenderResult r = render_en(text);
    ASSERT_GE(r.pages.size(), 2u);
    for (const Page& p : r.pages) {
        EXPECT_EQ(p.image.channels, 1) << "black on white is a gray page";
        EXPECT_LE(p.image.width, 595);
        EXPECT_GE(p.image.width, 500) << "auto-crop keeps the text width";
        if (p.number < int(r.pages.size())) {
            EXPECT_EQ(p.image.height, 842);
            EXPECT_EQ(p.line_count, 81) << "81 lines of 10 pt on a full A4 page";
        }
    }
    EXPECT_LT(r.pages.back().image.height, 842) << "the last page is cut to its ink";
    // Spans tile the source with no gap or overlap.
    EXPECT_EQ(r.pages.front().text_begin, 0u);
    for (size_t i = 1; i < r.pages.size(); ++i) EXPECT_EQ(r.pages[i].text_begin, r.pages[i - 1].text_end);
    EXPECT_EQ(r.pages.back().text_end, text.size());
}

// The manifest's source_sha256 is plain SHA-256 (FIPS 180-4 test vectors), so
// any sha256sum can check a source against it.
TEST(Render, SourceDigestIsSha256) {
    EXPECT_EQ(glyph::source_digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(glyph::source_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(glyph::source_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(glyph::source_digest(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Render, FirstLineGeometryMatchesReference) {
    RenderResult r = render_en("Hello world");
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_DOUBLE_EQ(r.lines[0].x0, 16.0) << "margin 10 + frame padding 6";
    // First baseline 25 pt from the top; pdftotext reports the top of the
    // line box, baseline minus the font's ascent (DejaVu: 1556/2048 em).
    EXPECT_NEAR(r.lines[0].y, 25 - 9 * 1556.0 / 2048, 1e-9);
    EXPECT_EQ(words_per_line(r)[0], (std::vector<std::string>{"Hello", "world"}));
}

TEST(Render, NewlinesFollowTheReference) {
    // One trailing newline adds nothing; two add one empty line.
    EXPECT_EQ(render_en("a\nb").pages[0].line_count, 2);
    EXPECT_EQ(render_en("a\nb\n").pages[0].line_count, 2);
    EXPECT_EQ(render_en("a\nb\n\n").pages[0].line_count, 3);
    EXPECT_EQ(render_en("a\n\nb").pages[0].line_count, 3);
}

TEST(Render, SpacesTabsAndInvisibleCharacters) {
    // Runs of 2+ spaces become no-break spaces and glue words; tabs collapse;
    // soft hyphens and zero-width spaces are deleted.
    RenderResult r = render_en("a  b\tc\xC2\xAD" "d e\xE2\x80\x8B" "f");
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].words, (std::vector<std::string>{"a\xC2\xA0\xC2\xA0" "b", "cd", "ef"}));
    // A single leading space disappears; two or more stay as indentation.
    RenderResult lead = render_en(" x\n  y");
    EXPECT_DOUBLE_EQ(lead.lines[0].x0, 16.0);
    EXPECT_EQ(lead.lines[1].words[0], "\xC2\xA0\xC2\xA0y");
}

TEST(Render, LongWordIsCutWithoutHyphen) {
    const std::string word = repeat("abcdefghij", 30);  // ~1600 pt, wider than a line
    RenderResult r = render_en("start " + word);
    ASSERT_GE(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[0].words[0], "start");
    std::string rebuilt;
    for (size_t i = 0; i < r.lines.size(); ++i)
        for (size_t w = (i == 0 ? 1 : 0); w < r.lines[i].words.size(); ++w) rebuilt += r.lines[i].words[w];
    EXPECT_EQ(rebuilt, word) << "the pieces put back together are the word, no hyphens";
    for (const auto& l : r.lines) EXPECT_LE(l.x1, 579.0 + 1e-6) << "every piece fits the line";
}

TEST(Render, ParagraphSplitAtLineEndStartsNextPageWithBlankLine) {
    // 81 short lines fill page 1 exactly. The third 30-line paragraph runs
    // over the break at the end of a source line, so page 2 begins with an
    // empty line that is not in the source (a reference quirk) ...
    std::string text;
    for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
    RenderResult ref = render_en(text);
    ASSERT_EQ(ref.pages.size(), 2u);
    EXPECT_EQ(ref.pages[0].line_count, 81);
    EXPECT_EQ(ref.pages[1].line_count, 100 - 81 + 1);
    // ... which the clean mode drops.
    RenderResult clean = render_en(text, "layout-mode", "clean");
    EXPECT_EQ(clean.pages[1].line_count, 100 - 81);
}

TEST(Render, PagePartEndingInAnEmptyLineDropsIt) {
    // Source line 80 is empty and is the last line that fits page 1.
    // reportlab wraps the page's part of the paragraph again before drawing
    // it, and a part whose fragments end in a break has no empty line after
    // it: page 1 holds 80 lines, and page 2 still begins with the empty line.
    std::string text;
    for (int i = 0; i < 100; ++i) text += (i == 80 ? std::string() : "line " + std::to_string(i)) + "\n";
    RenderResult r = render_en(text);
    ASSERT_EQ(r.pages.size(), 2u);
    EXPECT_EQ(r.pages[0].line_count, 80);
    EXPECT_EQ(r.pages[1].line_count, 100 - 81 + 1);
    // The lines keep their places: page 1's last line is the 80th.
    size_t last_on_page1 = 0;
    while (last_on_page1 + 1 < r.lines.size() && r.lines[last_on_page1 + 1].page == 1) ++last_on_page1;
    EXPECT_EQ(r.lines[last_on_page1].words, (std::vector<std::string>{"line", "79"}));
    EXPECT_NEAR(r.lines[last_on_page1].y, r.lines[0].y + 79 * 10, 1e-6);
    // Page 2 begins with the (undrawn) empty line, then line 81.
    const LayoutLine& first_on_page2 = r.lines[last_on_page1 + 1];
    EXPECT_EQ(first_on_page2.page, 2);
    EXPECT_EQ(first_on_page2.words, (std::vector<std::string>{"line", "81"}));
    EXPECT_NEAR(first_on_page2.y, r.lines[0].y + 10, 1e-6);
}

TEST(Render, OneLinePageCannotCarryABreakAcrossPages) {
    // A page that holds one line: the part before a line break is the blank
    // line the break leaves, which is dropped, and the rest begins with the
    // same break. reportlab fails on these texts; so do we, with one error
    // instead of pages for ever (found by fuzz_layout).
    const RenderConfig cfg =
        apply_config(json{{"page-size", "125,84"}, {"margin-y", 9}, {"font-size", 15}, {"line-height", 28}},
                     preset("en"));
    for (const char* text : {"\n3", "abc\ndef", "one\n\ntwo"}) {
        try {
            render_text(text, cfg);
            ADD_FAILURE() << "rendered " << json(text).dump();
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("holds one line"), std::string::npos) << e.what();
        }
    }
    // One line of text still makes its page, and a wrapped paragraph without
    // a break takes a page a line.
    EXPECT_EQ(render_text("abc", cfg).pages.size(), 1u);
    EXPECT_EQ(render_text("abc def ghi jkl mno", cfg).pages.size(), 2u);
    // In clean mode each line simply takes its own page.
    RenderConfig clean = cfg;
    clean.mode = LayoutMode::Clean;
    EXPECT_EQ(render_text("abc\ndef", clean).pages.size(), 2u);
}

TEST(Render, OneCjkParagraphKeepsEveryCharacterAcrossPages) {
    // The evaluation renderer's one paragraph of mixed Chinese and English,
    // over many pages: reportlab re-wraps the rest after every page break
    // (adding spaces at line ends, which moves text along); every source
    // character must still be drawn once, in order, and every page but the
    // last be full.
    static const char* const hanzi[] = {"\xE4\xB8\xAD", "\xE6\x96\x87", "\xE5\xAD\x97", "\xE4\xBA\xBA",
                                        "\xEF\xBC\x8C", "\xE3\x80\x82", "\xE3\x80\x81", "\xEF\xBC\x88",
                                        "\xEF\xBC\x89"};
    static const char* const latin[] = {"the quick fox", "HTTP/2", "42%", "GPU 9"};
    std::string text;
    uint32_t state = 12345;
    while (text.size() < 600'000) {
        state = state * 1103515245u + 12345u;
        const uint32_t pick = (state >> 16) % 200;
        if (pick < 180) text += hanzi[pick % 9];
        else if (pick < 199) text += latin[pick % 4];
        else text += "\n";
    }
    RenderConfig cfg = apply_config(json{{"paragraph-lines", 0}, {"tab-spaces", 4}}, preset("zh"));
    RenderOptions opts;
    opts.keep_layout = true;
    opts.threads = 2;
    opts.on_page = [](const Page&) {};
    RenderResult r = render_text(text, cfg, opts);
    ASSERT_GT(r.pages.size(), 30u);
    for (size_t i = 0; i + 1 < r.pages.size(); ++i) ASSERT_EQ(r.pages[i].line_count, 81) << "page " << i + 1;
    std::string drawn, source;
    for (const auto& l : r.lines)
        for (const auto& w : l.words) drawn += w;
    for (char c : text)
        if (c != ' ' && c != '\n') source += c;
    ASSERT_EQ(drawn.size(), source.size());
    EXPECT_TRUE(drawn == source) << "the characters drawn are the source's, in order";
}

TEST(Render, ParagraphStartingOnLastLineMovesWhole) {
    // Two 30-line paragraphs whose 10 long source lines wrap to 2 lines each
    // fill 80 lines; the third paragraph would start on line 81, the last of
    // the page, so it moves whole to page 2 and leaves that line empty.
    std::string wide = repeat("aaaa ", 25);
    wide.pop_back();
    std::string text;
    for (int p = 0; p < 2; ++p)
        for (int i = 0; i < 30; ++i) text += (i < 10 ? wide : "short line") + std::string("\n");
    text += "third paragraph\nmore";
    RenderResult r = render_en(text);
    ASSERT_EQ(r.pages.size(), 2u);
    EXPECT_EQ(r.pages[0].line_count, 80);
    EXPECT_EQ(r.pages[1].line_count, 2);
    EXPECT_EQ(r.lines.back().words, (std::vector<std::string>{"more"}));
}

TEST(Render, CjkTextUsesCjkWrapping) {
    std::string zh;
    for (int i = 0; i < 400; ++i) zh += "\xE4\xB8\xAD";  // 中
    RenderConfig cfg = preset("zh");
    RenderOptions opts;
    opts.keep_layout = true;
    RenderResult r = render_text(zh, cfg, opts);
    ASSERT_GE(r.lines.size(), 6u);
    // Characters are cut one by one: each full line holds the same count.
    EXPECT_EQ(r.lines[0].words.size(), 1u);
    EXPECT_EQ(r.lines[0].words[0].size(), r.lines[1].words[0].size());
}

TEST(Render, ColorsMakeRgbPagesAndMarkupInlines) {
    RenderResult red = render_en("colored text", "font-color", "#C00000");
    EXPECT_EQ(red.pages[0].image.channels, 3);
    // The font newline markup keeps text flowing: one line for two source lines.
    RenderResult marked = render_en("one\ntwo", "newline-markup", "<font color=\"#FF0000\"> \\n </font>");
    ASSERT_EQ(marked.lines.size(), 1u);
    EXPECT_EQ(marked.pages[0].image.channels, 3);
    EXPECT_EQ(marked.lines[0].words, (std::vector<std::string>{"one", "\\n", "two"}));
}

// The crop against the reference's rule applied pixel by pixel to the same
// pages left uncropped: ink is a luminance more than 5 levels from the median
// of the top-left 2x2; the width ends margin-x past the rightmost ink, the
// last page margin-y below the lowest.
TEST(Render, AutoCropCutsWhereTheReferenceRuleDoesOnEveryBackground) {
    std::string text;
    for (int i = 0; i < 120; ++i) text += std::string(size_t(5 + (i * 37) % 90), char('a' + i % 26)) + "\n";
    const std::vector<std::pair<std::string, std::string>> colors = {
        {"#000000", "#FFFFFF"}, {"#000000", "#808080"}, {"#F0F0F0", "#141414"}, {"#C00000", "#FFFFFF"}};
    for (const auto& [font, page] : colors) {
        SCOPED_TRACE(font + " on " + page);
        RenderConfig cfg = apply_config(json{{"font-color", font}, {"page-bg-color", page}}, preset("en"));
        RenderConfig uncut = cfg;
        uncut.auto_crop_width = uncut.auto_crop_last_page = false;
        const RenderResult cut = render_text(text, cfg), whole = render_text(text, uncut);
        ASSERT_EQ(cut.pages.size(), whole.pages.size());
        ASSERT_GE(whole.pages.size(), 2u);
        for (size_t p = 0; p < whole.pages.size(); ++p) {
            const Image& full = whole.pages[p].image;
            const int ch = full.channels;
            auto luma = [&](int x, int y) {
                const uint8_t* px = full.row(y) + size_t(x) * size_t(ch);
                return ch == 1 ? int(px[0]) : (px[0] * 19595 + px[1] * 38470 + px[2] * 7471 + 0x8000) >> 16;
            };
            int corner[4] = {luma(0, 0), luma(1, 0), luma(0, 1), luma(1, 1)};
            std::sort(corner, corner + 4);
            const double background = (corner[1] + corner[2]) / 2.0;
            int last_col = -1, last_row = -1;
            for (int y = 0; y < full.height; ++y)
                for (int x = 0; x < full.width; ++x)
                    if (std::fabs(luma(x, y) - background) > 5) {
                        last_col = std::max(last_col, x);
                        last_row = y;
                    }
            ASSERT_GE(last_col, 0);
            const bool last = p + 1 == whole.pages.size();
            const int width = std::min(full.width, int(std::nearbyint(last_col + 1 + cfg.margin_x)));
            const int height = last ? std::min(full.height, int(std::nearbyint(last_row + cfg.margin_y))) : full.height;
            const Image& got = cut.pages[p].image;
            ASSERT_EQ(got.width, width) << "page " << p + 1;
            ASSERT_EQ(got.height, height) << "page " << p + 1;
            ASSERT_EQ(got.channels, ch);
            for (int y = 0; y < height; ++y)
                ASSERT_EQ(0, std::memcmp(got.row(y), full.row(y), size_t(width) * size_t(ch))) << "row " << y;
        }
    }
}

TEST(Render, ParagraphBoxesAreCrispAndAnEmptyLastParagraphKeepsItsBox) {
    RenderConfig cfg = apply_config(json{{"para-bg-color", "#F2F2F2"}, {"para-border-color", "#808080"},
                                         {"border-width", 1}, {"border-padding", 2}, {"left-indent", 6}},
                                    preset("en"));
    // 30 lines make one paragraph; a final newline adds an empty 31st line,
    // which reportlab sets as an empty paragraph: no text, but its box.
    const std::string text = repeat("Some words on a line.\n", 29) + "Last line.";
    const Image plain = render_text(text, cfg).pages.back().image;
    const Image trailing = render_text(text + "\n", cfg).pages.back().image;
    // The box's left border: 1 px wide (stroke-adjusted like poppler's), at
    // x = margin 10 + frame padding 6 + left indent 6 - border padding 2.
    const int mid = plain.height / 2;
    EXPECT_EQ(plain.row(mid)[19], 255);
    EXPECT_EQ(plain.row(mid)[20], 128);
    EXPECT_EQ(plain.row(mid)[21], 242);
    // The empty paragraph's box (2 pt padding above and below its 0 pt) is
    // drawn after the text above it, as reportlab draws paragraph by
    // paragraph: its top border, 2 pt above the last line box's bottom
    // (16 + 30 lines x 10 pt), runs over the descenders of the last line.
    EXPECT_EQ(trailing.height, plain.height);
    const int border_row = 16 + 300 - 2;
    for (int x = 20; x < 200; ++x) ASSERT_EQ(trailing.row(border_row)[x], 128) << "x " << x;
    EXPECT_NE(plain.row(border_row)[22], 128);
}

// Pages are rasterized from copies of the layout taken while it goes on; on
// any number of threads, on its own pool or one shared with other work, the
// pages are those of one thread: same pixels, spans and lines. Boxes across
// page breaks, markup colors and the clean mode's shaped glyphs are the
// parts such a copy could lose.
TEST(Render, PagesAreTheSameOnAnyNumberOfThreads) {
    const std::string text = read_file(glyph::test::repo_path("samples/novel_excerpt.txt"));
    const RenderConfig boxes = apply_config(
        json{{"para-bg-color", "#F2F2F2"}, {"border-width", 1}, {"border-padding", 2}, {"font-color", "#202020"},
             {"newline-markup", "<font color=\"#FF0000\">\\n</font>"}},
        preset("en"));
    RenderConfig clean = preset("en");
    clean.mode = LayoutMode::Clean;
    for (const RenderConfig& cfg : {preset("en"), boxes, clean}) {
        const RenderResult one = render_text(text, cfg);
        ASSERT_GE(one.pages.size(), 3u);
        for (int threads : {2, 4}) {
            RenderOptions own;
            own.threads = threads;
            WorkPool pool(threads);
            WorkPool::Group other;
            std::atomic<int> other_done{0};
            for (int i = 0; i < 8; ++i) pool.submit(other, [&] { ++other_done; });
            RenderOptions shared;
            shared.pool = &pool;
            for (const RenderOptions* opts : {&own, &shared}) {
                const RenderResult many = render_text(text, cfg, *opts);
                ASSERT_EQ(many.pages.size(), one.pages.size()) << threads << " threads";
                for (size_t p = 0; p < one.pages.size(); ++p) {
                    const Page &a = one.pages[p], &b = many.pages[p];
                    ASSERT_EQ(b.number, a.number);
                    ASSERT_EQ(b.line_count, a.line_count) << "page " << a.number;
                    ASSERT_EQ(b.text_begin, a.text_begin) << "page " << a.number;
                    ASSERT_EQ(b.text_end, a.text_end) << "page " << a.number;
                    ASSERT_EQ(b.image.width, a.image.width) << "page " << a.number;
                    ASSERT_EQ(b.image.height, a.image.height) << "page " << a.number;
                    ASSERT_TRUE(b.image.pixels == a.image.pixels) << "page " << a.number << ", " << threads << " threads";
                }
            }
            pool.wait(other);
            EXPECT_EQ(other_done, 8);
        }
    }
}

TEST(Render, DpiScalesPixelsNotLayout) {
    const std::string text = read_file(glyph::test::repo_path("samples/novel_excerpt.txt")).substr(0, 20000);
    RenderResult a = render_en(text), b = render_en(text, "dpi", 96);
    ASSERT_EQ(a.pages.size(), b.pages.size());
    EXPECT_EQ(words_per_line(a), words_per_line(b));
    EXPECT_EQ(b.pages[0].image.height, 1123);
}

TEST(Render, PagesStreamToWriterAndDecode) {
    TempDir dir;
    const std::string text = read_file(glyph::test::repo_path("samples/novel_excerpt.txt"));
    RenderConfig cfg = preset("en");
    PageWriter writer(dir.path + "/out");
    RenderOptions opts;
    opts.threads = 2;
    opts.on_page = [&](const Page& p) { writer.write(p); };
    RenderResult r = render_text(text, cfg, opts);
    json manifest = writer.finish(r, cfg, text);
    ASSERT_EQ(manifest["pages"].size(), r.pages.size());
    for (const auto& p : manifest["pages"]) {
        Image img = read_image_file(dir.path + "/out/" + p["file"].get<std::string>());
        EXPECT_EQ(img.width, p["width"].get<int>());
        EXPECT_EQ(img.height, p["height"].get<int>());
        EXPECT_EQ(img.channels, 1);
        size_t dark = 0;
        for (uint8_t v : img.pixels) dark += v < 128;
        EXPECT_GT(dark, 1000u) << "the page carries text";
    }
    EXPECT_TRUE(r.pages[0].image.pixels.empty()) << "streamed pages are not kept";
    json disk = json::parse(read_file(dir.path + "/out/manifest.json"));
    EXPECT_EQ(disk["config"]["font-size"], 9.0);
}

TEST(RenderCli, WritesPagesManifestAndLayout) {
    TempDir dir;
    auto r = run_glyph("render " + shell_quote(glyph::test::repo_path("samples/novel_excerpt.txt")) +
                       " --preset en --out " + shell_quote(dir.file("out")) + " --layout " +
                       shell_quote(dir.file("lines.jsonl")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("pages ->"), std::string::npos);
    json manifest = json::parse(read_file(dir.file("out/manifest.json")));
    EXPECT_TRUE(fs::exists(dir.file("out/page_001.png")));
    std::ifstream rows(dir.file("lines.jsonl"));
    std::string line;
    ASSERT_TRUE(std::getline(rows, line));
    json row = json::parse(line);
    for (const char* k : {"page", "y", "x0", "x1", "words"}) EXPECT_TRUE(row.contains(k)) << k;
}

TEST(RenderCli, StdinInput) {
    TempDir dir;
    const std::string text = "from standard input\n";
    auto r = run_glyph("render - --preset en --out " + shell_quote(dir.file("o")), &text);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir.file("o/manifest.json")));
}

struct BadInputCase {
    const char* name;
    std::string content;
    std::string flags;
    std::string expect;  // in the one error line
};

TEST(RenderCli, BadInputGetsOneClearLineAndNoManifest) {
    TempDir dir;
    const std::string sample = glyph::test::repo_path("samples/novel_excerpt.txt");
    const std::vector<BadInputCase> cases = {
        {"invalid utf8", "ab\xff\xfe", "", "not valid UTF-8"},
        {"empty", "", "", "input is empty"},
        {"nul byte", std::string("a\0b", 3), "", "NUL byte"},
        {"missing font", "text", "--set font-path=/no/such/font.ttf", "font-path"},
        {"not a font", "text", "--set font-path=" + sample, "not a font"},
        {"zero dpi", "text", "--set dpi=0", "\"dpi\""},
        {"negative size", "text", "--set font-size=-2", "\"font-size\""},
        {"ill-typed", "text", "--set 'margin-x=\"wide\"'", "\"margin-x\""},
        {"margins larger than page", "text", "--set margin-x=400", "margin-x"},
        {"bad color", "text", "--set font-color=red", "\"font-color\""},
        {"bad markup", "text", "--set 'newline-markup=\"<p>\"'", "newline-markup"},
        {"unknown preset", "text", "--preset xx", "unknown preset"},
    };
    for (const auto& c : cases) {
        const std::string in = dir.file(std::string("in-") + c.name);
        write_file(in, c.content);
        const std::string out = dir.file(std::string("out-") + c.name);
        std::string flags = c.flags.find("--preset") == std::string::npos ? "--preset en " + c.flags : c.flags;
        auto r = run_glyph("render " + shell_quote(in) + " " + flags + " --out " + shell_quote(out));
        EXPECT_NE(r.exit_code, 0) << c.name;
        EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
        EXPECT_FALSE(fs::exists(out + "/manifest.json")) << c.name;
    }
}

// Without a tokenizer the render still succeeds with a note, and the note
// waits for the render: input the layout refuses (a page of one line that
// would carry a line break) keeps its one error line.
TEST(RenderCli, WithoutATokenizerTheNoteFollowsASuccessfulRenderOnly) {
    TempDir dir;
    const std::string in = dir.file("in.txt");
    write_file(in, "abc\ndef");
    const std::string no_tokenizer = "GLYPH_TOKENIZER=" + shell_quote(dir.file("no-tokenizer.json")) + " ";
    auto bad = glyph::test::run_command(no_tokenizer + shell_quote(GLYPH_CLI) + " render " + shell_quote(in) +
                                        " --preset en --set page-size=125,84 --set margin-y=9 --set font-size=15"
                                        " --set line-height=28 --out " +
                                        shell_quote(dir.file("bad")));
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_NE(bad.err.find("one line"), std::string::npos) << bad.err;
    auto good = glyph::test::run_command(no_tokenizer + shell_quote(GLYPH_CLI) + " render " + shell_quote(in) +
                                         " --preset en --out " + shell_quote(dir.file("good")));
    EXPECT_EQ(good.exit_code, 0) << good.err;
    EXPECT_NE(good.err.find("compression not counted"), std::string::npos) << good.err;
    EXPECT_TRUE(fs::exists(dir.file("good/manifest.json")));
}

TEST(RenderCli, BinaryFileIsRefused) {
    TempDir dir;
    auto b = run_glyph("render " + shell_quote(GLYPH_CLI) + " --preset en --out " + shell_quote(dir.file("bin")));
    EXPECT_EQ(b.exit_code, 2);
    EXPECT_NE(b.err.find("binary"), std::string::npos) << b.err;
}

TEST(Render, LongTextWithoutNewlinesIsLinear) {
    // One 30-line paragraph of 3 MB: the reference re-wraps it on every page
    // (quadratic); we must finish and fill every page.
    std::string text;
    while (text.size() < 3'000'000) text += "lorem ipsum dolor sit amet consectetur ";
    RenderConfig cfg = preset("en");
    RenderOptions opts;
    opts.threads = 2;
    opts.on_page = [](const Page&) {};
    RenderResult r = render_text(text, cfg, opts);
    ASSERT_GT(r.pages.size(), 300u);
    for (size_t i = 0; i + 1 < r.pages.size(); ++i) ASSERT_EQ(r.pages[i].line_count, 81) << "page " << i + 1;
}

// A stop flag set from another thread: layout gives up at its next page,
// rasterizing at the next page a worker starts, in both layout modes.
TEST(Render, StopFlagCancelsLayoutAndRaster) {
    std::string text;
    while (text.size() < 200'000) text += "lorem ipsum dolor sit amet\n";
    for (LayoutMode mode : {LayoutMode::Reference, LayoutMode::Clean}) {
        RenderConfig cfg = preset("en");
        cfg.mode = mode;
        std::atomic<bool> stop{true};
        RenderOptions opts;
        opts.cancel = &stop;
        EXPECT_THROW(render_text(text, cfg, opts), Cancelled);

        stop = false;
        std::atomic<int> pages_seen{0};
        opts.threads = 2;
        opts.on_page = [&](const Page&) {
            if (++pages_seen == 3) stop = true;
        };
        EXPECT_THROW(render_text(text, cfg, opts), Cancelled);
        EXPECT_LE(pages_seen.load(), 4) << "each worker may finish the page it was on, then stops";
        stop = false;
        opts.on_page = {};
        EXPECT_GT(render_text(text, cfg, opts).pages.size(), 50u);
    }
}

TEST(RenderClean, FallbackFontInsteadOfBoxes) {
    // The en font (DejaVu Sans) has no Hanzi: the reference draws .notdef
    // boxes, the clean mode draws the glyph from the CJK fallback font, the
    // same pixels the zh preset (whose main font is that one) draws.
    RenderConfig en = preset("en"), zh = preset("zh");
    RenderConfig clean = apply_config(json{{"layout-mode", "clean"}}, en);
    const std::string text = "\xE4\xB8\xAD";  // 中
    Image boxed = render_text(text, en).pages[0].image;
    Image fallback = render_text(text, clean).pages[0].image;
    Image native = render_text(text, zh).pages[0].image;
    EXPECT_EQ(fallback.pixels, native.pixels);
    EXPECT_NE(fallback.pixels, boxed.pixels);
}

TEST(RenderClean, UnicodeLineBreakingAndWhitespace) {
    RenderConfig cfg = apply_config(json{{"layout-mode", "clean"}}, preset("zh"));
    RenderOptions opts;
    opts.keep_layout = true;
    std::string zh;
    for (int i = 0; i < 300; ++i) zh += "\xE4\xB8\xAD\xE6\x96\x87\xEF\xBC\x8C";  // 中文，
    RenderResult r = render_text(zh, cfg, opts);
    ASSERT_GT(r.lines.size(), 3u);
    for (const auto& l : r.lines) EXPECT_NE(l.words[0].rfind("\xEF\xBC\x8C", 0), 0u) << "no line starts with ，";
    // Tabs go to 4-space stops; leading spaces stay as typed.
    RenderResult t = render_text("\tx\n  y", apply_config(json{{"layout-mode", "clean"}}, preset("en")), opts);
    ASSERT_EQ(t.lines.size(), 2u);
    EXPECT_NEAR(t.lines[0].x0, 16.0, 1e-9);
    EXPECT_EQ(t.lines[0].words, (std::vector<std::string>{"x"}));
    EXPECT_EQ(t.lines[1].words, (std::vector<std::string>{"y"}));
}
