// The CLI as a newcomer and a script meet it: output folders (parents made,
// one render per folder, the old render kept when a new one fails), the
// auto preset, missing-glyph warnings, --json and "-" for stdin/stdout, and
// one exit-code table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/encode.h"
#include "test_support.h"

using glyph::test::read_file;
using glyph::test::repo_path;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kChinese =
    "春天来了，山上的花都开了。小明和他的朋友们一起去公园散步，他们看见湖边有很多人在钓鱼。"
    "老人说，今年的雨水比往年多，所以庄稼长得特别好。大家听了都很高兴，决定明天再来。\n";

std::string sample() { return shell_quote(repo_path("samples/novel_excerpt.txt")); }

std::set<std::string> files_in(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

std::vector<std::string> page_bytes(const std::string& dir) {
    std::vector<std::string> pages;
    for (const std::string& name : files_in(dir))
        if (name.rfind("page_", 0) == 0) pages.push_back(read_file(dir + "/" + name));
    return pages;
}

}  // namespace

TEST(CliOutput, MissingParentFoldersAreCreated) {
    TempDir dir;
    auto r = run_glyph("render " + sample() + " --out " + shell_quote(dir.file("a/b/c")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_regular_file(dir.file("a/b/c/manifest.json")));
    // --layout too, into a folder that does not exist yet.
    auto l = run_glyph("render " + sample() + " --out " + shell_quote(dir.file("x")) + " --layout " +
                       shell_quote(dir.file("deep/er/layout.jsonl")));
    ASSERT_EQ(l.exit_code, 0) << l.err;
    EXPECT_NE(read_file(dir.file("deep/er/layout.jsonl")).find("\"words\""), std::string::npos);
    // Nothing is left beside the folders but the folders themselves.
    EXPECT_EQ(files_in(dir.file("a/b")), (std::set<std::string>{"c"}));
}

TEST(CliOutput, ARenderReplacesTheEarlierOneWhole) {
    TempDir dir;
    std::string longer;
    const std::string text = read_file(repo_path("samples/novel_excerpt.txt"));
    for (int i = 0; i < 4; ++i) longer += text;
    write_file(dir.file("long.txt"), longer);
    const std::string out = shell_quote(dir.file("out"));
    ASSERT_EQ(run_glyph("render " + shell_quote(dir.file("long.txt")) + " --out " + out).exit_code, 0);
    const size_t long_pages = page_bytes(dir.file("out")).size();
    write_file(dir.file("short.txt"), "A short note.\n");
    auto r = run_glyph("render " + shell_quote(dir.file("short.txt")) + " --out " + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_GT(long_pages, 1u);
    EXPECT_EQ(files_in(dir.file("out")), (std::set<std::string>{"manifest.json", "page_001.png"}));
    const json m = json::parse(read_file(dir.file("out/manifest.json")));
    EXPECT_EQ(m["page_count"], 1);
    EXPECT_EQ(files_in(dir.path), (std::set<std::string>{"long.txt", "short.txt", "out"}));
}

TEST(CliOutput, AFailedRenderLeavesTheEarlierOneIntact) {
    TempDir dir;
    const std::string out = shell_quote(dir.file("out"));
    ASSERT_EQ(run_glyph("render " + sample() + " --out " + out).exit_code, 0);
    const std::string manifest = read_file(dir.file("out/manifest.json"));
    const auto pages = page_bytes(dir.file("out"));
    write_file(dir.file("bad.txt"), std::string("text\xff\xfe", 6));  // invalid UTF-8
    auto r = run_glyph("render " + shell_quote(dir.file("bad.txt")) + " --out " + out);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(read_file(dir.file("out/manifest.json")), manifest);
    EXPECT_EQ(page_bytes(dir.file("out")), pages);
    // A bad --tokenizer is found after rendering: the folder still holds the old render.
    write_file(dir.file("tok.json"), "{not json");
    auto tk = run_glyph("render " + shell_quote(repo_path("README.md")) + " --out " + out + " --tokenizer " +
                        shell_quote(dir.file("tok.json")));
    EXPECT_EQ(tk.exit_code, 2) << tk.err;
    EXPECT_EQ(read_file(dir.file("out/manifest.json")), manifest);
    EXPECT_EQ(files_in(dir.path), (std::set<std::string>{"bad.txt", "out", "tok.json"}));
}

TEST(CliOutput, FilesGlyphDidNotWriteAreNeverDeleted) {
    TempDir dir;
    fs::create_directory(dir.file("mine"));
    write_file(dir.file("mine/notes.txt"), "keep me");
    auto r = run_glyph("render " + sample() + " --out " + shell_quote(dir.file("mine")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(read_file(dir.file("mine/notes.txt")), "keep me");
    auto f = run_glyph("render " + sample() + " --out " + shell_quote(dir.file("mine/notes.txt")));
    EXPECT_EQ(f.exit_code, 2);
    EXPECT_NE(f.err.find("not a folder"), std::string::npos) << f.err;
}

TEST(CliPreset, AutoGivesTheZhPagesForChineseEverywhere) {
    TempDir dir;
    write_file(dir.file("zh.txt"), kChinese);
    const std::string in = shell_quote(dir.file("zh.txt"));
    auto a = run_glyph("render " + in + " --out " + shell_quote(dir.file("auto")));
    auto z = run_glyph("render " + in + " --preset zh --out " + shell_quote(dir.file("zh")));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(z.exit_code, 0) << z.err;
    EXPECT_EQ(page_bytes(dir.file("auto")), page_bytes(dir.file("zh")));
    EXPECT_NE(a.out.find("preset zh (auto)"), std::string::npos) << a.out;
    EXPECT_EQ(a.err.find("warning"), std::string::npos) << a.err;
    auto explicit_auto = run_glyph("render " + in + " --preset auto --out " + shell_quote(dir.file("auto2")));
    ASSERT_EQ(explicit_auto.exit_code, 0) << explicit_auto.err;
    EXPECT_EQ(page_bytes(dir.file("auto2")), page_bytes(dir.file("zh")));
    // stats counts the same pages.
    auto s_auto = run_glyph("stats " + in + " --json");
    auto s_zh = run_glyph("stats " + in + " --preset zh --json");
    ASSERT_EQ(s_auto.exit_code, 0) << s_auto.err;
    EXPECT_EQ(json::parse(s_auto.out)["pages"], json::parse(s_zh.out)["pages"]);
}

TEST(CliPreset, TheRuleCountsLettersOnly) {
    EXPECT_EQ(glyph::auto_preset_name(kChinese), "zh");
    EXPECT_EQ(glyph::auto_preset_name("The quick brown fox. 1234567890, 2024-01-01."), "en");
    // Digits and punctuation do not outvote the Han letters.
    EXPECT_EQ(glyph::auto_preset_name("第3章 2024-05-06 (12:30) 价格: 100元"), "zh");
    // An English text that quotes a few Chinese words stays English.
    EXPECT_EQ(glyph::auto_preset_name("The word 你好 means hello in Mandarin."), "en");
    EXPECT_EQ(glyph::auto_preset_name("日本語のテキストです。"), "zh");
    EXPECT_EQ(glyph::auto_preset_name(std::string("\xff\xfe abc", 6)), "en");  // no crash on bad bytes
}

// Long texts, where ASCII is counted a block at a time: the vote is the same
// exact count of letters whichever way the blocks fall.
TEST(CliPreset, LongTextsAreCountedLetterByLetter) {
    for (const size_t ascii : {1000u, 4097u}) {
        for (const size_t shift : {0u, 1u, 63u}) {
            SCOPED_TRACE("letters " + std::to_string(ascii) + ", shift " + std::to_string(shift));
            const std::string pad(shift, ' ');
            std::string letters;
            for (size_t i = 0; i < ascii; ++i) letters += char((i % 7 == 6) ? ' ' : 'a' + i % 26);
            size_t count = 0;
            for (char c : letters) count += c != ' ';
            std::string han;
            for (size_t i = 0; i < count; ++i) han += "字";
            // A tie stays en; one Han letter more makes it zh, wherever the Han letters are.
            EXPECT_EQ(glyph::auto_preset_name(pad + letters + "1234567890 " + han), "en");
            EXPECT_EQ(glyph::auto_preset_name(pad + letters + han + "字"), "zh");
            EXPECT_EQ(glyph::auto_preset_name(pad + han + "字" + letters), "zh");
            // Upper case, digits, controls and a bad byte in the ASCII blocks.
            std::string upper = letters;
            for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
            EXPECT_EQ(glyph::auto_preset_name(pad + han + "\n\t@[`{\xff" + upper), "en");
            EXPECT_EQ(glyph::auto_preset_name(pad + han + "字\n\t@[`{\xff" + upper), "zh");
        }
    }
}

TEST(CliPreset, BoxesAreAlwaysAnnounced) {
    TempDir dir;
    write_file(dir.file("zh.txt"), kChinese);
    auto r = run_glyph("render " + shell_quote(dir.file("zh.txt")) + " --preset en --out " + shell_quote(dir.file("o")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const size_t at = r.err.find("glyph: warning: ");
    ASSERT_NE(at, std::string::npos) << r.err;
    EXPECT_NE(r.err.find("drawn as boxes"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("DejaVuSans"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--mode clean"), std::string::npos) << r.err;
    const json m = json::parse(read_file(dir.file("o/manifest.json")));
    // Every Han character and full-width punctuation mark, counted with repeats.
    EXPECT_GT(m["missing_glyphs"]["count"].get<int>(), 80);
    // --mode clean falls back to a CJK font: no boxes, no warning.
    auto c = run_glyph("render " + shell_quote(dir.file("zh.txt")) + " --preset en --mode clean --out " +
                       shell_quote(dir.file("c")));
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_EQ(c.err.find("warning"), std::string::npos) << c.err;
}

TEST(CliScripting, JsonAndStandardStreams) {
    TempDir dir;
    const std::string text = read_file(repo_path("samples/novel_excerpt.txt"));
    auto r = run_glyph("render - --json --out " + shell_quote(dir.file("o")), &text);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json m = json::parse(r.out);  // stdout is the manifest and nothing else
    EXPECT_EQ(m["page_count"].get<size_t>(), m["pages"].size());
    EXPECT_EQ(m["accounting"]["text_tokens"].get<long long>() > 0, true);
    EXPECT_NE(r.err.find("compression"), std::string::npos) << r.err;
    // Page files decode to the sizes the manifest states.
    const std::string png = read_file(dir.file("o/page_001.png"));
    const glyph::Image img = glyph::decode_image(reinterpret_cast<const uint8_t*>(png.data()), png.size());
    EXPECT_EQ(img.width, m["pages"][0]["width"].get<int>());

    auto l = run_glyph("render " + sample() + " --layout - --out " + shell_quote(dir.file("o")));
    ASSERT_EQ(l.exit_code, 0) << l.err;
    size_t rows = 0;
    for (size_t at = 0, nl; (nl = l.out.find('\n', at)) != std::string::npos; at = nl + 1, ++rows)
        EXPECT_TRUE(json::parse(l.out.substr(at, nl - at)).contains("words"));
    EXPECT_GT(rows, 100u);
    EXPECT_EQ(run_glyph("render " + sample() + " --layout - --json --out " + shell_quote(dir.file("o"))).exit_code,
              2);

    auto t = run_glyph("tokenize - --json", &text);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    const json tj = json::parse(t.out);
    EXPECT_EQ(tj["tokens"], m["accounting"]["text_tokens"]);
    EXPECT_EQ(tj["bytes"].get<size_t>(), text.size());
}

TEST(CliScripting, OneExitCodeTable) {
    auto bare = run_glyph("");
    EXPECT_EQ(bare.exit_code, 0);
    EXPECT_NE(bare.out.find("render"), std::string::npos);
    // CLI11's parse errors: 2 with our prefix, in every subcommand.
    for (const char* args : {"render --no-such-flag", "stats --threads x", "ask", "ocr --max-cer", "frobnicate"}) {
        auto r = run_glyph(args);
        EXPECT_EQ(r.exit_code, 2) << args;
        EXPECT_EQ(r.err.rfind("glyph: error: ", 0), 0u) << args << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    }
    TempDir dir;
    // Usage errors in render are 2 as well (bad config value, unknown profile, missing input).
    EXPECT_EQ(run_glyph("render " + sample() + " --set dpi=0 --out " + shell_quote(dir.file("o"))).exit_code, 2);
    EXPECT_EQ(run_glyph("render " + sample() + " --profile nope --out " + shell_quote(dir.file("o"))).exit_code, 2);
    EXPECT_EQ(run_glyph("render " + shell_quote(dir.file("missing.txt")) + " --out " + shell_quote(dir.file("o")))
                  .exit_code,
              2);
    EXPECT_EQ(run_glyph("render --help").exit_code, 0);
}

TEST(CliOutputText, CountsAndRatiosReadRight) {
    TempDir dir;
    write_file(dir.file("one.txt"), "Just one line.\n");
    auto r = run_glyph("render " + shell_quote(dir.file("one.txt")) + " --out " + shell_quote(dir.file("o")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("1 page -> "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("1 pages"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("of which"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("too short to gain"), std::string::npos) << r.out;
}

// glyph runs render, tokenize and stats itself and executes glyph-full, found
// beside it, for everything else: the same arguments, exit codes and output.
TEST(CliPrograms, LauncherRunsTheLightCommandsAndHandsOnTheRest) {
    const fs::path launcher = GLYPH_CLI;
    const fs::path full = launcher.parent_path() / "glyph-full";
    ASSERT_TRUE(fs::is_regular_file(full)) << full;
    // The launcher does not load the OCR, HTTP or TLS libraries.
    const auto needed = glyph::test::run_command("readelf -d " + shell_quote(launcher.string()));
    ASSERT_EQ(needed.exit_code, 0) << needed.err;
    EXPECT_NE(needed.out.find("libharfbuzz"), std::string::npos) << needed.out;
    for (const char* heavy : {"libtesseract", "libcurl", "libcrypto", "libssl", "libzip", "libcpp-httplib"})
        EXPECT_EQ(needed.out.find(heavy), std::string::npos) << heavy << " is linked into " << launcher;
    // Through the launcher and straight from glyph-full: the same help, version and exit codes.
    const auto via = run_glyph("--version");
    const auto direct = glyph::test::run_command(shell_quote(full.string()) + " --version");
    ASSERT_EQ(via.exit_code, 0) << via.err;
    EXPECT_EQ(via.out, direct.out);
    EXPECT_NE(run_glyph("").out.find("search"), std::string::npos);  // the whole command list
    EXPECT_EQ(run_glyph("ocr --no-such-flag").exit_code, 2);
    // Without glyph-full beside it, the light commands still run; the rest is one clear line.
    TempDir dir;
    const std::string alone = dir.file("glyph");
    fs::copy_file(launcher, alone);
    fs::permissions(alone, fs::perms::owner_all);
    const auto render = glyph::test::run_command(shell_quote(alone) + " render " + sample() + " --no-count --out " +
                                                 shell_quote(dir.file("out")));
    EXPECT_EQ(render.exit_code, 0) << render.err;
    EXPECT_TRUE(fs::is_regular_file(dir.file("out/manifest.json")));
    const auto ocr = glyph::test::run_command(shell_quote(alone) + " ocr " + sample());
    EXPECT_EQ(ocr.exit_code, 1);
    EXPECT_NE(ocr.err.find("glyph-full"), std::string::npos) << ocr.err;
    EXPECT_EQ(std::count(ocr.err.begin(), ocr.err.end(), '\n'), 1) << ocr.err;
}
