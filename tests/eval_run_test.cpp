// glyph eval run / report end to end against the OCR test server over
// loopback (generated RULER needles found from the rendered pages, a sample
// file of each published format, kill -9 and resume, an unreliable
// endpoint, permanent failures, the context limit, refused reruns), and the
// protocol's pure parts (prompts, sampling, reply cleanup).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "glyph/eval_run.h"
#include "test_support.h"

namespace {

using glyph::test::Child;
using glyph::test::OcrTestServer;
using glyph::test::read_jsonl;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using nlohmann::json;
namespace eval = glyph::eval;

std::string data_file(const std::string& name) { return std::string(GLYPH_TEST_DATA) + "/eval/" + name; }

std::string generate(const glyph::test::TempDir& tmp, const std::string& task, int length, int samples, int seed) {
    const std::string out = tmp.file(task + "_" + std::to_string(length) + ".jsonl");
    const auto r = run_glyph("eval generate --task " + task + " --length " + std::to_string(length) + " --samples " +
                             std::to_string(samples) + " --seed " + std::to_string(seed) + " --out " + shell_quote(out));
    if (r.exit_code != 0) throw std::runtime_error("eval generate failed: " + r.err);
    return out;
}

std::string run_args(const std::string& bench, const std::string& data, const std::string& endpoint,
                     const std::string& out, const std::string& extra = "") {
    return "eval run --bench " + bench + " --data " + shell_quote(data) + " --endpoint " + shell_quote(endpoint) +
           " --out " + shell_quote(out) + " " + extra;
}

json report_of(const std::string& dir) {
    const auto r = run_glyph("eval report --json " + shell_quote(dir));
    if (r.exit_code != 0) throw std::runtime_error("eval report failed: " + r.err);
    return json::parse(r.out)["runs"][0];
}

class EvalRun : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new OcrTestServer(); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static std::string endpoint() { return server_->endpoint(); }
    glyph::test::TempDir tmp_;

private:
    static OcrTestServer* server_;
};
OcrTestServer* EvalRun::server_ = nullptr;

TEST_F(EvalRun, GeneratedNeedlesAreFoundFromThePagesAndScoredOfficially) {
    const std::string data = generate(tmp_, "niah_single_1", 4000, 3, 11);
    const std::string out = tmp_.file("run");
    const auto r = run_glyph(run_args("ruler", data, endpoint(), out, "--dpi 96 --concurrency 2"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("niah_single_1"), std::string::npos) << r.out;

    const auto rows = read_jsonl(out + "/predictions.jsonl");
    ASSERT_EQ(rows.size(), 3u);
    for (const json& row : rows) {
        EXPECT_EQ(row["send"], "pages");
        EXPECT_EQ(row["group"], "niah_single_1");
        EXPECT_GT(row["pages"].get<int>(), 0);
        EXPECT_GT(row["vision_tokens"].get<int>(), 0);
        EXPECT_GT(row["context_tokens"].get<int>(), 3000);
        EXPECT_LT(row["text_tokens"].get<int>(), 200) << "the question alone goes as text";
        EXPECT_GT(row["prompt_tokens"].get<int>(), 0);
        EXPECT_EQ(row["attempts"], 1);
    }
    const json rep = report_of(out);
    EXPECT_EQ(rep["scores"]["niah_single_1"], 100.0) << rep.dump();
    EXPECT_GT(rep["compression"].get<double>(), 1.0);

    // The predictions file is a plain predictions file for eval score too.
    const auto s = run_glyph("eval score --bench ruler --json --data " + shell_quote(data) + " --pred " +
                             shell_quote(out + "/predictions.jsonl"));
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(json::parse(s.out)["scores"]["niah_single_1"], 100.0);

    const json run = json::parse(glyph::test::read_file(out + "/run.json"));
    EXPECT_EQ(run["bench"], "ruler");
    EXPECT_EQ(run["sampling"]["temperature"], 0.0);
    EXPECT_EQ(run["sampling"]["top_k"], 50);
    EXPECT_EQ(run["sampling"]["max_tokens"], 8192);
    EXPECT_FALSE(run["data"].begin().value()["sha256"].get<std::string>().empty());
    ASSERT_EQ(run["configs"].size(), 1u);
    const json config = run["configs"].begin().value();
    EXPECT_EQ(config["dpi"], 96);
    EXPECT_EQ(config["paragraph-lines"], 0);
    EXPECT_EQ(config["tab-spaces"], 4);

    // A rerun has nothing left to ask; one with another config is refused.
    const auto again = run_glyph(run_args("ruler", data, endpoint(), out, "--dpi 96"));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("3 items already answered"), std::string::npos) << again.err;
    EXPECT_EQ(read_jsonl(out + "/predictions.jsonl").size(), 3u);
    const auto other = run_glyph(run_args("ruler", data, endpoint(), out, "--dpi 72"));
    EXPECT_EQ(other.exit_code, 2);
    EXPECT_NE(other.err.find("another config"), std::string::npos) << other.err;
    const auto other_model = run_glyph(run_args("ruler", data, endpoint(), out, "--dpi 96 --model other"));
    EXPECT_EQ(other_model.exit_code, 2);
    EXPECT_NE(other_model.err.find("\"model\""), std::string::npos) << other_model.err;
}

TEST_F(EvalRun, NeedleAt32KTokens) {
    // CI's long item; 128K and 512K are documented runs (docs/eval.md).
    const char* env = std::getenv("GLYPH_EVAL_E2E_TOKENS");
    const int length = env ? std::atoi(env) : 32768;
    const std::string data = generate(tmp_, "niah_single_2", length, 1, 3);
    const std::string out = tmp_.file("run32k");
    const auto r = run_glyph(run_args("ruler", data, endpoint(), out, "--dpi 96 --timeout 3600"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json rep = report_of(out);
    EXPECT_EQ(rep["scores"]["niah_single_2"], 100.0) << rep.dump();
    EXPECT_GT(rep["mean_text_tokens"].get<double>(), 0.95 * length);
}

TEST_F(EvalRun, KilledHalfwayResumesWithNothingRedoneOrLost) {
    const std::string data = generate(tmp_, "niah_single_1", 1500, 6, 5);
    const std::string out = tmp_.file("killed");
    const std::vector<std::string> argv = {GLYPH_CLI, "eval",   "run",     "--bench", "ruler", "--data", data,
                                           "--endpoint", endpoint(), "--out", out, "--model", "test-fault/slow:1",
                                           "--concurrency", "1"};
    {
        Child first(argv);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (read_jsonl(out + "/predictions.jsonl").size() < 2 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ::kill(first.pid(), SIGKILL);
        first.wait(10);
    }
    const size_t before = read_jsonl(out + "/predictions.jsonl").size();
    ASSERT_GE(before, 2u);
    ASSERT_LT(before, 6u);
    // A row torn by the kill, as a crash mid-write leaves it.
    {
        std::ofstream torn(out + "/predictions.jsonl", std::ios::app);
        torn << "{\"data\": \"x\", \"index\": \"9";
    }
    std::string args;
    for (size_t i = 1; i < argv.size(); ++i) args += shell_quote(argv[i]) + " ";
    const auto r = run_glyph(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(std::to_string(before) + " items already answered"), std::string::npos) << r.err;
    const auto rows = read_jsonl(out + "/predictions.jsonl");
    std::set<std::string> ids;
    for (const json& row : rows) ids.insert(row["index"].dump());
    EXPECT_EQ(rows.size(), 6u);
    EXPECT_EQ(ids.size(), 6u);
    EXPECT_EQ(report_of(out)["scores"]["niah_single_1"], 100.0);
}

TEST_F(EvalRun, AnEndpointFailingOneRequestInFiveStillFinishes) {
    const std::string data = generate(tmp_, "niah_single_1", 1200, 10, 9);
    const std::string out = tmp_.file("flaky");
    const auto r = run_glyph(run_args("ruler", data, endpoint(), out, "--model test-fault/status:503%20 --retries 4"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_jsonl(out + "/predictions.jsonl");
    ASSERT_EQ(rows.size(), 10u);
    int retried = 0;
    for (const json& row : rows) retried += row["attempts"].get<int>() > 1;
    EXPECT_GE(retried, 1);
    EXPECT_FALSE(std::ifstream(out + "/failures.jsonl").good());
}

TEST_F(EvalRun, PermanentFailuresAreListedNotScored) {
    const std::string data = generate(tmp_, "niah_single_1", 1200, 3, 1);
    const std::string out = tmp_.file("refused");
    const auto r = run_glyph(run_args("ruler", data, endpoint(), out, "--model test-fault/status:400"));
    EXPECT_EQ(r.exit_code, 11) << r.err;
    EXPECT_NE(r.err.find("3 items failed"), std::string::npos) << r.err;
    const auto failures = read_jsonl(out + "/failures.jsonl");
    ASSERT_EQ(failures.size(), 3u);
    for (const json& f : failures) {
        EXPECT_EQ(f["stage"], "request");
        EXPECT_NE(f["error"].get<std::string>().find("400"), std::string::npos) << f.dump();
        EXPECT_EQ(f["line"].get<int>() >= 1, true);
    }
    const json rep = report_of(out);
    EXPECT_EQ(rep["failures"], 3);
    EXPECT_EQ(rep["predictions"], 0);
}

TEST_F(EvalRun, ItemsOverTheContextLimitAreListedAndNotSent) {
    const std::string data = generate(tmp_, "niah_single_1", 3000, 2, 1);
    const std::string out = tmp_.file("limit");
    const auto r = run_glyph(run_args("ruler", data, endpoint(), out, "--max-context 300 --max-tokens 64"));
    EXPECT_EQ(r.exit_code, 11) << r.err;
    const auto failures = read_jsonl(out + "/failures.jsonl");
    ASSERT_EQ(failures.size(), 2u);
    EXPECT_EQ(failures[0]["stage"], "context");
    EXPECT_NE(failures[0]["error"].get<std::string>().find("--max-context 300"), std::string::npos);
    EXPECT_EQ(report_of(out)["too_long"], 2);
}

TEST_F(EvalRun, EachPublishedFormatRunsEndToEnd) {
    const std::string lb = tmp_.file("lb"), lb_text = tmp_.file("lb_text"), mrcr = tmp_.file("mrcr"),
                      ruler = tmp_.file("ruler");
    auto r = run_glyph(run_args("longbench", data_file("longbench_sample.jsonl"), endpoint(), lb,
                                "--dpi 96 --prompts " + shell_quote(data_file("longbench_vlm_prompts.json"))));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json rep = report_of(lb);
    EXPECT_EQ(rep["scores"].size(), 4u) << rep.dump();  // qasper, trec, multifieldqa_zh, average
    EXPECT_GT(rep["scores"]["qasper"].get<double>(), 0.0) << "the needle answer overlaps the gold answer";
    // Chinese context: zh preset, qasper and trec: the newline marker (Glyph's list).
    const json run = json::parse(glyph::test::read_file(lb + "/run.json"));
    std::set<std::string> markups, fonts;
    for (const auto& [hash, config] : run["configs"].items()) {
        markups.insert(config["newline-markup"].get<std::string>());
        fonts.insert(config["font-path"].get<std::string>());
    }
    EXPECT_EQ(markups.count(eval::kGlyphNewlineMarker), 1u);
    EXPECT_EQ(markups.count("<br/>"), 1u);
    EXPECT_EQ(fonts.size(), 2u);

    r = run_glyph(run_args("longbench", data_file("longbench_sample.jsonl"), endpoint(), lb_text,
                           "--send text --prompts " + shell_quote(data_file("longbench_text_prompts.json"))));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const json& row : read_jsonl(lb_text + "/predictions.jsonl")) {
        EXPECT_EQ(row["send"], "text");
        EXPECT_FALSE(row.contains("vision_tokens"));
    }

    r = run_glyph(run_args("mrcr", data_file("mrcr_sample.jsonl"), endpoint(), mrcr));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_jsonl(mrcr + "/predictions.jsonl").size(), 2u);
    EXPECT_TRUE(report_of(mrcr)["scores"].contains("mrcr"));

    r = run_glyph(run_args("ruler", data_file("ruler_sample.jsonl"), endpoint(), ruler, "--dpi 96"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(report_of(ruler)["scores"]["ruler_sample"], 100.0);

    // Side by side: pages next to text, as a table, JSON and a chart.
    const std::string svg = tmp_.file("chart.svg");
    const auto both = run_glyph("eval report " + shell_quote(lb) + " " + shell_quote(lb_text) + " --svg " + shell_quote(svg));
    ASSERT_EQ(both.exit_code, 0) << both.err;
    EXPECT_NE(both.out.find("| qasper |"), std::string::npos) << both.out;
    EXPECT_NE(both.out.find("compression"), std::string::npos);
    const std::string chart = glyph::test::read_file(svg);
    EXPECT_EQ(chart.rfind("<svg", 0), 0u);
    size_t lines = 0;
    for (size_t at = 0; (at = chart.find("<polyline", at)) != std::string::npos; ++at) ++lines;
    EXPECT_EQ(lines, 2u);
}

TEST_F(EvalRun, UsageErrorsAreOneLine) {
    auto r = run_glyph(run_args("longbench", data_file("longbench_sample.jsonl"), endpoint(), tmp_.file("x")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--prompts is required"), std::string::npos) << r.err;
    r = run_glyph(run_args("ruler", tmp_.file("missing.jsonl"), endpoint(), tmp_.file("x")));
    EXPECT_EQ(r.exit_code, 2);
    r = run_glyph(run_args("ruler", data_file("ruler_sample.jsonl"), "ftp://nowhere", tmp_.file("x")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    // Nothing listens on port 1: the run stops at once with the endpoint's exit code.
    r = run_glyph(run_args("ruler", data_file("ruler_sample.jsonl"), "http://127.0.0.1:1/v1", tmp_.file("y"),
                           "--retries 0"));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("nothing was answered"), std::string::npos) << r.err;
}

// ---- the protocol's pure parts ------------------------------------------------

TEST(EvalProtocol, RepliesAreCleanedAsDeclared) {
    const std::string reply = "<think>hmm\nlet me see</think>\n\nNumber\nbecause it asks how many<|user|>";
    EXPECT_EQ(eval::clean_reply(reply, eval::ReplyCleanup::kThink), "Number\nbecause it asks how many");
    EXPECT_EQ(eval::clean_reply(reply, eval::ReplyCleanup::kGlyph), "Number because it asks how many");
    EXPECT_EQ(eval::clean_reply("a <|x|> b\t\u3000c", eval::ReplyCleanup::kGlyph), "a b c");
    EXPECT_EQ(eval::clean_reply("no tags", eval::ReplyCleanup::kThink), "no tags");
    EXPECT_EQ(eval::clean_reply("<think>unclosed", eval::ReplyCleanup::kGlyph), "<think>unclosed");
}

TEST(EvalProtocol, SamplingIsGlyphsPerBenchmark) {
    const auto lb = eval::glyph_sampling(eval::Bench::kLongBench, true);
    EXPECT_EQ(lb.max_tokens, 8192);
    EXPECT_EQ(lb.top_k, 1);
    EXPECT_DOUBLE_EQ(*lb.temperature, 0.0001);
    EXPECT_EQ(lb.stop_token_ids, (std::vector<int>{151329, 151348, 151336}));
    EXPECT_EQ(lb.include_stop_str_in_output, true);
    const auto ruler = eval::glyph_sampling(eval::Bench::kRuler, false);
    EXPECT_EQ(ruler.top_k, 50);
    EXPECT_DOUBLE_EQ(*ruler.temperature, 0.0);
    EXPECT_FALSE(ruler.top_p.has_value());
    EXPECT_TRUE(ruler.stop_token_ids.empty());
    EXPECT_EQ(eval::glyph_sampling(eval::Bench::kMrcr, false).top_k, 50);
    EXPECT_TRUE(eval::is_glm_model("zai-org/Glyph"));
    EXPECT_TRUE(eval::is_glm_model("THUDM/GLM-4.1V-9B-Thinking"));
    EXPECT_FALSE(eval::is_glm_model("Qwen/Qwen2.5-VL-7B"));
}

TEST(EvalProtocol, PromptsFollowGlyphsScripts) {
    eval::LongBenchItem item;
    item.id = "a";
    item.dataset = "qasper_e";
    item.input = "  Why?\n";
    item.context = "\n Body text. \n";
    eval::PromptOptions po;
    po.templates = {{"qasper", "Article is shown in the images.\n\nQuestion: {input}\n\nAnswer: {input}"}};
    auto p = eval::longbench_prompts({item}, "qasper_e.jsonl", po);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].group, "qasper");
    EXPECT_EQ(p[0].context, "Body text.");
    EXPECT_EQ(p[0].question, "Article is shown in the images.\n\nQuestion: Why?\n\nAnswer: Why?");
    EXPECT_TRUE(p[0].newline_marker);
    po.send = eval::SendMode::kText;
    po.templates = {{"qasper", "{context}\n\nQ: {input}"}};
    p = eval::longbench_prompts({item}, "qasper_e.jsonl", po);
    ASSERT_EQ(p[0].text_messages.size(), 1u);
    EXPECT_EQ(p[0].text_messages[0].content[0].value, "Body text.\n\nQ: Why?");
    po.templates.clear();
    EXPECT_THROW(eval::longbench_prompts({item}, "qasper_e.jsonl", po), eval::EvalError);

    eval::MrcrItem m;
    m.id = "0";
    m.messages = {{"user", "write a poem"}, {"assistant", "roses"}, {"user", "Prepend ab to the 1st poem"}};
    const auto mp = eval::mrcr_prompts({m}, "mrcr.jsonl", {});
    EXPECT_EQ(mp[0].context, "User: write a poem\nAssistant: roses");
    EXPECT_EQ(mp[0].question, "\nPrepend ab to the 1st poem");

    eval::RulerItem r;
    r.id = "0";
    r.task = "niah_single_1";
    r.input = "Instruction line.\nhay\nstack\nWhat is it?";
    auto rp = eval::ruler_prompts({r}, "r.jsonl", {});
    EXPECT_EQ(rp[0].context, "hay\nstack");
    EXPECT_EQ(rp[0].question, "Instruction line.\nWhat is it?");
    r.context = "stack";
    rp = eval::ruler_prompts({r}, "r.jsonl", {});
    EXPECT_EQ(rp[0].context, "stack");
    EXPECT_EQ(rp[0].question, "Instruction line.\nhay\nWhat is it?");
}

TEST(EvalProtocol, LongBenchMiddleTruncationKeepsBothEnds) {
    const glyph::Tokenizer tok = glyph::Tokenizer::load(glyph::default_tokenizer_path());
    std::string prompt = "Begin: Café 北京 naïve.";
    for (int i = 0; i < 300; ++i) prompt += " filler word " + std::to_string(i);
    prompt += " End: the question?";
    // Byte-level BPE decodes back to the (NFC) text it encoded.
    EXPECT_EQ(tok.decode(tok.encode(prompt)), prompt);
    EXPECT_EQ(eval::truncate_middle(prompt, tok, 100000), prompt);
    const std::string cut = eval::truncate_middle(prompt, tok, 101);
    const auto ids = tok.encode(prompt);
    const std::vector<uint32_t> head(ids.begin(), ids.begin() + 50), tail(ids.end() - 50, ids.end());
    EXPECT_EQ(cut, tok.decode(head) + tok.decode(tail));
    EXPECT_EQ(cut.rfind("Begin: Café 北京", 0), 0u) << cut;
    EXPECT_NE(cut.find("End: the question?"), std::string::npos);
    EXPECT_LE(tok.count(cut), 102u);
    EXPECT_LT(cut.size(), prompt.size() / 3);
    // Special tokens are skipped unless asked for.
    const auto special = tok.encode("<|im_start|>hi");
    EXPECT_EQ(tok.decode(special), "hi");
    EXPECT_EQ(tok.decode(special, false), "<|im_start|>hi");
}

}  // namespace
