// The legibility check: character error rate arithmetic (pinned values),
// page sampling, line pitch and line bands on real rendered pages, and
// `glyph ocr` reading real pages back with Tesseract (English and Chinese),
// legible and not: streamed rows and progress, the manifest's source, and
// its bad inputs.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/config_json.h"
#include "glyph/ocr.h"
#include "glyph/render.h"
#include "test_support.h"

using namespace glyph;
using glyph::test::read_file;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;

namespace {

void expect_errors(std::string_view reference, std::string_view hypothesis, size_t edits, size_t length) {
    const CharacterErrors e = character_errors(reference, hypothesis);
    EXPECT_EQ(e.edits, edits) << "'" << reference << "' vs '" << hypothesis << "'";
    EXPECT_EQ(e.reference_length, length) << "'" << reference << "'";
}

// ---- character errors -------------------------------------------------------------

TEST(CharacterErrors, LevenshteinInCodePoints) {
    expect_errors("kitten", "sitting", 3, 6);
    expect_errors("hello world", "hello world", 0, 11);
    expect_errors("abcd", "", 4, 4);
    expect_errors("", "abc", 3, 0);
    expect_errors("été", "ete", 2, 3);   // code points, not bytes
    expect_errors("日本語", "日木語", 1, 3);
    expect_errors("the cat", "the bat sat", 5, 7);
}

TEST(CharacterErrors, WhitespaceFoldsAndEndsAreTrimmed) {
    expect_errors("  hello \n\n world\t", "hello world", 0, 11);
    expect_errors("one\ntwo", "one two", 0, 7);
    expect_errors("a b", "ab", 1, 3);  // a missing word space still counts
    expect_errors("   \n ", "", 0, 0);
}

TEST(CharacterErrors, SpacesAReaderDoesNotSeeBesideCjkAreDropped) {
    // Tesseract puts spaces between Han characters; Chinese has none.
    expect_errors("你好世界", "你 好 世 界", 0, 4);
    expect_errors("你好，世界。", "你 好 ， 世 界 。", 0, 6);
    expect_errors("书；新的灯", "书; 新的灯", 0, 5);  // the blank half of a full-width "；"
    expect_errors("一本\n书", "一本书", 0, 3);        // a line break between Han characters
    // Between Han and a Latin word or a digit the page shows the space.
    expect_errors("你好 world", "你好 world", 0, 8);
    expect_errors("你好 world", "你好world", 1, 8);
    expect_errors("中文 text 中文", "中文text中文", 2, 10);
    expect_errors("第3章", "第 3 章", 2, 3);
}

TEST(CharacterErrors, CompatibilityFormsCompareEqual) {
    // NFKC: Tesseract reads full-width punctuation as ASCII, may emit ligatures.
    expect_errors("（你好）；世界！", "(你好);世界!", 0, 8);
    expect_errors("ﬁle", "file", 0, 4);
    expect_errors("wait…", "wait...", 0, 7);
    expect_errors("e\u0301te\u0301", "été", 0, 3);  // composed and decomposed accents
    expect_errors("，", ".", 1, 1);
}

TEST(CharacterErrors, TypographicQuotesEqualTheirAsciiForms) {
    expect_errors("It\u2019s \u201Cdone\u201D, \u2018ok\u2019", "It's \"done\", 'ok'", 0, 17);
    expect_errors("\u201Equote\u201F \u201Aa\u201B 5\u2032", "\"quote\" 'a' 5'", 0, 14);
    expect_errors("it\u2019s", "it\"s", 1, 4);  // an apostrophe is still no double quote
    expect_errors("a\u2014b", "a-b", 1, 3);      // dashes keep their length
}

TEST(CharacterErrors, InvalidUtf8IsComparedNotRejected) {
    expect_errors("a\xff" "b", "a\xfe" "b", 0, 3);  // both become U+FFFD
    expect_errors("a\xff" "b", "ab", 1, 3);
}

TEST(CharacterErrors, RateIsEditsOverReferenceLength) {
    EXPECT_DOUBLE_EQ(character_error_rate("abcd", "abXd"), 0.25);
    EXPECT_DOUBLE_EQ(character_error_rate("kitten", "sitting"), 0.5);
    EXPECT_DOUBLE_EQ(character_error_rate("ab", "abcdef"), 2.0);  // insertions can push it above 1
    EXPECT_DOUBLE_EQ(character_error_rate("", ""), 0.0);
    EXPECT_DOUBLE_EQ(character_error_rate(" \n", "x"), 1.0);
}

// ---- sampling ---------------------------------------------------------------------

TEST(SamplePages, SpreadFromFirstToLast) {
    using V = std::vector<size_t>;
    EXPECT_EQ(sample_pages(10, 3), V({0, 5, 9}));
    EXPECT_EQ(sample_pages(5, 2), V({0, 4}));
    EXPECT_EQ(sample_pages(10, 1), V({0}));
    EXPECT_EQ(sample_pages(7, 6), V({0, 1, 2, 4, 5, 6}));
    EXPECT_EQ(sample_pages(4, 0), V({0, 1, 2, 3}));
    EXPECT_EQ(sample_pages(4, -1), V({0, 1, 2, 3}));
    EXPECT_EQ(sample_pages(3, 5), V({0, 1, 2}));
    EXPECT_EQ(sample_pages(3, 3), V({0, 1, 2}));
    EXPECT_EQ(sample_pages(0, 3), V());
}

// ---- line pitch and upscaling -----------------------------------------------------

std::string english_text(size_t chars) {
    const std::string novel = read_file(glyph::test::repo_path("samples/novel_excerpt.txt"));
    // Cut at a word boundary so the last word is whole.
    const size_t end = novel.rfind(' ', chars);
    return novel.substr(0, end == std::string::npos ? chars : end);
}

TEST(LinePitch, MatchesTheLeadingOfARenderedPage) {
    for (const double dpi : {72.0, 96.0, 120.0}) {
        RenderConfig cfg = preset("en");
        cfg = apply_config(json{{"dpi", dpi}}, cfg);
        const RenderResult r = render_text(english_text(6000), cfg);
        ASSERT_FALSE(r.pages.empty());
        const double expected = cfg.leading() * dpi / 72.0;  // 10 pt of leading
        EXPECT_NEAR(estimate_line_pitch(r.pages[0].image), expected, 1.0) << dpi << " dpi";
    }
}

TEST(LinePitch, BlankAndSingleLineImages) {
    EXPECT_EQ(estimate_line_pitch(Image(200, 100, 1, 255)), 0.0);
    Image one_line(200, 100, 1, 255);
    for (int y = 40; y < 52; ++y)
        for (int x = 10; x < 190; x += 3) one_line.row(y)[x] = 0;
    EXPECT_EQ(estimate_line_pitch(one_line), 12.0);  // one line: its ink height
    EXPECT_THROW(estimate_line_pitch(Image()), std::invalid_argument);
}

std::string chinese_text() { return read_file(glyph::test::repo_path("tests/data/zh_prose.txt")); }

TEST(LineBands, OneBandPerRenderedLine) {
    struct Case {
        const char* preset;
        double dpi;
        std::string text;
    } cases[] = {{"en", 72, english_text(6000)}, {"en", 96, english_text(6000)},
                 {"zh", 72, chinese_text()},     {"zh", 96, chinese_text()}};
    for (const Case& c : cases) {
        RenderConfig cfg = apply_config(json{{"dpi", c.dpi}}, preset(c.preset));
        RenderOptions options;
        options.keep_layout = true;
        const RenderResult r = render_text(c.text, cfg, options);
        ASSERT_FALSE(r.pages.empty());
        size_t inked_lines = 0;  // blank lines between paragraphs draw nothing
        for (const LayoutLine& line : r.lines) inked_lines += line.page == 1 && !line.words.empty();
        const std::vector<RowBand> bands = text_line_bands(r.pages[0].image, cfg.leading() * c.dpi / 72.0);
        EXPECT_EQ(bands.size(), inked_lines) << c.preset << " at " << c.dpi << " dpi";
        for (size_t i = 1; i < bands.size(); ++i) EXPECT_GE(bands[i].begin, bands[i - 1].end);
    }
    EXPECT_TRUE(text_line_bands(Image(100, 50, 1, 255), 10).empty());
}

TEST(Upscale, BringsLinesToAbout30PixelsWithinLimits) {
    EXPECT_DOUBLE_EQ(choose_upscale(10), 3.0);   // en preset at 72 dpi
    EXPECT_DOUBLE_EQ(choose_upscale(15), 2.0);
    EXPECT_DOUBLE_EQ(choose_upscale(5), 4.0);    // capped
    EXPECT_DOUBLE_EQ(choose_upscale(60), 1.0);   // never shrinks
    EXPECT_DOUBLE_EQ(choose_upscale(0), 1.0);    // unknown pitch
}

TEST(OcrImage, RejectsBadImagesAndLanguages) {
    const Image page(50, 20, 1, 255);
    EXPECT_THROW(ocr_image(Image()), std::invalid_argument);
    OcrOptions o;
    for (const char* bad : {"", "eng+", "+eng", "../eng", "eng chi"}) {
        o.language = bad;
        EXPECT_THROW(ocr_image(page, o), std::invalid_argument) << bad;
    }
    o.language = "zz_no_such_language";
    try {
        ocr_image(page, o);
        ADD_FAILURE() << "a missing language loaded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot load language \"zz_no_such_language\""), std::string::npos)
            << e.what();
    }
}

TEST(ReadBack, ReportsEachPageOnceAsItIsRead) {
    RenderConfig cfg = apply_config(json{{"dpi", 96}, {"page-size", "595,200"}}, preset("en"));
    const std::string text = english_text(3000);
    const RenderResult r = render_text(text, cfg);
    ASSERT_GE(r.pages.size(), 2u);
    std::vector<PageCheck> checks;
    for (const Page& p : r.pages)
        checks.push_back({p.number, &p.image, std::string_view(text).substr(p.text_begin, p.text_end - p.text_begin)});
    std::mutex mu;
    std::multiset<size_t> reported;
    const std::vector<PageReading> readings =
        read_back_pages(checks, OcrOptions{}, 2, [&](size_t index, const PageReading& reading) {
            std::lock_guard lock(mu);
            reported.insert(index);
            EXPECT_EQ(reading.number, checks[index].number);
            EXPECT_FALSE(reading.text.empty());
        });
    ASSERT_EQ(readings.size(), checks.size());
    EXPECT_EQ(reported.size(), checks.size());
    for (size_t i = 0; i < checks.size(); ++i) {
        EXPECT_EQ(reported.count(i), 1u) << i;
        EXPECT_EQ(readings[i].number, checks[i].number);
    }
}

// ---- glyph ocr ----------------------------------------------------------------------

std::string last_line(const std::string& s) {
    std::string t = s;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    const size_t nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

json report_of(const glyph::test::CommandResult& r) {
    const json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 300) << r.err;
    return j;
}

class GlyphOcr : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        tmp_ = new TempDir();
        // About a third of a page at the en preset: one page, read in seconds.
        write_file(tmp_->file("prose.txt"), english_text(3000));
        write_file(tmp_->file("zh.txt"), chinese_text());
    }
    static void TearDownTestSuite() { delete tmp_; }
    static std::string prose() { return shell_quote(tmp_->file("prose.txt")); }
    static TempDir* tmp_;
};
TempDir* GlyphOcr::tmp_ = nullptr;

TEST_F(GlyphOcr, LegibleEnglishPagesReadBackWithALowErrorRate) {
    const auto r = run_glyph("ocr " + prose() + " --preset en --dpi 96 --max-cer 0.05 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = report_of(r);
    EXPECT_EQ(j["pages_read"], 1);
    EXPECT_EQ(j["page_count"], 1);
    EXPECT_EQ(j["language"], "eng");
    EXPECT_EQ(j["legible"], true);
    EXPECT_LT(j["cer"].get<double>(), 0.05) << j.dump(2).substr(0, 2000);
    EXPECT_GT(j["reference_chars"].get<size_t>(), 2500u);
    EXPECT_NEAR(j["line_pitch_px"].get<double>(), 10 * 96 / 72.0, 1e-9);
    // The text it read is the prose, not noise.
    EXPECT_NE(j["pages"][0]["text"].get<std::string>().find("notebook"), std::string::npos);
}

TEST_F(GlyphOcr, TableReportAtTheGlyphDefault72Dpi) {
    const auto r = run_glyph("ocr " + prose() + " --preset en --max-cer 0.05");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("  page    chars   edits      CER  seconds\n", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("overall: 1 of 1 page,"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("-> legible"), std::string::npos) << r.out;
}

TEST_F(GlyphOcr, TooSmallTextIsReportedIllegibleWithExit10) {
    const auto r = run_glyph("ocr " + prose() + " --preset en --font-size 3 --max-cer 0.05 --json");
    EXPECT_EQ(r.exit_code, 10) << r.err;
    const json j = report_of(r);
    EXPECT_EQ(j["legible"], false);
    EXPECT_GT(j["cer"].get<double>(), 0.3);
    EXPECT_EQ(last_line(r.err).rfind("glyph: error: character error rate", 0), 0u) << r.err;
    EXPECT_NE(last_line(r.err).find("not legible"), std::string::npos) << r.err;
}

TEST_F(GlyphOcr, RenderedFolderWithSample) {
    // Three pages at 9 pt; --sample 2 reads the first and the last.
    write_file(tmp_->file("long.txt"), english_text(24000));
    auto r = run_glyph("render " + shell_quote(tmp_->file("long.txt")) + " --preset en --out " +
                       shell_quote(tmp_->file("long")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json manifest = json::parse(read_file(tmp_->file("long/manifest.json")));
    const size_t pages = manifest["pages"].size();
    ASSERT_GE(pages, 3u);
    r = run_glyph("ocr --pages " + shell_quote(tmp_->file("long")) + " --source " +
                  shell_quote(tmp_->file("long.txt")) + " --sample 2 --threads 2 --max-cer 0.05 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = report_of(r);
    EXPECT_EQ(j["pages_read"], 2);
    EXPECT_EQ(j["page_count"], pages);
    EXPECT_EQ(j["pages"][0]["page"], 1);
    EXPECT_EQ(j["pages"][1]["page"], pages);
    EXPECT_LT(j["cer"].get<double>(), 0.05);
}

TEST_F(GlyphOcr, RowsInPageOrderAndProgressOnATerminal) {
    // Three short pages read on two threads: rows come out in page order,
    // under the header, with the progress line cleared before each.
    write_file(tmp_->file("three.txt"), english_text(4500));
    const std::string command = shell_quote(GLYPH_CLI) + " ocr " + shell_quote(tmp_->file("three.txt")) +
                                " --preset en --dpi 96 --set page-size=595,200 --threads 2 --max-cer 0.05";
    // script(1) gives the command a terminal for stdout and stderr.
    const auto r = glyph::test::run_command("script -qec " + shell_quote(command) + " /dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    // Each clearing of the progress line starts a fresh line; the terminal's
    // "\r\n" is a plain "\n".
    std::string out;
    for (size_t i = 0; i < r.out.size(); ++i) {
        if (r.out.compare(i, 4, "\r\033[K") == 0) {
            out += '\n';
            i += 3;
        } else if (r.out[i] != '\r') {
            out += r.out[i];
        }
    }
    const size_t header = out.find("  page    chars   edits      CER  seconds");
    ASSERT_NE(header, std::string::npos) << out;
    size_t at = header;
    int pages = 0;
    for (int page = 1;; ++page) {
        char row[16];
        std::snprintf(row, sizeof row, "\n%6d ", page);
        const size_t found = out.find(row, at);
        if (found == std::string::npos) break;
        at = found;
        pages = page;
    }
    EXPECT_GE(pages, 3) << out;
    EXPECT_NE(out.find("overall: " + std::to_string(pages) + " of " + std::to_string(pages) + " pages", at),
              std::string::npos)
        << out;
    // The progress line reached the end, and was redrawn in place.
    EXPECT_NE(out.find(std::to_string(pages) + "/" + std::to_string(pages) + " pages"), std::string::npos) << out;
    EXPECT_NE(r.out.find("\r\033[K"), std::string::npos) << out;
}

TEST_F(GlyphOcr, JsonStaysOneDocumentOnStdout) {
    const auto r = run_glyph("ocr " + prose() + " --preset en --dpi 96 --max-cer 0.05 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("  page "), std::string::npos);
    EXPECT_EQ(r.out.front(), '{');
    EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n");
    EXPECT_FALSE(report_of(r).is_discarded());
}

TEST_F(GlyphOcr, LegibleChinesePagesReadBackLineByLine) {
    // Glyph's zh config at 96 dpi: one page of Chinese prose.
    const auto r = run_glyph("ocr " + shell_quote(tmp_->file("zh.txt")) + " --preset zh --dpi 96 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out.substr(0, 3000);
    const json j = report_of(r);
    EXPECT_EQ(j["language"], "chi_sim");
    EXPECT_EQ(j["legible"], true);
    EXPECT_LT(j["cer"].get<double>(), 0.02);
    EXPECT_GT(j["reference_chars"].get<size_t>(), 700u);
    EXPECT_NE(j["pages"][0]["text"].get<std::string>().find("图书馆"), std::string::npos);
}

TEST_F(GlyphOcr, PagesFolderFindsTheSourceItsManifestRecords) {
    const TempDir dir;
    const std::string text = english_text(3000);
    write_file(dir.file("book.txt"), text);
    auto r = run_glyph("render " + shell_quote(dir.file("book.txt")) + " --preset en --dpi 96 --out " +
                       shell_quote(dir.file("pages")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json manifest = json::parse(read_file(dir.file("pages/manifest.json")));
    ASSERT_TRUE(manifest.contains("source")) << manifest.dump(2);
    EXPECT_EQ(manifest["source"].get<std::string>().front(), '/');
    EXPECT_EQ(manifest["source_sha256"].get<std::string>(), source_digest(text));

    r = run_glyph("ocr --pages " + shell_quote(dir.file("pages")) + " --max-cer 0.05 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LT(report_of(r)["cer"].get<double>(), 0.05);

    // Edited since the render, same size: the SHA-256 tells.
    std::string edited = text;
    edited[10] = edited[10] == 'x' ? 'y' : 'x';
    write_file(dir.file("book.txt"), edited);
    r = run_glyph("ocr --pages " + shell_quote(dir.file("pages")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("is not the text the pages were rendered from (its SHA-256 differs"), std::string::npos)
        << r.err;
    // Gone.
    std::remove(dir.file("book.txt").c_str());
    r = run_glyph("ocr --pages " + shell_quote(dir.file("pages")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("which is no longer there; pass --source FILE"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    // Rendered from stdin: nothing to find again.
    r = run_glyph("render - --preset en --out " + shell_quote(dir.file("piped")), &text);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(json::parse(read_file(dir.file("piped/manifest.json"))).contains("source"));
    r = run_glyph("ocr --pages " + shell_quote(dir.file("piped")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("names no source text"), std::string::npos) << r.err;
}

TEST_F(GlyphOcr, BadInputsGiveOneLineAndTheDocumentedExitCode) {
    const TempDir empty_dir;
    write_file(tmp_->file("empty.txt"), "");
    write_file(tmp_->file("blank.txt"), " \n\n  \n");
    struct Case {
        std::string args, message;
        int exit_code;
    } cases[] = {
        // Input that cannot be read: 2, as in glyph render.
        {"ocr " + shell_quote(tmp_->file("missing.txt")), "cannot read input " + tmp_->file("missing.txt"), 2},
        {"ocr " + shell_quote(empty_dir.path) + " --preset en", "is a folder, not a text file", 2},
        {"ocr --pages " + shell_quote(empty_dir.path), "has no manifest.json", 2},
        // Input that cannot be measured, and flags that do not fit: 2 as well.
        {"ocr " + shell_quote(tmp_->file("empty.txt")) + " --preset en", "input is empty", 2},
        {"ocr " + shell_quote(tmp_->file("blank.txt")) + " --preset en", "show no text", 2},
        {"ocr " + prose() + " --pages " + shell_quote(empty_dir.path), "not both or neither", 2},
        {"ocr " + prose() + " --preset en --lang 'eng+'", "is not a Tesseract language list", 2},
        {"ocr " + prose() + " --preset en --segment words", "--segment", 2},
        // OCR data that is not installed: a runtime failure, 1.
        {"ocr " + prose() + " --preset en --lang zz_no_such_language", "cannot load language \"zz_no_such_language\"",
         1},
    };
    for (const Case& c : cases) {
        const auto r = run_glyph(c.args);
        EXPECT_EQ(r.exit_code, c.exit_code) << c.args << "\n" << r.err;
        EXPECT_EQ(r.out, "") << c.args;
        EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
        EXPECT_EQ(r.err.rfind("glyph: error: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
    }
}

}  // namespace
