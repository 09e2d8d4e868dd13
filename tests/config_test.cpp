// Config keys: typos never pass silently (errors where a person typed the key,
// warnings in config files), the keys of Glyph's evaluation renderer
// (paragraph-lines, tab-spaces) on real decoded pages, and the code preset.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "glyph/batch.h"
#include "glyph/config.h"
#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/serve.h"
#include "test_support.h"

using namespace glyph;
using glyph::test::read_file;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;

namespace {

std::string config_error(const json& overrides) {
    try {
        (void)apply_config(overrides, preset("en"));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

RenderResult render_with(const std::string& text, const json& overrides, const std::string& base = "en") {
    RenderOptions opts;
    opts.keep_layout = true;
    return render_text(text, apply_config(overrides, preset(base)), opts);
}

std::vector<int> lines_per_page(const RenderResult& r) {
    std::vector<int> out;
    for (const Page& p : r.pages) out.push_back(p.line_count);
    return out;
}

// Leftmost column with ink in the text row of each of the first `lines`
// lines of an en-geometry page at 72 dpi (baselines 25, 35, ... px).
std::vector<int> first_ink_columns(const Image& page, int lines) {
    std::vector<int> out;
    for (int line = 0; line < lines; ++line) {
        const int baseline = 25 + 10 * line;
        int first = -1;
        for (int x = 0; x < page.width && first < 0; ++x)
            for (int y = baseline - 7; y < baseline; ++y)
                if (page.row(y)[x * page.channels] < 128) {
                    first = x;
                    break;
                }
        out.push_back(first);
    }
    return out;
}

}  // namespace

TEST(ConfigKeys, UnknownKeyIsAnErrorNamingTheNearestKey) {
    EXPECT_EQ(config_error({{"font_size", 12}}), "unknown config key \"font_size\"; did you mean \"font-size\"?");
    EXPECT_EQ(config_error({{"tab-space", 4}}), "unknown config key \"tab-space\"; did you mean \"tab-spaces\"?");
    // Nothing close: the message lists what is allowed.
    const std::string far = config_error({{"zzzz", 1}});
    EXPECT_NE(far.find("known keys: page-size, dpi"), std::string::npos) << far;
    EXPECT_NE(far.find("paragraph-lines"), std::string::npos) << far;
}

TEST(ConfigKeys, UnknownKeyInWarnModeIsOneWarningAndIgnored) {
    std::vector<std::string> warnings;
    RenderConfig c = apply_config({{"config-name", "mine"}, {"dpi", 96}}, preset("en"), ".", UnknownKeys::Warn,
                                  [&](const std::string& line) { warnings.push_back(line); });
    EXPECT_EQ(c.dpi, 96);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("\"config-name\""), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("ignored"), std::string::npos) << warnings[0];
}

TEST(ConfigKeys, ConfigFileWarnsOncePerUnknownKeyWithTheFileName) {
    TempDir dir;
    const std::string path = dir.file("cfg.json");
    write_file(path, R"({"font-path": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fontsize": 12,
                        "font-size": 8, "line-height": 9})");
    std::vector<std::string> warnings;
    RenderConfig c = load_config_file(path, [&](const std::string& line) { warnings.push_back(line); });
    EXPECT_EQ(c.font_size, 8);
    EXPECT_EQ(c.line_height, 9);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], path + ": unknown config key \"fontsize\"; did you mean \"font-size\"? (ignored)");
}

TEST(ConfigKeys, HostileConfigFilesAreOneLineErrors) {
    TempDir dir;
    const std::string deep = dir.file("deep.json"), huge = dir.file("huge.json"), broken = dir.file("broken.json");
    write_file(deep, "{\"dpi\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
    write_file(huge, "{\"comment\": \"" + std::string(2 << 20, 'x') + "\"}");
    write_file(broken, "{\"dpi\": 96");
    for (const auto& [path, expected] : {std::pair{deep, "nests deeper"}, std::pair{huge, "over 1 MiB"},
                                         std::pair{broken, "not valid JSON"}}) {
        try {
            load_config_file(path);
            ADD_FAILURE() << path << " was accepted";
        } catch (const ConfigError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find(expected), std::string::npos) << message;
            EXPECT_NE(message.find(path), std::string::npos) << message;
        }
    }
}

TEST(ConfigKeys, UnknownAlignmentKeepsJustifyAndWarns) {
    std::vector<std::string> warnings;
    auto warn = [&](const std::string& line) { warnings.push_back(line); };
    RenderConfig c = apply_config({{"alignment", "CENTRE"}}, preset("en"), ".", UnknownKeys::Reject, warn);
    EXPECT_EQ(c.alignment, Alignment::Justify) << "the reference maps unknown names to JUSTIFY";
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("LEFT, CENTER, RIGHT or JUSTIFY"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("did you mean \"CENTER\""), std::string::npos) << warnings[0];
    // The four names themselves are quiet.
    for (const char* name : {"LEFT", "CENTER", "RIGHT", "JUSTIFY"})
        (void)apply_config({{"alignment", name}}, preset("en"), ".", UnknownKeys::Reject, warn);
    EXPECT_EQ(warnings.size(), 1u);
}

TEST(ConfigKeys, ParagraphLinesAndTabSpacesAreBoundedWholeNumbers) {
    RenderConfig c = preset("en");
    EXPECT_EQ(c.paragraph_lines, 30) << "Glyph's inference renderer is the default";
    EXPECT_EQ(c.tab_spaces, 0);
    EXPECT_NE(config_error({{"tab-spaces", 2.5}}).find("a whole number"), std::string::npos);
    EXPECT_NE(config_error({{"paragraph-lines", "many"}}).find("\"paragraph-lines\""), std::string::npos);
    for (const json& bad : {json{{"tab-spaces", 17}}, json{{"tab-spaces", -1}}, json{{"paragraph-lines", -3}}}) {
        RenderConfig b = apply_config(bad, preset("en"));
        EXPECT_THROW(validate(b), ConfigError) << bad.dump();
    }
    RenderConfig eval = apply_config({{"paragraph-lines", 0}, {"tab-spaces", "4"}}, preset("en"));
    EXPECT_NO_THROW(validate(eval));
    const json j = to_json(eval);
    EXPECT_EQ(j["paragraph-lines"], 0);
    EXPECT_EQ(j["tab-spaces"], 4);
    // What the manifest records reads back as the same config.
    RenderConfig again = apply_config(j, RenderConfig{});
    EXPECT_EQ(again.paragraph_lines, 0);
    EXPECT_EQ(again.tab_spaces, 4);
}

TEST(ConfigKeys, CodePresetIsEnGeometryInMonospaceWithTabsKept) {
    const auto names = preset_names();
    for (const char* n : {"en", "zh", "code"}) EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    RenderConfig code = preset("code"), en = preset("en");
    EXPECT_NE(code.font_path.find("DejaVuSansMono"), std::string::npos) << code.font_path;
    EXPECT_EQ(code.tab_spaces, 4);
    EXPECT_EQ(code.paragraph_lines, 0);
    json a = to_json(code), b = to_json(en);
    for (const char* k : {"font-path", "tab-spaces", "paragraph-lines"}) {
        a.erase(k);
        b.erase(k);
    }
    EXPECT_EQ(a, b) << "same page geometry as en";
    // Monospace: every line of the same length ends at the same x.
    RenderResult r = render_with("iiii\nMMMM", json::object(), "code");
    ASSERT_EQ(r.lines.size(), 2u);
    EXPECT_DOUBLE_EQ(r.lines[0].x1, r.lines[1].x1);
}

TEST(EvalVariant, TabIndentedCodeKeepsItsIndentationOnDecodedPages) {
    TempDir dir;
    const std::string src = dir.file("code.c");
    write_file(src, "int f(void) {\n\treturn 1;\n\t\tnested;\n}\n");
    const std::string out_tabs = dir.file("tabs"), out_plain = dir.file("plain");
    auto expanded = run_glyph("render " + shell_quote(src) + " --preset en --set tab-spaces=4 --set paragraph-lines=0 --out " +
                              shell_quote(out_tabs));
    ASSERT_EQ(expanded.exit_code, 0) << expanded.err;
    auto plain = run_glyph("render " + shell_quote(src) + " --preset en --out " + shell_quote(out_plain));
    ASSERT_EQ(plain.exit_code, 0) << plain.err;

    // DejaVu Sans 9 pt: a no-break space advances 651/2048 em, 2.86 px at 72 dpi.
    const double nbsp_px = 651.0 / 2048 * 9;
    const std::vector<int> tabs = first_ink_columns(read_image_file(out_tabs + "/page_001.png"), 4);
    EXPECT_NEAR(tabs[1] - tabs[0], 4 * nbsp_px, 1.5) << "one tab, four no-break spaces";
    EXPECT_NEAR(tabs[2] - tabs[0], 8 * nbsp_px, 1.5) << "two tabs, eight";
    EXPECT_NEAR(tabs[3], tabs[0], 1) << "no tab, flush left";
    // The inference renderer breaks words at a tab: the indentation is gone.
    const std::vector<int> flush = first_ink_columns(read_image_file(out_plain + "/page_001.png"), 4);
    EXPECT_NEAR(flush[1], flush[0], 1);
    EXPECT_NEAR(flush[2], flush[0], 1);
}

TEST(EvalVariant, TabBesideSpacesFollowsTheReference) {
    // Space runs become no-break spaces first; a lone space beside a tab stays
    // a breaking space, so the words split there.
    RenderResult r = render_with("a \tb  \tc", {{"tab-spaces", 2}});
    ASSERT_EQ(r.lines.size(), 1u);
    const std::string nb = "\xC2\xA0";
    EXPECT_EQ(r.lines[0].words, (std::vector<std::string>{"a", nb + nb + "b" + nb + nb + nb + nb + "c"}));
}

TEST(EvalVariant, OneParagraphHasNoThirtyLineQuirks) {
    // Two 30-line paragraphs whose 10 long source lines wrap to 2 lines each
    // fill 80 lines; in 30-line paragraphs the third would start on the last
    // line of the page and moves whole to page 2. As one paragraph, page 1 is
    // full and page 2 starts with the empty line of the carried-over break.
    std::string wide;
    for (int i = 0; i < 25; ++i) wide += i ? " aaaa" : "aaaa";
    std::string text;
    for (int p = 0; p < 2; ++p)
        for (int i = 0; i < 30; ++i) text += (i < 10 ? wide : "short line") + std::string("\n");
    text += "third paragraph\nmore";
    EXPECT_EQ(lines_per_page(render_with(text, json::object())), (std::vector<int>{80, 2}));
    EXPECT_EQ(lines_per_page(render_with(text, {{"paragraph-lines", 0}})), (std::vector<int>{81, 2}));

    // 250 short lines: each page break falls at a line end, so every later
    // page starts with that empty line in both; the 30-line split also leaves
    // the last line of page 3 empty (a paragraph moved whole).
    std::string lines;
    for (int i = 0; i < 250; ++i) lines += "line " + std::to_string(i) + "\n";
    EXPECT_EQ(lines_per_page(render_with(lines, json::object())), (std::vector<int>{81, 81, 80, 10}));
    EXPECT_EQ(lines_per_page(render_with(lines, {{"paragraph-lines", 0}})), (std::vector<int>{81, 81, 81, 10}));
    // Any paragraph size works, e.g. one line per paragraph.
    EXPECT_EQ(render_with(lines, {{"paragraph-lines", 1}}).pages.size(), 4u);
}

TEST(EvalVariant, CleanModeUsesTabSpacesAsTabStops) {
    RenderResult two = render_with("\tx", {{"layout-mode", "clean"}, {"tab-spaces", 2}});
    RenderResult eight = render_with("\tx", {{"layout-mode", "clean"}, {"tab-spaces", 8}});
    ASSERT_EQ(two.lines.size(), 1u);
    ASSERT_EQ(eight.lines.size(), 1u);
    EXPECT_GT(eight.lines[0].x1 - two.lines[0].x1, 5 * 2.8) << "six more spaces of indentation";
}

TEST(ConfigCli, SetTypoIsAnErrorAndAlignmentTypoAWarning) {
    TempDir dir;
    const std::string in = dir.file("in.txt");
    write_file(in, "some text");
    auto typo = run_glyph("render " + shell_quote(in) + " --preset en --set font_size=12 --out " +
                          shell_quote(dir.file("a")));
    EXPECT_EQ(typo.exit_code, 2);
    EXPECT_EQ(typo.err, "glyph: error: --set: unknown config key \"font_size\"; did you mean \"font-size\"?\n");
    auto centre = run_glyph("render " + shell_quote(in) + " --preset en --set alignment=CENTRE --out " +
                            shell_quote(dir.file("b")));
    EXPECT_EQ(centre.exit_code, 0) << centre.err;
    EXPECT_EQ(std::count(centre.err.begin(), centre.err.end(), '\n'), 1) << centre.err;
    EXPECT_EQ(centre.err.rfind("glyph: warning: config key \"alignment\": \"CENTRE\"", 0), 0u) << centre.err;
    const json manifest = json::parse(read_file(dir.file("b/manifest.json")));
    EXPECT_EQ(manifest["config"]["alignment"], "JUSTIFY");
}

TEST(ConfigCli, ConfigFileBookkeepingKeyIsOneWarningLine) {
    TempDir dir;
    const std::string in = dir.file("in.txt"), cfg = dir.file("cfg.json");
    write_file(in, "some text");
    write_file(cfg, R"({"config-name": "mine", "font-path": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"})");
    auto r = run_glyph("render " + shell_quote(in) + " --config " + shell_quote(cfg) + " --out " +
                       shell_quote(dir.file("o")));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("glyph: warning: " + cfg + ": unknown config key \"config-name\""), std::string::npos)
        << r.err;
}

TEST(ConfigKeys, BatchItemConfigTypoFailsThatItemOnly) {
    TempDir dir;
    const std::string data = dir.file("items.jsonl");
    write_file(data,
               "{\"unique_id\": \"good\", \"context\": \"fine\"}\n"
               "{\"unique_id\": \"typo\", \"context\": \"oops\", \"config\": {\"dpii\": 96}}\n");
    BatchOptions opts;
    opts.threads = 1;
    const BatchReport rep = render_batch(data, preset("en"), ".", dir.file("out"), opts);
    EXPECT_EQ(rep.rendered, 1u);
    EXPECT_EQ(rep.failed, 1u);
    // The reason is recorded beside the results (whichever file holds failures).
    std::string recorded;
    for (const char* f : {"out/results.jsonl", "out/failures.jsonl"})
        if (std::filesystem::exists(dir.file(f))) recorded += read_file(dir.file(f));
    EXPECT_NE(recorded.find("unknown config key \\\"dpii\\\"; did you mean \\\"dpi\\\"?"), std::string::npos)
        << recorded;
}

TEST(ConfigKeys, RequestConfigTypoIsRejectedNamingTheNearestKey) {
    const serve::ProxyPolicy base;
    try {
        (void)serve::apply_policy_overrides(base, {{"config", {{"line_height", 11}}}});
        FAIL() << "a typo in glyph.config must be rejected";
    } catch (const serve::ServeError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "\"glyph\".config: unknown config key \"line_height\"; did you mean \"line-height\"?");
    }
    EXPECT_NO_THROW((void)serve::apply_policy_overrides(base, {{"preset", "code"}, {"config", {{"tab-spaces", 2}}}}));
}
