// The legibility check: character error rate arithmetic (pinned values),
// page sampling, line pitch on real rendered pages, and `glyph ocr` reading
// real pages back with Tesseract, legible and not, plus its bad inputs.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
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

TEST(CharacterErrors, SpacesBesideCjkAreDropped) {
    // Tesseract puts spaces between Han characters; Chinese has none.
    expect_errors("你好世界", "你 好 世 界", 0, 4);
    expect_errors("你好 world", "你好world", 0, 7);
    expect_errors("你好，世界。", "你 好 ， 世 界 。", 0, 6);
    expect_errors("中文 text 中文", "中文text中文", 0, 8);
}

TEST(CharacterErrors, CompatibilityFormsCompareEqual) {
    // NFKC: Tesseract reads full-width punctuation as ASCII, may emit ligatures.
    expect_errors("（你好）；世界！", "(你好);世界!", 0, 8);
    expect_errors("ﬁle", "file", 0, 4);
    expect_errors("wait…", "wait...", 0, 7);
    expect_errors("e\u0301te\u0301", "été", 0, 3);  // composed and decomposed accents
    expect_errors("，", ".", 1, 1);
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
    EXPECT_NE(r.out.find("overall: 1 of 1 pages"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("-> legible"), std::string::npos) << r.out;
}

TEST_F(GlyphOcr, TooSmallTextIsReportedIllegibleWithExit3) {
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
        // Input that was read but cannot be measured, and missing OCR data: 1.
        {"ocr " + shell_quote(tmp_->file("empty.txt")) + " --preset en", "input is empty", 1},
        {"ocr " + shell_quote(tmp_->file("blank.txt")) + " --preset en", "show no text", 1},
        {"ocr " + prose() + " --pages " + shell_quote(empty_dir.path), "not both or neither", 1},
        {"ocr " + prose() + " --preset en --lang zz_no_such_language", "cannot load language \"zz_no_such_language\"",
         1},
        {"ocr " + prose() + " --preset en --lang 'eng+'", "invalid language", 1},
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
