// The search's LLM advisor: reply parsing (lenient, bounded, bad proposals
// counted), the prompt and its table, and the round trip against the
// scripted advisor server on loopback: timeouts, HTTP errors, an
// unreachable endpoint, recording and exact replay.
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "glyph/config.h"
#include "glyph/render.h"
#include "glyph/search_advisor.h"
#include "test_support.h"

namespace glyph::search {
namespace {

using nlohmann::json;
using test::TempDir;

const char* kSpace = R"({"dpi": {"type": "int", "range": [45, 119]}, "font-size": {"choices": [7, 8, 9, 10]},
 "marker": "SPACE-MARKER-7f3a"})";

AdvisorRequest sample_request(int generation = 0) {
    AdvisorRequest r;
    r.space_json = kSpace;
    r.constraints = "line-height >= font-size\ntext area at least 200 x 200 pt";
    r.history = {{R"({"dpi": 72, "font-size": 9, "alignment": "LEFT"})", 0.9971, 3.41, true},
                 {R"({"dpi": 60, "font-size": 9, "alignment": "LEFT"})", 0.9902, 4.02, true},
                 {R"({"dpi": 45, "font-size": 7})", 0.81, 6.5, false}};
    r.wanted = 3;
    r.generation = generation;
    r.fitness_rule = "maximize compression subject to CER <= 0.5%";
    return r;
}

const char* kGoodAdvice = R"(Here is my advice.
```json
{"proposals": [
  {"config": {"dpi": 66, "font-size": 9}, "rationale": "between the two best dpi values"},
  {"config": {"dpi": 72, "font-size": 8}, "rationale": "smaller font,\n same dpi"}
]}
```
Good luck.)";

// ---- parsing ------------------------------------------------------------------

TEST(ParseAdvice, ReadsAFencedObjectWithProseAround) {
    const AdvisorReply r = parse_advice(kGoodAdvice);
    EXPECT_FALSE(r.failed) << r.error;
    EXPECT_EQ(r.malformed, 0);
    ASSERT_EQ(r.proposals.size(), 2u);
    EXPECT_EQ(json::parse(r.proposals[0].config_json), json::parse(R"({"dpi": 66, "font-size": 9})"));
    EXPECT_EQ(r.proposals[0].rationale, "between the two best dpi values");
    EXPECT_EQ(r.proposals[1].rationale, "smaller font, same dpi");  // one line
    EXPECT_EQ(r.raw_reply, kGoodAdvice);
}

TEST(ParseAdvice, ReadsABareObjectAndFindsTheObjectAfterThinking) {
    EXPECT_EQ(parse_advice(R"({"proposals": [{"config": {"dpi": 72}}]})").proposals.size(), 1u);
    const AdvisorReply r = parse_advice(
        "<think>maybe {dpi} lower? the set {a, b} is unclear</think>\n"
        R"(The answer: {"proposals": [{"config": {"dpi": 50}, "rationale": "denser"}]} as asked.)");
    EXPECT_FALSE(r.failed) << r.error;
    ASSERT_EQ(r.proposals.size(), 1u);
    EXPECT_EQ(r.proposals[0].config_json, R"({"dpi":50})");
}

TEST(ParseAdvice, PassesOutOfRangeValuesThroughForTheSearchToValidate) {
    const AdvisorReply r = parse_advice(
        R"({"proposals": [{"config": {"dpi": 9000, "font-size": -3, "no-such-key": true}, "rationale": "wild"}]})");
    EXPECT_FALSE(r.failed);
    EXPECT_EQ(r.malformed, 0);
    ASSERT_EQ(r.proposals.size(), 1u);
    EXPECT_EQ(json::parse(r.proposals[0].config_json)["dpi"], 9000);
    EXPECT_EQ(json::parse(r.proposals[0].config_json)["no-such-key"], true);
}

TEST(ParseAdvice, AcceptsAConfigGivenAsAStringOrFlatBesideItsRationale) {
    const AdvisorReply r = parse_advice(
        R"({"proposals": [{"config": "{\"dpi\": 80}", "rationale": "a"}, {"dpi": 81, "rationale": "b"}]})");
    ASSERT_EQ(r.proposals.size(), 2u);
    EXPECT_EQ(r.proposals[0].config_json, R"({"dpi":80})");
    EXPECT_EQ(r.proposals[1].config_json, R"({"dpi":81})");
    EXPECT_EQ(r.proposals[1].rationale, "b");
}

TEST(ParseAdvice, CountsEachBadProposalAndKeepsTheGoodOnes) {
    const AdvisorReply r = parse_advice(
        R"({"proposals": [42, {"config": [1, 2]}, {"config": {}}, {"config": "not json"},
                          {"config": {"dpi": 70}, "rationale": "ok"}, {"rationale": "no config"}]})");
    EXPECT_FALSE(r.failed);
    EXPECT_EQ(r.malformed, 5);
    ASSERT_EQ(r.proposals.size(), 1u);
    EXPECT_EQ(r.proposals[0].rationale, "ok");
}

TEST(ParseAdvice, KeepsEveryProposalInOrderUpToTheBound) {
    // More than asked for: the search takes its share after dropping duplicates.
    const AdvisorReply r = parse_advice(
        R"({"proposals": [{"config": {"dpi": 1}}, {"config": {"dpi": 2}}, {"config": {"dpi": 3}}]})");
    ASSERT_EQ(r.proposals.size(), 3u);
    EXPECT_EQ(r.proposals[1].config_json, R"({"dpi":2})");
    json many = {{"proposals", json::array()}};
    for (int i = 0; i < 1000; ++i) many["proposals"].push_back({{"config", {{"dpi", i}}}});
    EXPECT_EQ(parse_advice(many.dump()).proposals.size(), size_t(kMaxProposals));
}

TEST(ParseAdvice, ReplyWithoutUsableJsonFailsWithOneLine) {
    for (const char* reply : {"I think you should lower the dpi.", "", "   \n",
                              R"({"proposals": [{"config": {"dpi": 66})", R"({"advice": "lower the dpi"})",
                              R"({"proposals": "lower the dpi"})"}) {
        const AdvisorReply r = parse_advice(reply);
        EXPECT_TRUE(r.failed) << reply;
        EXPECT_EQ(r.malformed, 1) << reply;
        EXPECT_TRUE(r.proposals.empty());
        EXPECT_FALSE(r.error.empty());
        EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
    }
}

TEST(ParseAdvice, IsBoundedInSizeAndNesting) {
    std::string deep = R"({"proposals": [{"config": {"a": )";
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    deep += "}}]}";
    const AdvisorReply nested = parse_advice(deep);
    EXPECT_TRUE(nested.failed);
    EXPECT_NE(nested.error.find("deeper"), std::string::npos) << nested.error;

    const std::string huge = R"({"proposals": [{"config": {"a": ")" + std::string(kMaxAdviceBytes, 'x') + R"("}}]})";
    const AdvisorReply big = parse_advice(huge);
    EXPECT_TRUE(big.failed);
    EXPECT_NE(big.error.find("more than"), std::string::npos) << big.error;

    // Thousands of unclosed braces: still answered, with the object after them.
    const AdvisorReply braces = parse_advice(std::string(20000, '{') + R"( {"proposals": []})");
    EXPECT_TRUE(braces.failed);  // the scans are bounded, so the late object is not reached
}

TEST(ParseAdvice, RationaleIsCutToItsBoundWithoutBreakingUtf8) {
    std::string long_reason;
    for (int i = 0; i < 200; ++i) long_reason += "é";
    const AdvisorReply r =
        parse_advice(json({{"proposals", {{{"config", {{"dpi", 72}}}, {"rationale", long_reason}}}}}).dump());
    ASSERT_EQ(r.proposals.size(), 1u);
    EXPECT_LE(r.proposals[0].rationale.size(), kMaxRationaleChars + 3);
    EXPECT_NO_THROW((void)json(r.proposals[0].rationale).dump());  // still valid UTF-8
}

// ---- the prompt -----------------------------------------------------------------

TEST(AdvisorPrompt, HistoryTableShowsTheBestInFullAndTheOthersAsDifferences) {
    const std::string table = history_table(sample_request().history);
    EXPECT_NE(table.find(R"(#1 score=0.9971 compression=3.41 feasible {"alignment":"LEFT","dpi":72,"font-size":9})"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("#2 score=0.9902 compression=4.02 feasible dpi=60\n"), std::string::npos) << table;
    EXPECT_NE(table.find("#3 score=0.81 compression=6.5 infeasible dpi=45 font-size=7 alignment=(default)\n"),
              std::string::npos)
        << table;
    EXPECT_EQ(history_table({}), "(nothing scored yet)");
}

TEST(AdvisorPrompt, BundledPromptHoldsEveryPartOfTheRequest) {
    const std::string path = default_advisor_prompt_path();
    const std::string text = test::read_file(path);
    EXPECT_NO_THROW(check_prompt_template(text, path));
    const std::string prompt = fill_prompt(text, sample_request(4));
    for (const std::string& part : {std::string("SPACE-MARKER-7f3a"), std::string("line-height >= font-size"),
                                    std::string("#2 score=0.9902"), std::string("Propose 3 new"),
                                    std::string("generation 4, 3 rows"),
                                    std::string("maximize compression subject to CER <= 0.5%")})
        EXPECT_NE(prompt.find(part), std::string::npos) << part;
    EXPECT_EQ(prompt.find("{{"), std::string::npos);
}

TEST(AdvisorPrompt, RejectsUnknownAndMissingPlaceholders) {
    EXPECT_THROW(check_prompt_template("{{history}} {{wanted}} {{histroy}}", "p"), ConfigError);
    EXPECT_THROW(check_prompt_template("{{space}} {{wanted}}", "p"), ConfigError);
    EXPECT_NO_THROW(check_prompt_template("{{history}} {{wanted}} and {{ not a placeholder }}", "p"));
    // Substituted text is not scanned again.
    AdvisorRequest r = sample_request();
    r.fitness_rule = "{{wanted}}";
    EXPECT_EQ(fill_prompt("{{fitness_rule}}/{{wanted}}", r), "{{wanted}}/3");
}

// ---- against the scripted advisor ---------------------------------------------

struct ScriptedAdvisor {
    TempDir dir;
    std::unique_ptr<test::AdvisorTestServer> server;
    explicit ScriptedAdvisor(const json& script) {
        test::write_file(dir.file("script.json"), script.dump());
        server = std::make_unique<test::AdvisorTestServer>(dir.file("script.json"),
                                                           std::vector<std::string>{"--log-requests", requests_path()});
    }
    std::string requests_path() const { return dir.file("requests.jsonl"); }
    std::vector<json> requests() const {
        std::vector<json> out;
        std::ifstream in(requests_path());
        for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
        return out;
    }
    AdvisorOptions options(const std::string& record_dir = "") const {
        AdvisorOptions o;
        o.url = server->endpoint();
        o.model = "advisor-test";
        o.timeout_s = 5;
        o.retries = 0;
        o.record_dir = record_dir;
        return o;
    }
};

void expect_same(const AdvisorReply& a, const AdvisorReply& b) {
    EXPECT_EQ(a.failed, b.failed);
    EXPECT_EQ(a.error, b.error);
    EXPECT_EQ(a.malformed, b.malformed);
    EXPECT_EQ(a.raw_reply, b.raw_reply);
    ASSERT_EQ(a.proposals.size(), b.proposals.size());
    for (size_t i = 0; i < a.proposals.size(); ++i) {
        EXPECT_EQ(a.proposals[i].config_json, b.proposals[i].config_json);
        EXPECT_EQ(a.proposals[i].rationale, b.proposals[i].rationale);
    }
}

TEST(Advisor, ServesEachScriptedReplyAndNeverThrows) {
    ScriptedAdvisor s(json::array({kGoodAdvice,
                                   {{"reply", {{"proposals", {{{"config", {{"dpi", 9000}}}, {"rationale", "huge"}}}}}}},
                                   R"({"proposals": [{"config": {"dpi": 66}, "rationale": "cut off")",
                                   {{"body", "<html><body>502 Bad Gateway</body></html>"}},
                                   {{"status", 500}, {"message", "scripted overload"}},
                                   {{"stall_s", 3}}}));
    AdvisorOptions o = s.options();
    o.timeout_s = 1;
    Advisor advisor(o);

    AdvisorReply good = advisor.advise(sample_request(0));
    EXPECT_FALSE(good.failed) << good.error;
    ASSERT_EQ(good.proposals.size(), 2u);
    EXPECT_EQ(good.proposals[0].rationale, "between the two best dpi values");

    AdvisorReply wild = advisor.advise(sample_request(1));
    ASSERT_EQ(wild.proposals.size(), 1u);
    EXPECT_EQ(wild.proposals[0].config_json, R"({"dpi":9000})");

    AdvisorReply cut = advisor.advise(sample_request(2));
    EXPECT_TRUE(cut.failed);
    EXPECT_EQ(cut.malformed, 1);

    AdvisorReply html = advisor.advise(sample_request(3));
    EXPECT_TRUE(html.failed);
    EXPECT_EQ(html.malformed, 0);  // no reply came back to count
    EXPECT_FALSE(html.error.empty());

    AdvisorReply overload = advisor.advise(sample_request(4));
    EXPECT_TRUE(overload.failed);
    EXPECT_NE(overload.error.find("HTTP 500"), std::string::npos) << overload.error;
    EXPECT_NE(overload.error.find("scripted overload"), std::string::npos) << overload.error;

    AdvisorReply stalled = advisor.advise(sample_request(5));
    EXPECT_TRUE(stalled.failed);
    EXPECT_NE(stalled.error.find("read timeout"), std::string::npos) << stalled.error;

    AdvisorReply spent = advisor.advise(sample_request(6));
    EXPECT_TRUE(spent.failed);
    EXPECT_NE(spent.error.find("HTTP 410"), std::string::npos) << spent.error;
    for (const AdvisorReply* r : {&cut, &html, &overload, &stalled, &spent})
        EXPECT_EQ(r->error.find('\n'), std::string::npos) << r->error;
}

TEST(Advisor, RequestCarriesTheSpaceTheTableAndTheWantedCount) {
    ScriptedAdvisor s(json::array({kGoodAdvice}));
    Advisor advisor(s.options());
    const AdvisorRequest request = sample_request(2);
    advisor.advise(request);
    const auto requests = s.requests();
    ASSERT_EQ(requests.size(), 1u);
    const json& body = requests[0];
    EXPECT_EQ(body["model"], "advisor-test");
    EXPECT_FALSE(body.value("stream", false));
    ASSERT_EQ(body["messages"].size(), 1u);
    const std::string text = body["messages"][0]["content"];
    EXPECT_EQ(text, advisor.prompt_for(request));
    EXPECT_NE(text.find("SPACE-MARKER-7f3a"), std::string::npos);
    EXPECT_NE(text.find(history_table(request.history)), std::string::npos);
    EXPECT_NE(text.find("Propose 3 new"), std::string::npos);
}

TEST(Advisor, UnreachableEndpointFails) {
    // A port that was free a moment ago: nothing listens there.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    AdvisorOptions o;
    o.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1";
    o.model = "m";
    o.timeout_s = 2;
    o.retries = 0;
    Advisor advisor(o);
    const AdvisorReply r = advisor.advise(sample_request());
    EXPECT_TRUE(r.failed);
    EXPECT_NE(r.error.find("cannot reach"), std::string::npos) << r.error;
}

TEST(Advisor, RecordedRepliesReplayExactly) {
    ScriptedAdvisor s(json::array({kGoodAdvice,
                                   R"({"proposals": [7, {"config": {"dpi": 50}, "rationale": "x"}]})",
                                   "no JSON here", {{"status", 500}}}));
    TempDir out;
    const std::string records = out.file("advice");
    std::vector<AdvisorReply> first;
    {
        Advisor advisor(s.options(records));
        for (int g = 0; g < 4; ++g) {
            first.push_back(advisor.advise(sample_request(g)));
            EXPECT_TRUE(first.back().record_error.empty()) << first.back().record_error;
            EXPECT_FALSE(first.back().replayed);
        }
    }
    EXPECT_EQ(first[1].malformed, 1);
    EXPECT_TRUE(first[2].failed);
    EXPECT_TRUE(first[3].failed);
    for (const auto& entry : std::filesystem::directory_iterator(records))
        EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
    const json rec = json::parse(test::read_file(advice_record_path(records, 3)));
    EXPECT_EQ(rec["generation"], 3);
    EXPECT_TRUE(rec["reply"].is_null());
    EXPECT_NE(rec["error"].get<std::string>().find("HTTP 500"), std::string::npos);

    AdvisorOptions replay;  // no endpoint at all: nothing is asked
    replay.replay_dir = records;
    replay.record_dir = out.file("replayed");
    Advisor again(replay);
    for (int g = 0; g < 4; ++g) {
        const AdvisorReply r = again.advise(sample_request(g));
        EXPECT_TRUE(r.replayed);
        expect_same(r, first[size_t(g)]);
        EXPECT_TRUE(std::filesystem::exists(advice_record_path(out.file("replayed"), g)));
    }
    const AdvisorReply missing = again.advise(sample_request(9));
    EXPECT_TRUE(missing.failed);
    EXPECT_NE(missing.error.find("no recorded advice for generation 9"), std::string::npos) << missing.error;
    EXPECT_EQ(s.requests().size(), 4u);
}

TEST(Advisor, AResumedRunReusesTheRecordMadeForTheSamePrompt) {
    ScriptedAdvisor s(json::array({kGoodAdvice, R"({"proposals": []})"}));
    TempDir out;
    const AdvisorReply asked = Advisor(s.options(out.path)).advise(sample_request(1));
    Advisor resumed(s.options(out.path));
    const AdvisorReply reused = resumed.advise(sample_request(1));
    EXPECT_TRUE(reused.replayed);
    expect_same(reused, asked);
    EXPECT_EQ(s.requests().size(), 1u);
    AdvisorRequest changed = sample_request(1);  // another history: asked anew
    changed.history.pop_back();
    const AdvisorReply fresh = resumed.advise(changed);
    EXPECT_FALSE(fresh.replayed);
    EXPECT_TRUE(fresh.proposals.empty());
    EXPECT_EQ(s.requests().size(), 2u);
}

TEST(Advisor, TheApiKeyIsNeverRecorded) {
    ScriptedAdvisor s(json::array({kGoodAdvice}));
    TempDir out;
    AdvisorOptions o = s.options(out.path);
    o.api_key = "sk-test-secret-4242";
    EXPECT_FALSE(Advisor(o).advise(sample_request(0)).failed);
    const std::string record = test::read_file(advice_record_path(out.path, 0));
    EXPECT_NE(record.find("between the two best dpi values"), std::string::npos);
    EXPECT_EQ(record.find("sk-test-secret-4242"), std::string::npos);
}

TEST(Advisor, AnInterruptedRequestFailsAndIsNotRecorded) {
    ScriptedAdvisor s(json::array({kGoodAdvice}));
    TempDir out;
    std::atomic<bool> cancel{true};
    AdvisorOptions o = s.options(out.file("advice"));
    o.cancel = &cancel;
    const AdvisorReply r = Advisor(o).advise(sample_request(0));
    EXPECT_TRUE(r.failed);
    EXPECT_FALSE(std::filesystem::exists(advice_record_path(out.file("advice"), 0)));
}

TEST(Advisor, CorruptRecordInReplayFailsThatGenerationOnly) {
    TempDir dir;
    test::write_file(advice_record_path(dir.path, 0), "{\"generation\": 0, \"prompt\": ");
    test::write_file(advice_record_path(dir.path, 1), R"({"generation": 5, "prompt": "", "reply": "{}", "error": null})");
    AdvisorOptions o;
    o.replay_dir = dir.path;
    Advisor advisor(o);
    const AdvisorReply torn = advisor.advise(sample_request(0));
    EXPECT_TRUE(torn.failed);
    EXPECT_NE(torn.error.find("not valid JSON"), std::string::npos) << torn.error;
    const AdvisorReply other = advisor.advise(sample_request(1));
    EXPECT_TRUE(other.failed);
    EXPECT_NE(other.error.find("generation 5"), std::string::npos) << other.error;
}

TEST(Advisor, BadOptionsAreOneLineErrorsAtConstruction) {
    TempDir dir;
    auto options = [] {
        AdvisorOptions o;
        o.url = "http://127.0.0.1:9/v1";
        o.model = "m";
        return o;
    };
    AdvisorOptions bad_url = options();
    bad_url.url = "ftp://example/v1";
    EXPECT_THROW(Advisor{bad_url}, ConfigError);
    AdvisorOptions no_model = options();
    no_model.model.clear();
    EXPECT_THROW(Advisor{no_model}, ConfigError);
    AdvisorOptions no_url = options();
    no_url.url.clear();
    EXPECT_THROW(Advisor{no_url}, ConfigError);
    AdvisorOptions no_prompt = options();
    no_prompt.prompt_path = dir.file("missing.md");
    EXPECT_THROW(Advisor{no_prompt}, InputError);
    test::write_file(dir.file("typo.md"), "{{history}} {{wanted}} {{spaec}}");
    AdvisorOptions typo = options();
    typo.prompt_path = dir.file("typo.md");
    try {
        Advisor{typo};
        ADD_FAILURE() << "no error for {{spaec}}";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("{{spaec}}"), std::string::npos) << e.what();
    }
    AdvisorOptions no_replay = options();
    no_replay.replay_dir = dir.file("nowhere");
    EXPECT_THROW(Advisor{no_replay}, InputError);
    AdvisorOptions zero_timeout = options();
    zero_timeout.timeout_s = 0;
    EXPECT_THROW(Advisor{zero_timeout}, ConfigError);
}

// ---- glyph search with the scripted advisor --------------------------------------

TEST(SearchWithAdvisor, AdvisedConfigsEnterBrokenRepliesAreCountedAndTheRunReplays) {
    // (--help shows glyph's own help when there is no search subcommand)
    if (test::run_glyph("search --help").out.find("--advisor") == std::string::npos)
        GTEST_SKIP() << "this build has no glyph search";
    TempDir tmp;
    test::write_file(tmp.file("space.json"), R"({"base": "en", "keys": {
        "dpi": {"type": "number", "min": 60, "max": 110, "step": 5},
        "font-size": {"type": "choice", "choices": [8, 9, 10, 11]},
        "line-height": {"type": "choice", "choices": [0, 1, 2], "relative-to": "font-size"},
        "margin-x": {"type": "number", "min": 10, "max": 30, "step": 5}}})");
    std::string text;
    for (int r = 0; r < 3; ++r)
        text += "The harbour was quiet that morning.\nSigne opened the archive door.\n"
                "A letter lay on the table, unopened.\nNobody had seen the lantern since May.\n";
    test::write_file(tmp.file("lines.txt"), text);
    const json good = {{"proposals",
                        {{{"config", {{"dpi", 70}, {"font-size", 10}, {"line-height", 10}, {"margin-x", 10}}},
                          {"rationale", "tight leading at a legible size"}},
                         {{"config", {{"dpi", 500}, {"font-size", 9}, {"line-height", 10}, {"margin-x", 12}}},
                          {"rationale", "very sharp pages"}},
                         {{"config", {{"dpi", 80}}}, {"rationale", "a partial config"}}}}};
    ScriptedAdvisor s(json::array({"Here you go:\n```json\n" + good.dump() + "\n```",
                                   R"({"proposals": [{"config": {"dpi": 65)", {{"stall_s", 3}}}));
    const std::string common = std::string(GLYPH_CLI) + " search --fitness ocr --data " +
                               test::shell_quote(tmp.file("lines.txt")) + " --space " +
                               test::shell_quote(tmp.file("space.json")) +
                               " --population 4 --budget 12 --patience 100 --seed 3 --concurrency 2 --advisor-share 1"
                               " --cache-dir " + test::shell_quote(tmp.file("cache"));
    const auto run = test::run_command(common + " --out " + test::shell_quote(tmp.file("run")) + " --advisor " +
                                       s.server->endpoint() + " --advisor-model scripted --advisor-timeout 1");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.err.find("advisor failed ("), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("read timeout"), std::string::npos) << run.err;

    const json record = json::parse(test::read_file(tmp.file("run/search.json")));
    const json& advisor = record["advisor"];
    EXPECT_EQ(advisor["accepted"], 2) << advisor;  // dpi 70, and dpi 500 clamped
    EXPECT_EQ(advisor["clamped"], 1) << advisor;
    EXPECT_EQ(advisor["dropped"], 1) << advisor;  // the partial config
    EXPECT_EQ(advisor["malformed"], 1) << advisor;
    EXPECT_GE(advisor["failures"].get<int>(), 2) << advisor;  // the cut reply, the stall, the spent script
    const std::string log = test::read_file(tmp.file("run/advisor.jsonl"));
    EXPECT_NE(log.find("tight leading at a legible size"), std::string::npos) << log;
    // The accepted proposal was scored.
    std::set<std::string> scored;
    for (const json& e : glyph::test::read_jsonl(tmp.file("run/evaluations.jsonl"))) scored.insert(e["key"].get<std::string>());
    int advised_scored = 0;
    for (const json& round : glyph::test::read_jsonl(tmp.file("run/advisor.jsonl")))
        for (const json& p : round.value("proposals", json::array()))
            if (p.contains("key")) advised_scored += int(scored.count(p["key"].get<std::string>()));
    EXPECT_EQ(advised_scored, 2);

    // The same seed and the recorded replies: the same search, without the advisor.
    const size_t asked = s.requests().size();
    const auto replay = test::run_command(common + " --out " + test::shell_quote(tmp.file("replay")) + " --replay " +
                                          test::shell_quote(tmp.file("run/advice")));
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_EQ(s.requests().size(), asked);
    EXPECT_EQ(test::read_file(tmp.file("replay/best.json")), test::read_file(tmp.file("run/best.json")));
    const auto a = glyph::test::read_jsonl(tmp.file("run/evaluations.jsonl")), b = glyph::test::read_jsonl(tmp.file("replay/evaluations.jsonl"));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]["key"], b[i]["key"]) << i;
}

}  // namespace
}  // namespace glyph::search
