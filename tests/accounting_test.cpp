// Compression accounting end to end: real renders of the bundled sample, the
// real Qwen3 tokenizer, manifests on disk and the glyph CLI (stats, render).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "glyph/accounting.h"
#include "glyph/accounting_manifest.h"
#include "glyph/config.h"
#include "glyph/page_writer.h"
#include "glyph/render.h"
#include "glyph/work_pool.h"
#include "test_support.h"

namespace glyph {
namespace {

using nlohmann::json;
using test::read_file;
using test::repo_path;
using test::run_glyph;
using test::shell_quote;
using test::TempDir;
using test::write_file;

const Tokenizer& tokenizer() {
    static const Tokenizer t = Tokenizer::load(default_tokenizer_path());
    return t;
}

const std::string& sample_text() {
    static const std::string text = read_file(repo_path("samples/novel_excerpt.txt"));
    return text;
}

const RenderResult& sample_render() {
    static const RenderResult r = render_text(sample_text(), preset("en"));
    return r;
}

int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

TEST(Accounting, CountsEveryPageSpanAndTheWholeText) {
    const RenderResult& r = sample_render();
    ASSERT_GT(r.pages.size(), 1u);
    const CompressionStats s = account(sample_text(), r, tokenizer(), find_profile("glyph"));
    EXPECT_EQ(s.text.bytes, sample_text().size());
    EXPECT_EQ(s.text.tokens, int64_t(tokenizer().count(sample_text())));
    ASSERT_EQ(s.text.page_tokens.size(), r.pages.size());
    ASSERT_EQ(s.vision.pages.size(), r.pages.size());
    int64_t vision = 0;
    for (size_t i = 0; i < r.pages.size(); ++i) {
        const Page& p = r.pages[i];
        const std::string_view span = std::string_view(sample_text()).substr(p.text_begin, p.text_end - p.text_begin);
        EXPECT_EQ(s.text.page_tokens[i], int64_t(tokenizer().count(span))) << "page " << p.number;
        EXPECT_EQ(s.vision.pages[i].total(), find_profile("glm-4.1v").per_image_total(p.image.width, p.image.height));
        EXPECT_EQ(s.vision.pages[i].wrapper, 2);
        vision += s.vision.pages[i].total();
    }
    EXPECT_EQ(s.vision.tokens, vision);
    EXPECT_EQ(s.vision.profile, "glm-4.1v");
    EXPECT_DOUBLE_EQ(s.ratio(), double(s.text.tokens) / double(vision));
    // Glyph's en page (595x842 at 72 dpi, 9 pt) holds several text tokens per vision token.
    EXPECT_GT(s.ratio(), 2.0);
    EXPECT_LT(s.ratio(), 6.0);
}

// Pages are counted in runs that share a word cache, split by the pool's
// threads, with or without the whole text's count given: always the counts
// of each span alone.
TEST(Accounting, CountsAreTheSameOnAnyNumberOfThreads) {
    const RenderResult& r = sample_render();
    const std::vector<PageExtent> pages = page_extents(r);
    const TextCount alone = count_text(sample_text(), pages, tokenizer());
    for (int threads : {1, 2, 3, 8}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        glyph::WorkPool pool(threads);
        for (const std::optional<int64_t> given : {std::optional<int64_t>(), std::optional<int64_t>(alone.tokens)}) {
            const TextCount c = count_text(sample_text(), pages, tokenizer(), &pool, given);
            EXPECT_EQ(c.tokens, alone.tokens);
            EXPECT_EQ(c.page_tokens, alone.page_tokens);
        }
        const TextCount few = count_text(sample_text(), {pages.front()}, tokenizer(), &pool);
        ASSERT_EQ(few.page_tokens.size(), 1u);
        EXPECT_EQ(few.page_tokens[0], alone.page_tokens[0]);
        EXPECT_EQ(count_text(sample_text(), {}, tokenizer(), &pool).tokens, alone.tokens);
    }
}

TEST(Accounting, ManifestGainsPerPageAndTotalCounts) {
    TempDir dir;
    const RenderConfig cfg = preset("en");
    json manifest = write_pages(sample_render(), cfg, sample_text(), dir.file("pages"));
    // The manifest on disk gives the same page geometry as the in-memory result.
    const json on_disk = json::parse(read_file(dir.file("pages/manifest.json")));
    const auto from_disk = page_extents(on_disk), from_memory = page_extents(sample_render());
    ASSERT_EQ(from_disk.size(), from_memory.size());
    for (size_t i = 0; i < from_disk.size(); ++i) {
        EXPECT_EQ(from_disk[i].width, from_memory[i].width);
        EXPECT_EQ(from_disk[i].height, from_memory[i].height);
        EXPECT_EQ(from_disk[i].text_begin, from_memory[i].text_begin);
        EXPECT_EQ(from_disk[i].text_end, from_memory[i].text_end);
    }
    const CompressionStats s = account(sample_text(), sample_render(), tokenizer(), find_profile("qwen3-vl"));
    add_to_manifest(manifest, s, "models/tokenizer.json");
    int64_t text = 0, vision = 0;
    for (const json& p : manifest["pages"]) {
        text += p["text_tokens"].get<int64_t>();
        vision += p["vision_tokens"].get<int64_t>();
    }
    EXPECT_EQ(vision, manifest["accounting"]["vision_tokens"].get<int64_t>());
    EXPECT_EQ(manifest["accounting"]["profile"], "qwen3-vl");
    EXPECT_EQ(manifest["accounting"]["text_tokens"].get<int64_t>(), s.text.tokens);
    // Page spans leave out the breaks between pages, and tokens merge across
    // them, so the page sum is close to, not equal to, the whole-text count.
    EXPECT_NEAR(double(text), double(s.text.tokens), 0.02 * double(s.text.tokens));
    EXPECT_NE(ratio_line(s).find("qwen3-vl"), std::string::npos);
}

TEST(Accounting, BadPagesGiveOneLineErrors) {
    json manifest = {{"pages", json::array({{{"file", "page_001.png"}, {"width", 0}, {"height", 842},
                                              {"text_begin", 0}, {"text_end", 10}}})}};
    const auto pages = page_extents(manifest);
    try {
        count_vision(pages, find_profile("glm-4.1v"));
        FAIL() << "zero-width page accepted";
    } catch (const VisionTokenError& e) {
        EXPECT_NE(std::string(e.what()).find("page 1"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("0x842"), std::string::npos);
    }
    EXPECT_THROW(count_text("short", pages, tokenizer()), InputError);  // span beyond the text
    EXPECT_THROW(page_extents(json{{"pages", json::array({{{"width", 5}}})}}), InputError);
    EXPECT_THROW(page_extents(json::object()), InputError);
}

TEST(Accounting, GroupsThousands) {
    EXPECT_EQ(group_thousands(0), "0");
    EXPECT_EQ(group_thousands(999), "999");
    EXPECT_EQ(group_thousands(1000), "1,000");
    EXPECT_EQ(group_thousands(1234567), "1,234,567");
}

TEST(StatsCommand, TextFileJsonMatchesTheLibrary) {
    const auto res = run_glyph("stats " + shell_quote(repo_path("samples/novel_excerpt.txt")) +
                               " --preset en --profile glyph --profile qwen3-vl --json");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const json out = json::parse(res.out);
    const CompressionStats glm = account(sample_text(), sample_render(), tokenizer(), find_profile("glm-4.1v"));
    EXPECT_EQ(out["text_tokens"].get<int64_t>(), glm.text.tokens);
    EXPECT_EQ(out["page_count"].get<size_t>(), sample_render().pages.size());
    ASSERT_EQ(out["profiles"].size(), 2u);
    EXPECT_EQ(out["profiles"][0]["profile"], "glm-4.1v");
    EXPECT_EQ(out["profiles"][0]["vision_tokens"].get<int64_t>(), glm.vision.tokens);
    EXPECT_DOUBLE_EQ(out["profiles"][0]["compression_ratio"].get<double>(), glm.ratio());
    EXPECT_EQ(out["profiles"][1]["profile"], "qwen3-vl");
    EXPECT_EQ(out["pages"][0]["vision_tokens"]["glm-4.1v"].get<int64_t>(), glm.vision.pages[0].total());
}

TEST(StatsCommand, TableAndHigherDpiCostsMoreVisionTokens) {
    const std::string input = shell_quote(repo_path("samples/novel_excerpt.txt"));
    const auto at72 = run_glyph("stats " + input + " --preset en --json");
    const auto at96 = run_glyph("stats " + input + " --preset en --dpi 96 --json");
    ASSERT_EQ(at72.exit_code, 0) << at72.err;
    ASSERT_EQ(at96.exit_code, 0) << at96.err;
    const double r72 = json::parse(at72.out)["profiles"][0]["compression_ratio"].get<double>();
    const double r96 = json::parse(at96.out)["profiles"][0]["compression_ratio"].get<double>();
    EXPECT_GT(r72, r96 * 1.4);  // (96/72)^2 = 1.78x the pixels per page
    const auto table = run_glyph("stats - --profile gemini", &sample_text());
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("stdin:"), std::string::npos);
    EXPECT_NE(table.out.find("gemini"), std::string::npos);
    EXPECT_NE(table.out.find("ratio"), std::string::npos);
}

TEST(StatsCommand, ListsProfilesWithSources) {
    const auto res = run_glyph("stats --list-profiles");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_NE(res.out.find("glm-4.1v"), std::string::npos);
    EXPECT_NE(res.out.find("glyph"), std::string::npos);
    EXPECT_NE(res.out.find("source: "), std::string::npos);
    const auto js = run_glyph("stats --list-profiles --json");
    ASSERT_EQ(js.exit_code, 0) << js.err;
    const json list = json::parse(js.out);
    EXPECT_EQ(list.size(), vision_profiles().size());
    EXPECT_EQ(list[0]["a4_72dpi_tokens"].get<int64_t>(), 632);
}

TEST(StatsCommand, UnknownProfileIsOneLine) {
    const auto res = run_glyph("stats " + shell_quote(repo_path("samples/novel_excerpt.txt")) + " --profile gpt-9");
    EXPECT_NE(res.exit_code, 0);
    EXPECT_EQ(count_lines(res.err), 1) << res.err;
    EXPECT_NE(res.err.find("unknown vision-token profile \"gpt-9\""), std::string::npos) << res.err;
    EXPECT_NE(res.err.find("qwen2.5-vl"), std::string::npos);
}

TEST(StatsCommand, RenderedFolder) {
    TempDir dir;
    const std::string input = shell_quote(repo_path("samples/novel_excerpt.txt"));
    const std::string out = shell_quote(dir.file("pages"));
    const auto render = run_glyph("render " + input + " --preset en --out " + out + " --profile qwen2.5-vl");
    ASSERT_EQ(render.exit_code, 0) << render.err;
    EXPECT_NE(render.out.find("compression "), std::string::npos) << render.out;
    EXPECT_NE(render.out.find("qwen2.5-vl"), std::string::npos) << render.out;
    const json manifest = json::parse(read_file(dir.file("pages/manifest.json")));
    ASSERT_TRUE(manifest.contains("accounting"));
    EXPECT_EQ(manifest["accounting"]["profile"], "qwen2.5-vl");
    EXPECT_TRUE(manifest["pages"][0].contains("text_tokens"));

    // The folder alone (counts recorded by render) and the folder with its source agree with the text.
    const auto direct = json::parse(run_glyph("stats " + input + " --preset en --json").out);
    const auto recorded = run_glyph("stats " + out + " --json");
    ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
    const auto with_source = run_glyph("stats " + out + " --source " + input + " --json");
    ASSERT_EQ(with_source.exit_code, 0) << with_source.err;
    for (const json& j : {json::parse(recorded.out), json::parse(with_source.out)}) {
        EXPECT_EQ(j["text_tokens"], direct["text_tokens"]);
        EXPECT_EQ(j["profiles"][0]["vision_tokens"], direct["profiles"][0]["vision_tokens"]);
    }

    // A source that is not the rendered text is refused.
    write_file(dir.file("other.txt"), "something else");
    const auto wrong = run_glyph("stats " + out + " --source " + shell_quote(dir.file("other.txt")));
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_EQ(count_lines(wrong.err), 1) << wrong.err;
}

TEST(StatsCommand, ZeroSizePageInManifestIsOneLine) {
    TempDir dir;
    std::filesystem::create_directory(dir.file("pages"));
    write_file(dir.file("pages/manifest.json"),
               R"({"pages":[{"file":"page_001.png","width":595,"height":0,"text_begin":0,"text_end":4}],)"
               R"("source_bytes":4,"accounting":{"text_tokens":1}})");
    const auto res = run_glyph("stats " + shell_quote(dir.file("pages")));
    EXPECT_NE(res.exit_code, 0);
    EXPECT_EQ(count_lines(res.err), 1) << res.err;
    EXPECT_NE(res.err.find("595x0"), std::string::npos) << res.err;
    const auto no_manifest = run_glyph("stats " + shell_quote(dir.path));
    EXPECT_NE(no_manifest.exit_code, 0);
    EXPECT_NE(no_manifest.err.find("manifest.json"), std::string::npos);
}

TEST(StatsCommand, BatchJsonl) {
    TempDir dir;
    const std::string chapter = sample_text().substr(0, 20000);
    json a = {{"unique_id", "a"}, {"context", chapter}};
    json b = {{"unique_id", "b"}, {"context", chapter}, {"config", {{"dpi", 96}}}};
    write_file(dir.file("items.jsonl"), a.dump() + "\n\n" + b.dump() + "\n");
    const auto res = run_glyph("stats --batch " + shell_quote(dir.file("items.jsonl")) + " --preset en --json");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const json out = json::parse(res.out);
    ASSERT_EQ(out["items"].size(), 2u);
    EXPECT_EQ(out["items"][0]["input"], "a");
    EXPECT_EQ(out["items"][0]["text_tokens"], out["items"][1]["text_tokens"]);
    const int64_t va = out["items"][0]["profiles"][0]["vision_tokens"].get<int64_t>();
    const int64_t vb = out["items"][1]["profiles"][0]["vision_tokens"].get<int64_t>();
    EXPECT_GT(vb, va);  // the 96-dpi item
    EXPECT_EQ(out["total"]["profiles"][0]["vision_tokens"].get<int64_t>(), va + vb);
    EXPECT_EQ(out["total"]["text_tokens"].get<int64_t>(), 2 * out["items"][0]["text_tokens"].get<int64_t>());
    const auto table = run_glyph("stats --batch " + shell_quote(dir.file("items.jsonl")) + " --preset en --profile glyph,gpt-4o");
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_EQ(count_lines(table.out), 4) << table.out;  // header, two items, total
    EXPECT_NE(table.out.find("gpt-4o ratio"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("total (2 items)"), std::string::npos) << table.out;

    write_file(dir.file("bad.jsonl"), "{\"unique_id\": \"x\"}\n");
    const auto bad = run_glyph("stats --batch " + shell_quote(dir.file("bad.jsonl")));
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
    EXPECT_NE(bad.err.find("line 1"), std::string::npos);
}

TEST(RenderCommand, BatchRecordsCountsInEveryItemManifest) {
    TempDir dir;
    const std::string chapter = sample_text().substr(0, 20000);
    write_file(dir.file("items.jsonl"), json({{"unique_id", "a"}, {"context", chapter}}).dump() + "\n" +
                                            json({{"unique_id", "b"}, {"context", chapter}, {"config", {{"dpi", 96}}}}).dump() + "\n");
    const std::string items = shell_quote(dir.file("items.jsonl"));
    const std::string out = dir.file("out");
    const auto render = run_glyph("render --batch " + items + " --preset en --profile qwen3-vl --threads 2 --out " + shell_quote(out));
    ASSERT_EQ(render.exit_code, 0) << render.err;
    EXPECT_NE(render.out.find("compression "), std::string::npos) << render.out;
    EXPECT_NE(render.out.find("qwen3-vl"), std::string::npos) << render.out;

    const auto stats = run_glyph("stats --batch " + items + " --preset en --profile qwen3-vl --json");
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    const json expected = json::parse(stats.out)["items"];
    int64_t text_total = 0, vision_total = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        const json& want = expected[i];
        SCOPED_TRACE(want["input"].get<std::string>());
        const json manifest = json::parse(read_file(out + "/" + want["input"].get<std::string>() + "/manifest.json"));
        ASSERT_TRUE(manifest.contains("accounting"));
        EXPECT_EQ(manifest["accounting"]["profile"], "qwen3-vl");
        EXPECT_EQ(manifest["accounting"]["text_tokens"], want["text_tokens"]);
        EXPECT_EQ(manifest["accounting"]["vision_tokens"], want["profiles"][0]["vision_tokens"]);
        ASSERT_EQ(manifest["pages"].size(), want["pages"].size());
        for (size_t p = 0; p < manifest["pages"].size(); ++p) {
            EXPECT_EQ(manifest["pages"][p]["text_tokens"], want["pages"][p]["text_tokens"]);
            EXPECT_EQ(manifest["pages"][p]["vision_tokens"], want["pages"][p]["vision_tokens"]["qwen3-vl"]);
        }
        text_total += want["text_tokens"].get<int64_t>();
        vision_total += want["profiles"][0]["vision_tokens"].get<int64_t>();
    }
    EXPECT_NE(render.out.find(group_thousands(text_total) + " text tokens -> " + group_thousands(vision_total)),
              std::string::npos) << render.out;

    // A resumed run renders nothing, so it reports no ratio; the recorded folders still read back.
    const auto again = run_glyph("render --batch " + items + " --preset en --profile qwen3-vl --out " + shell_quote(out));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out.find("compression "), std::string::npos) << again.out;
    const auto folder = run_glyph("stats " + shell_quote(out + "/a") + " --profile qwen3-vl --json");
    ASSERT_EQ(folder.exit_code, 0) << folder.err;
    EXPECT_EQ(json::parse(folder.out)["text_tokens"], expected[0]["text_tokens"]);
    const auto folder_table = run_glyph("stats " + shell_quote(out + "/b") + " --profile qwen3-vl");
    ASSERT_EQ(folder_table.exit_code, 0) << folder_table.err;
    EXPECT_NE(folder_table.out.find("rendered at 96"), std::string::npos) << folder_table.out;
    EXPECT_NE(folder_table.out.find(group_thousands(expected[1]["text_tokens"].get<int64_t>()) + " text tokens"),
              std::string::npos) << folder_table.out;
}

// Bad tokenizer files and profile names fail every command with one line, before any output.
TEST(AccountingCli, BadTokenizerAndProfileAreOneLine) {
    TempDir dir;
    const std::string input = shell_quote(repo_path("samples/novel_excerpt.txt"));
    write_file(dir.file("broken.json"), "{\"model\": {\"type\": \"BPE\", ");
    write_file(dir.file("unigram.json"), R"({"model": {"type": "Unigram", "vocab": []}})");
    const std::string broken = shell_quote(dir.file("broken.json"));
    const std::string unigram = shell_quote(dir.file("unigram.json"));
    struct Case {
        std::string args, message;
    };
    const std::vector<Case> cases = {
        {"tokenize " + input + " --tokenizer " + broken, "is not valid JSON"},
        {"stats " + input + " --tokenizer " + broken, "is not valid JSON"},
        {"stats " + input + " --tokenizer " + unigram, "model type Unigram is not supported"},
        {"render " + input + " --preset en --tokenizer " + unigram + " --out " + shell_quote(dir.file("r1")),
         "model type Unigram is not supported"},
        {"render " + input + " --preset en --profile gpt-9 --out " + shell_quote(dir.file("r2")),
         "unknown vision-token profile \"gpt-9\""},
        {"stats --batch " + input + " --profile nope", "unknown vision-token profile \"nope\""},
    };
    for (const Case& c : cases) {
        const auto res = run_glyph(c.args);
        EXPECT_NE(res.exit_code, 0) << c.args;
        EXPECT_EQ(count_lines(res.err), 1) << c.args << "\n" << res.err;
        EXPECT_NE(res.err.find(c.message), std::string::npos) << c.args << "\n" << res.err;
        EXPECT_EQ(res.out, "") << c.args;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.file("r2"))) << "an unknown profile fails before any work";
}

}  // namespace
}  // namespace glyph
