// glyph eval generate: RULER's synthetic tasks, checked against what RULER
// promises of an item: its own outputs score 100, every output is in the
// input, the length reaches the budget without passing it, needles sit at
// the depths asked, the same seed gives the same bytes, and RULER's reader
// (ours) reads the file back. Also the needle questions the OCR test server
// answers, in RULER's phrasings.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "glyph/eval.h"
#include "glyph/eval_generate.h"
#include "glyph/needles.h"
#include "glyph/tokenizer.h"
#include "test_support.h"

namespace {

using glyph::test::read_file;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;

const glyph::Tokenizer& tokenizer() {
    static const glyph::Tokenizer t = glyph::Tokenizer::load(glyph::default_tokenizer_path());
    return t;
}

const std::string& haystack() {
    static const std::string text = read_file(glyph::eval::default_haystack_path());
    return text;
}

std::string data_file(const std::string& name) { return std::string(GLYPH_TEST_DATA) + "/ruler/" + name; }

const glyph::eval::QaSet& squad() {
    static const glyph::eval::QaSet set = glyph::eval::read_qa_file(data_file("squad_tiny.json"));
    return set;
}
const glyph::eval::QaSet& hotpot() {
    static const glyph::eval::QaSet set = glyph::eval::read_qa_file(data_file("hotpotqa_tiny.json"));
    return set;
}

std::vector<glyph::eval::GeneratedItem> generate(const std::string& task, int64_t length, size_t samples,
                                                 uint64_t seed, std::vector<double> depths = {}) {
    glyph::eval::GenerateOptions o;
    o.task = task;
    o.length = length;
    o.samples = samples;
    o.seed = seed;
    o.haystack = haystack();
    o.depths = std::move(depths);
    if (task == "qa_1") o.qa = &squad();
    if (task == "qa_2") o.qa = &hotpot();
    return glyph::eval::generate_ruler_items(o, tokenizer());
}

// constants.py's tokens_to_generate per task family.
int64_t tokens_to_generate(const std::string& task) {
    if (task.rfind("niah", 0) == 0) return 128;
    if (task == "vt") return 30;
    if (task == "cwe") return 120;
    if (task == "fwe") return 50;
    return 32;
}

std::string joined(const std::vector<std::string>& outputs) {
    std::string s;
    for (const auto& o : outputs) s += (s.empty() ? "" : ", ") + o;
    return s;
}

TEST(EvalGenerate, ThirteenTasksInSyntheticYamlOrder) {
    const auto& names = glyph::eval::ruler_task_names();
    ASSERT_EQ(names.size(), 13u);
    EXPECT_EQ(names.front(), "niah_single_1");
    EXPECT_EQ(names.back(), "qa_2");
    EXPECT_TRUE(glyph::eval::ruler_task_needs_qa_file("qa_1"));
    EXPECT_FALSE(glyph::eval::ruler_task_needs_qa_file("vt"));
}

class EveryTask : public testing::TestWithParam<std::string> {};

TEST_P(EveryTask, OwnOutputsScoreFullAndSitInTheInput) {
    const std::string task = GetParam();
    for (const auto& item : generate(task, 4096, 2, 11)) {
        ASSERT_FALSE(item.outputs.empty());
        EXPECT_EQ(glyph::eval::ruler_item_score(task, joined(item.outputs), item.outputs), 1.0) << task;
        for (const auto& out : item.outputs) EXPECT_NE(item.input.find(out), std::string::npos) << task << ": " << out;
        EXPECT_FALSE(item.answer_prefix.empty());
        EXPECT_EQ(item.task, task);
    }
}

TEST_P(EveryTask, LengthReachesTheBudgetWithoutPassingIt) {
    const std::string task = GetParam();
    for (int64_t budget : {4096, 32768}) {
        for (const auto& item : generate(task, budget, 2, 5)) {
            const int64_t counted = int64_t(tokenizer().count(item.input + item.answer_prefix));
            EXPECT_EQ(item.length, counted + tokens_to_generate(task)) << task;
            EXPECT_LE(item.length, budget) << task;
            EXPECT_GE(item.length, budget * 97 / 100) << task << " at " << budget;
        }
    }
}

TEST_P(EveryTask, SameSeedSameItemsOtherSeedOthers) {
    const std::string task = GetParam();
    auto dump = [&](uint64_t seed) {
        std::string s;
        for (const auto& item : generate(task, 4096, 2, seed)) s += glyph::eval::ruler_item_json(item) + "\n";
        return s;
    };
    const std::string a = dump(3);
    EXPECT_EQ(a, dump(3));
    EXPECT_NE(a, dump(4));
}

INSTANTIATE_TEST_SUITE_P(Ruler, EveryTask, testing::ValuesIn(glyph::eval::ruler_task_names()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(EvalGenerate, NiahTemplatesAreRulers) {
    const auto single = generate("niah_single_3", 4096, 1, 1)[0];
    EXPECT_EQ(single.input.rfind("A special magic uuid is hidden within the following text. Make sure to memorize "
                                 "it. I will quiz you about the uuid afterwards.\n", 0), 0u);
    EXPECT_NE(single.input.find("One of the special magic uuids for " ), std::string::npos);
    EXPECT_EQ(single.answer_prefix.rfind(" The special magic uuid for ", 0), 0u);
    EXPECT_EQ(single.answer_prefix.substr(single.answer_prefix.size() - 34), " mentioned in the provided text is");
    ASSERT_EQ(single.outputs.size(), 1u);
    EXPECT_EQ(single.outputs[0].size(), 36u);
    EXPECT_EQ(single.outputs[0][14], '4');  // a version-4 UUID

    const auto multi = generate("niah_multiquery", 4096, 1, 1)[0];
    EXPECT_EQ(multi.input.rfind("Some special magic numbers are hidden", 0), 0u);
    EXPECT_NE(multi.input.find("\nWhat are all the special magic numbers for "), std::string::npos);
    EXPECT_NE(multi.input.find(", and "), std::string::npos);
    EXPECT_EQ(multi.outputs.size(), 4u);
    for (const auto& v : multi.outputs) EXPECT_EQ(v.size(), 7u);

    const auto values = generate("niah_multivalue", 4096, 1, 1)[0];
    EXPECT_EQ(values.outputs.size(), 4u);

    const auto vt = generate("vt", 4096, 1, 1)[0];
    EXPECT_EQ(vt.outputs.size(), 5u);
    EXPECT_NE(vt.input.find("VAR " + vt.outputs[1] + " = VAR " + vt.outputs[0] + " "), std::string::npos);
    EXPECT_NE(vt.answer_prefix.find("5 variables are assigned the value"), std::string::npos);
}

TEST(EvalGenerate, NeedlesSitAtTheDepthsAsked) {
    for (double depth : {0.0, 25.0, 50.0, 90.0}) {
        for (const std::string task : {"niah_single_2", "niah_single_1", "niah_multikey_2"}) {
            const auto item = generate(task, 8192, 1, 9, {depth})[0];
            ASSERT_EQ(item.depth.size(), 1u);
            EXPECT_NEAR(item.depth[0], depth, 0.5) << task;
            // Where the needle's value is, as a share of the context.
            const size_t begin = item.input.find('\n'), end = item.input.rfind('\n');
            const size_t at = item.input.find("is: " + item.outputs[0]);
            ASSERT_NE(at, std::string::npos);
            EXPECT_NEAR(double(at - begin) / double(end - begin), depth / 100.0, 0.02) << task << " at " << depth;
        }
    }
    // Several needles: one depth each, cycling through the list given.
    const auto item = generate("niah_multikey_1", 8192, 1, 9, {10, 60})[0];
    EXPECT_EQ(item.depth, (std::vector<double>{10, 10, 60, 60}));
}

TEST(EvalGenerate, OcrServerReadsRulersQuestionsAndNeedles) {
    // The answer the OCR test server builds from a text: every needle task's
    // question is parsed from the whole prompt (its answer prefix included)
    // and its needles found, so that its reply scores 100.
    for (const std::string task : {"niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1",
                                   "niah_multikey_2", "niah_multikey_3", "niah_multivalue", "niah_multiquery"}) {
        for (const auto& item : generate(task, 4096, 2, 21)) {
            const auto q = glyph::parse_needle_question(item.input + item.answer_prefix);
            ASSERT_TRUE(q.has_value()) << task;
            std::vector<std::string> found;
            for (const auto& key : q->keys) {
                const auto values = glyph::find_needle_values(item.input, key, q->kind, q->all_values);
                found.insert(found.end(), values.begin(), values.end());
            }
            EXPECT_EQ(glyph::eval::ruler_item_score(task, joined(found), item.outputs), 1.0)
                << task << ": found " << joined(found) << ", wanted " << joined(item.outputs);
        }
    }
    // Our own phrasing still parses.
    const auto ours = glyph::parse_needle_question("What is the special magic number for amber-falcon?");
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(ours->keys, std::vector<std::string>{"amber-falcon"});
    EXPECT_FALSE(ours->all_values);
    // Reading errors: a digit read as a letter, a key broken at its hyphen.
    const auto v = glyph::find_needle_values("One of the special magic numbers for quiet- river is: 12O4567.",
                                             "quiet-river", glyph::NeedleKind::kNumber, false);
    EXPECT_EQ(v, std::vector<std::string>{"1204567"});
}

TEST(EvalGenerate, QaItemsCarryTheQuestionAndItsDocuments) {
    const auto squad_item = generate("qa_1", 2048, 1, 2)[0];
    EXPECT_NE(squad_item.input.find("Question: What is the longest river in France?"), std::string::npos);
    EXPECT_NE(squad_item.input.find("Document 1:\n"), std::string::npos);
    EXPECT_EQ(squad_item.outputs, (std::vector<std::string>{"The Loire", "Loire"}));
    EXPECT_EQ(squad_item.answer_prefix, " Answer:");
    // The unanswerable question is left out: four of five remain.
    EXPECT_EQ(squad().questions.size(), 4u);
    const auto hotpot_item = generate("qa_2", 2048, 2, 2)[1];
    EXPECT_NE(hotpot_item.input.find("Forth Bridge\nThe Forth Bridge is a railway bridge in Scotland opened in 1890."),
              std::string::npos);
    EXPECT_EQ(hotpot_item.outputs, std::vector<std::string>{"Scotland"});
}

// ---- the command ---------------------------------------------------------------

TEST(EvalGenerateCli, WritesRulerJsonlThatReadsBack) {
    TempDir tmp;
    const std::string out = tmp.file("ruler.jsonl");
    const std::string args = "eval generate --task all --length 4096 --samples 2 --seed 5 --qa-file " +
                             shell_quote(data_file("squad_tiny.json")) + " --qa-file " +
                             shell_quote(data_file("hotpotqa_tiny.json")) + " --out " + shell_quote(out);
    const auto r = run_glyph(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string first = read_file(out);
    const auto rows = glyph::eval::read_ruler(out, {}, "");
    EXPECT_TRUE(rows.failures.empty());
    ASSERT_EQ(rows.items.size(), 26u);
    std::map<std::string, int> per_task;
    std::set<std::string> ids;
    for (const auto& item : rows.items) {
        ++per_task[item.task];
        ids.insert(item.id);
        EXPECT_LE(item.length, 4096);
    }
    EXPECT_EQ(per_task.size(), 13u);
    EXPECT_EQ(ids.size(), 26u) << "indices are unique across the file, so predictions pair by id";
    const auto line = nlohmann::json::parse(first.substr(0, first.find('\n')));
    for (const char* key : {"index", "input", "outputs", "length", "answer_prefix", "task", "depth"})
        EXPECT_TRUE(line.contains(key)) << key;

    // Same seed, same bytes; another seed, another file.
    ASSERT_EQ(run_glyph(args).exit_code, 0);
    EXPECT_EQ(read_file(out), first);
    const auto other = run_glyph("eval generate --task niah_single_1 --length 4096 --samples 2 --seed 6 --out " +
                                 shell_quote(tmp.file("other.jsonl")));
    ASSERT_EQ(other.exit_code, 0) << other.err;
    EXPECT_NE(read_file(tmp.file("other.jsonl")), first.substr(0, read_file(tmp.file("other.jsonl")).size()));
}

TEST(EvalGenerateCli, AllWithoutQaFilesSkipsQaWithAWarning) {
    TempDir tmp;
    const auto r = run_glyph("eval generate --task all --length 2048 --samples 1 --out " + shell_quote(tmp.file("a.jsonl")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("glyph: warning: skipping qa_1, qa_2"), std::string::npos) << r.err;
    EXPECT_EQ(glyph::eval::read_ruler(tmp.file("a.jsonl"), {}, "").items.size(), 11u);
}

TEST(EvalGenerateCli, UserErrorsAreOneLine) {
    TempDir tmp;
    glyph::test::write_file(tmp.file("bad.json"), "{\"data\": [{\"paragraphs\": [{\"context\": 5}]}]}");
    glyph::test::write_file(tmp.file("broken.json"), "[{\"question\": ");
    glyph::test::write_file(tmp.file("deep.json"), std::string(100000, '[') + std::string(100000, ']'));
    glyph::test::write_file(tmp.file("binary.txt"), std::string("abc\xff\xfe", 5));
    const std::string out = " --out " + shell_quote(tmp.file("x.jsonl"));
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--task qa_1 --length 4096 --samples 1", "--task qa_1 needs --qa-file with SQuAD v2 JSON"},
        {"--task qa_2 --length 4096 --samples 1 --qa-file " + shell_quote(data_file("squad_tiny.json")),
         "--task qa_2 needs --qa-file with HotpotQA JSON"},
        {"--task qa_1 --length 4096 --samples 1 --qa-file " + shell_quote(tmp.file("bad.json")),
         "data[0].paragraphs[0].context is not a string"},
        {"--task qa_2 --length 4096 --samples 1 --qa-file " + shell_quote(tmp.file("broken.json")), "is not valid JSON"},
        {"--task qa_2 --length 4096 --samples 1 --qa-file " + shell_quote(tmp.file("deep.json")), "nested deeper"},
        {"--task qa_1 --length 4096 --samples 9 --qa-file " + shell_quote(data_file("squad_tiny.json")),
         "more than the 4 answerable questions of the SQuAD v2 --qa-file"},
        {"--task niah_single_2 --length 4096 --samples 1 --haystack " + shell_quote(tmp.file("binary.txt")),
         "is not UTF-8 text"},
        {"--task nope --length 4096 --samples 1", "is not a RULER task"},
        {"--task vt --length 50 --samples 1", "--length 50 is too short for vt"},
        {"--task niah_single_1 --length 4096 --samples 1 --depths 10,x", "is not a percentage"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = run_glyph("eval generate " + args + out);
        EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

}  // namespace
