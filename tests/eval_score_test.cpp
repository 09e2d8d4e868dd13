// glyph eval score: the official metrics on edge cases, jieba's words against
// python3-jieba, and every score against the reference scorers
// (../shared/reference/bench_scorers.py) on thousands of generated predictions.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "eval/python_text.h"
#include "glyph/eval.h"
#include "test_support.h"

using glyph::test::run_command;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;
namespace ev = glyph::eval;
namespace py = glyph::eval::py;

namespace {

bool python_has_jieba() {
    static const bool ok = run_command("/usr/bin/python3 -c 'import jieba'").exit_code == 0;
    return ok;
}

const ev::Jieba& jieba() {
    static std::unique_ptr<ev::Jieba> j = ev::Jieba::load(ev::Jieba::default_dir());
    return *j;
}

bool have_jieba_data() {
    return std::ifstream(ev::Jieba::default_dir() + "/dict.txt").good();
}

// --- generated inputs --------------------------------------------------------

const std::vector<std::string> kEnglish = {
    "the", "The", "a", "an", "An", "THE", "cat", "sat", "mat", "on", "dog's", "running", "Paris", "1984", "3.5",
    "Paragraph", "12", "7", "x", "foo(1)", "=", "\"quoted\"", "(aside)", "é", "café", "İstanbul", "ΣΑΣ", "ΌΣΟΣ",
    "straße", "ﬁne", "_under", "a_b", "an-the", "the_", "a1", "٣", "١٢", "Ⅻ", "½", "x²", "naïve", "Ünïcödé",
    "e\u0301", "ǅ"};
const std::vector<std::string> kSeparators = {" ", "  ", ", ", ". ", ".", "\n", "\t", "\u00a0", "\u3000", "...",
                                              "!", "?", "-", "\u2028", "\x1c", "\u200b", "\r\n", ";", "'"};
const std::vector<std::string> kChinese = {
    "北京", "中国", "首都", "今天", "天气", "很好", "我们", "公园", "散步", "吧", "的", "是", "了", "人工智能",
    "机器学习", "研究", "发展", "他", "说", "不错", "长江", "大桥", "南京市", "市长", "江大桥", "清华大学", "小明",
    "硕士", "毕业", "于", "中国科学院", "计算所", "，", "。", "！", "？", "“", "”", "、", "《", "》", "：", "；",
    "（", "）", "…", "—", "１２", "３", "2023", "年", "月", "日", "3.14%", "GPU", "iPhone", "C++", "c#", "AT&T",
    "段落", "12", " ", "\r\n", "\n", "龘", "㐀", "〇", "𠀀", "한국어", "ー", "钱", "锺", "书", "围城", "方鸿渐",
    "赵辛楣", "孙柔嘉", "的确", "确实", "在", "上海", "工作", "程序员", "-", "_", "a.b", "v2.0", "99.5%", "×"};
const std::vector<std::string> kClasses = {"Location", "Loc", "Person", "Per", "Number", "Num", "Description",
                                           "Entity", "人物", "地点", "地", "体育", "体育新闻", "财经", "Loc"};

struct Gen {
    std::mt19937_64 rng;
    explicit Gen(uint64_t seed) : rng(seed) {}
    size_t below(size_t n) { return static_cast<size_t>(rng() % n); }
    bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }
    const std::string& pick(const std::vector<std::string>& v) { return v[below(v.size())]; }

    std::string english(size_t max_words) {
        std::string s;
        size_t n = below(max_words + 1);
        for (size_t i = 0; i < n; ++i) s += (i ? pick(kSeparators) : "") + pick(kEnglish);
        return s;
    }
    std::string chinese(size_t max_pieces) {
        std::string s;
        size_t n = below(max_pieces + 1);
        for (size_t i = 0; i < n; ++i) s += pick(chance(85) ? kChinese : kEnglish);
        return s;
    }
    std::string digits(size_t max_numbers) {
        std::string s;
        size_t n = below(max_numbers + 1);
        for (size_t i = 0; i < n; ++i) s += (chance(50) ? " " : " and ") + std::to_string(below(30));
        return s;
    }
    // A string of repeated characters, long enough for difflib's autojunk.
    std::string code_line(size_t min_len) {
        static const std::vector<std::string> bits = {"x", "=", " ", "(", ")", "foo", "bar", ".", "self", "_", "0",
                                                      "1", "return ", "if ", "::", "->", "\"s\"", "中"};
        std::string s;
        size_t len = min_len + below(60);
        while (s.size() < len) s += pick(bits);
        return s;
    }
    // Variations of an answer: the same, cut, changed case, extra words.
    std::string variant(const std::string& answer, const std::string& noise) {
        switch (below(5)) {
            case 0: return answer;
            case 1: {  // cut at a character boundary
                size_t cut = answer.size() / 2;
                while (cut > 0 && (static_cast<unsigned char>(answer[cut]) & 0xC0) == 0x80) --cut;
                return answer.substr(0, cut);
            }
            case 2: return noise + " " + answer;
            case 3: return answer + "\n" + noise;
            default: return noise;
        }
    }
};

// One LongBench case per line: dataset, pred, answers, all_classes.
std::vector<json> longbench_cases(Gen& g, size_t per_dataset) {
    std::vector<json> out;
    for (const auto& ds : ev::longbench_datasets()) {
        for (size_t i = 0; i < per_dataset; ++i) {
            json c{{"dataset", ds}, {"all_classes", json::array()}};
            std::vector<std::string> answers;
            std::string pred;
            size_t n_answers = 1 + g.below(3);
            if (ds == "multifieldqa_zh" || ds == "dureader" || ds == "vcsum") {
                for (size_t k = 0; k < n_answers; ++k) answers.push_back(g.chinese(12));
                pred = g.variant(answers[0], g.chinese(10));
            } else if (ds == "trec" || ds == "lsht") {
                std::vector<std::string> classes;
                for (size_t k = 0, n = 2 + g.below(6); k < n; ++k) classes.push_back(g.pick(kClasses));
                c["all_classes"] = classes;
                answers.push_back(g.pick(classes));
                pred = g.chance(30) ? "\n" : "";
                for (size_t k = 0, n = g.below(4); k < n; ++k)
                    pred += g.pick(kClasses) + g.pick({" ", "\n", ", ", "/"});
            } else if (ds == "passage_retrieval_en" || ds == "passage_retrieval_zh") {
                std::string label = ds == "passage_retrieval_en" ? "Paragraph " : "段落";
                answers.push_back(label + std::to_string(g.below(30)));
                pred = g.chance(50) ? answers[0] : "";
                pred += g.digits(4) + (g.chance(30) ? " " + label + std::to_string(g.below(30)) : "");
                if (g.chance(10)) pred += " ١٢ ３";
            } else if (ds == "passage_count") {
                answers.push_back(std::to_string(g.below(20)));
                pred = g.digits(3) + (g.chance(40) ? " " + answers[0] : "");
            } else if (ds == "lcc" || ds == "repobench-p") {
                answers.push_back(g.code_line(g.chance(40) ? 200 : 5));
                std::vector<std::string> lines;
                if (g.chance(30)) lines.push_back("```python");
                if (g.chance(30)) lines.push_back("# a comment");
                if (g.chance(20)) lines.push_back("x = 1 // not python");
                lines.push_back(g.variant(answers[0], g.code_line(3)));
                lines.push_back(g.code_line(5));
                pred = g.chance(20) ? "\n\n" : "";
                for (size_t k = 0; k < lines.size(); ++k) pred += (k ? "\n" : "") + lines[k];
                if (g.chance(5)) pred = "";
            } else {  // English QA and summaries
                for (size_t k = 0; k < n_answers; ++k) answers.push_back(g.english(14));
                pred = g.variant(answers[0], g.english(12));
                if (g.chance(15)) pred = "\n" + pred + "\nsecond line";
            }
            if (g.chance(4)) pred = "";
            c["answers"] = answers;
            c["pred"] = pred;
            out.push_back(c);
        }
    }
    return out;
}

std::vector<json> mrcr_cases(Gen& g, size_t n) {
    std::vector<json> out;
    static const std::string alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (size_t i = 0; i < n; ++i) {
        std::string prefix;
        for (int k = 0; k < 10; ++k) prefix += alnum[g.below(alnum.size())];
        std::string body;
        size_t len = g.chance(50) ? 300 + g.below(1500) : g.below(120);
        while (body.size() < len) body += g.pick(kEnglish) + g.pick(kSeparators);
        std::string answer = prefix + body;
        std::string reply;
        switch (g.below(6)) {
            case 0: reply = answer; break;
            case 1: reply = "<think>draft " + prefix + "</think>\n\n  " + g.variant(answer, body) + " \n"; break;
            case 2: reply = prefix + g.variant(body, "") + g.english(20); break;
            case 3: reply = "<think>a</think>x</think>" + prefix + g.english(30); break;
            case 4: reply = g.english(10); break;
            default: reply = "<|user|>" + answer; break;
        }
        out.push_back({{"pred", reply}, {"answer", answer}, {"random_string_to_prepend", prefix}});
    }
    return out;
}

std::vector<json> ruler_cases(Gen& g, size_t n) {
    static const std::vector<std::string> tasks = {"niah_single_1", "niah_multikey_2", "niah_multivalue", "vt",
                                                   "cwe", "fwe", "qa_1", "qa_2"};
    std::vector<json> out;
    for (size_t i = 0; i < n; ++i) {
        std::vector<std::string> outputs;
        for (size_t k = 0, m = 1 + g.below(4); k < m; ++k)
            outputs.push_back(g.chance(50) ? std::to_string(1000000 + g.below(9000000)) : g.pick(kEnglish));
        std::string pred = g.chance(20) ? "\x01 " : "";
        for (size_t k = 0, m = g.below(5); k < m; ++k) {
            std::string piece = g.chance(60) ? outputs[g.below(outputs.size())] : g.english(3);
            if (g.chance(30))
                for (char& c : piece) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            pred += piece + g.pick({" ", "\n", "\t", "\x1f", ", "});
        }
        out.push_back({{"task", g.pick(tasks)}, {"pred", pred}, {"outputs", outputs}});
    }
    return out;
}

std::string jsonl(const std::vector<json>& rows) {
    std::string s;
    for (const auto& r : rows) s += r.dump() + "\n";
    return s;
}

// Per-case scores from the reference module itself (repr: exact doubles).
const char* kOracleDriver = R"PY(
import json, sys
sys.path.insert(0, sys.argv[1])
import bench_scorers as b
for line in open(sys.argv[2], encoding="utf-8"):
    c = json.loads(line)
    if c["kind"] == "longbench":
        s = b.score_item(c["dataset"], c["pred"], c["answers"], c["all_classes"])
    elif c["kind"] == "mrcr":
        s = b.mrcr_grade(c["pred"], c["answer"], c["random_string_to_prepend"])
    else:
        s = b.ruler([{"index": 0, "task": c["task"], "outputs": c["outputs"]}], {0: c["pred"]})[c["task"]]
    print(repr(float(s)))
)PY";

}  // namespace

// --- metric edge cases (no oracle needed) -------------------------------------

TEST(EvalPythonText, MatchesPythonStrSemantics) {
    EXPECT_EQ(py::encode(py::lower(py::decode("İSTANBUL ΟΔΟΣ Straße"))), "i̇stanbul οδος straße");
    EXPECT_TRUE(py::is_space(0x1C));
    EXPECT_TRUE(py::is_space(0x3000));
    EXPECT_FALSE(py::is_space(0x200B));
    EXPECT_TRUE(py::is_word(U'½'));   // isnumeric
    EXPECT_FALSE(py::is_word(0x301)); // a combining mark is not \w
    EXPECT_TRUE(py::is_decimal(U'٣'));
    EXPECT_FALSE(py::is_decimal(U'½'));
    EXPECT_EQ(py::round_to(0.125, 2), 0.12);  // an exact half: to even
    EXPECT_EQ(py::round_to(2.675, 2), 2.67);  // 2.675 is 2.67499999... in binary
    EXPECT_EQ(py::round_half_even(0.5), 0);
    EXPECT_EQ(py::round_half_even(1.5), 2);
}

TEST(EvalMetrics, QaF1NormalizesLikeLongBench) {
    EXPECT_DOUBLE_EQ(ev::qa_f1_score("The cat!", "cat"), 1.0);
    EXPECT_DOUBLE_EQ(ev::qa_f1_score("", "cat"), 0.0);
    EXPECT_DOUBLE_EQ(ev::qa_f1_score("a an the", "the"), 0.0);  // nothing left on either side
    // "an-the": the hyphen is dropped first, leaving the word "anthe".
    EXPECT_DOUBLE_EQ(ev::qa_f1_score("an-the", "anthe"), 1.0);
    EXPECT_DOUBLE_EQ(ev::qa_f1_score("cat dog", "cat"), 2 * 0.5 * 1.0 / 1.5);
}

TEST(EvalMetrics, ClassificationKeepsLongBenchsListQuirk) {
    // found = [Loc, Location]: "Loc" is in the gold and not equal to it, so it
    // is removed, and the loop then skips "Location"; 1 / 1.
    EXPECT_DOUBLE_EQ(ev::classification_score("Loc Location", "Location", {"Loc", "Location"}), 1.0);
    // Duplicates: remove() drops the first equal element, the loop skips one.
    EXPECT_DOUBLE_EQ(ev::classification_score("Location Loc", "Location", {"Loc", "Loc", "Location"}), 0.5);
    EXPECT_DOUBLE_EQ(ev::classification_score("Person", "Location", {"Person", "Location"}), 0.0);
}

TEST(EvalMetrics, RougeSplitsOnEveryDotAndCountsUniqueWords) {
    double p = 2.0 / 3, r = 2.0 / 3;
    EXPECT_DOUBLE_EQ(ev::rouge_score("a b c", "a b d"), 2.0 * ((p * r) / (p + r + 1e-8)));
    EXPECT_EQ(ev::rouge_score("...", "a b"), 0.0);
    EXPECT_EQ(ev::rouge_score("", "a b"), 0.0);
    // "a a a" has one unique word, matched: recall 1, precision 1.
    EXPECT_NEAR(ev::rouge_score("a a a", "a"), 1.0, 1e-8);
}

TEST(EvalMetrics, RetrievalCountAndCode) {
    EXPECT_DOUBLE_EQ(ev::retrieval_score("Paragraph 3, maybe 3 or 4", "Paragraph 3"), 2.0 / 3);
    EXPECT_DOUBLE_EQ(ev::retrieval_zh_score("段落12", "答案是段落12"), 1.0);
    EXPECT_EQ(ev::retrieval_score("no numbers", "Paragraph 3"), 0.0);
    EXPECT_THROW(ev::retrieval_score("3", "no label"), ev::EvalError);
    EXPECT_DOUBLE_EQ(ev::count_score("5 5 6", "5"), 2.0 / 3);
    EXPECT_DOUBLE_EQ(ev::code_sim_score("\n```\n# c\nx = 1\n", "x = 1"), 1.0);
    EXPECT_EQ(ev::code_sim_score("# only comments", "x = 1"), 0.0);
    EXPECT_EQ(ev::fuzz_ratio("abcd", "bcde"), 75);
}

TEST(EvalMetrics, DifflibAutojunkOnLongSequences) {
    // Python: SequenceMatcher(None, "ab" * 150, "a" * 150 + "b" * 150).ratio() == 2 / 600: autojunk
    // drops both characters from b's index, and only the extension step finds one match
    // (0.5033 without autojunk).
    std::string a, b(150, 'a');
    for (int i = 0; i < 150; ++i) a += "ab";
    b += std::string(150, 'b');
    EXPECT_DOUBLE_EQ(ev::difflib_ratio(a, b), 2.0 / 600);
    EXPECT_DOUBLE_EQ(ev::difflib_ratio("", ""), 1.0);
    EXPECT_DOUBLE_EQ(ev::difflib_ratio("中文", "中"), 2.0 / 3);  // code points, not bytes
}

TEST(EvalMetrics, MrcrAndRuler) {
    EXPECT_DOUBLE_EQ(ev::mrcr_grade("<think>x</think>\n PFXhello ", "PFXhello", "PFX"), 1.0);
    EXPECT_EQ(ev::mrcr_grade("hello", "PFXhello", "PFX"), 0.0);
    EXPECT_DOUBLE_EQ(ev::mrcr_grade("PFX", "PFX", "PFX"), 1.0);  // both empty after the prefix
    EXPECT_DOUBLE_EQ(ev::ruler_item_score("niah_multikey_1", "ONE\x01two", {"one", "two", "three"}), 2.0 / 3);
    EXPECT_DOUBLE_EQ(ev::ruler_item_score("qa_1", "the answer is Two", {"one", "two"}), 1.0);
    EXPECT_EQ(ev::mean_percent({1.0, 0.0, 0.0}), 33.33);
}

TEST(EvalReaders, BoundedLinesAreReportedFailures) {
    TempDir dir;
    std::string deep(200, '[');
    write_file(dir.file("lb.jsonl"),
               "{\"_id\":\"x\",\"dataset\":\"qasper\",\"answers\":[\"a\"]}\n"
               "\n"
               "not json\n"
               "{\"_id\":\"y\",\"dataset\":\"qasper\",\"answers\":" + deep + "}\n"
               "{\"_id\":\"z\",\"dataset\":\"nosuch\",\"golds\":[\"a\"]}\n"
               "{\"_id\":\"w\",\"golds\":[\"b\"]}\n" +
                   std::string(2000, ' ') + "{}\n");
    ev::FieldMap fields;
    fields.renamed["answers"] = "golds";
    ev::ReadLimits limits;
    limits.max_line_bytes = 1000;
    auto rows = ev::read_longbench(dir.file("lb.jsonl"), fields, "qasper_e", limits);
    ASSERT_EQ(rows.items.size(), 1u);  // only the mapped "golds" row; its dataset from the fallback
    EXPECT_EQ(rows.items[0].id, "w");
    EXPECT_EQ(rows.items[0].dataset, "qasper");
    ASSERT_EQ(rows.failures.size(), 5u);
    EXPECT_EQ(rows.failures[0].line, 1u);  // "answers" is not read when mapped to "golds"
    EXPECT_EQ(rows.failures[1].line, 3u);
    EXPECT_NE(rows.failures[2].message.find("nested deeper"), std::string::npos);
    EXPECT_NE(rows.failures[3].message.find("unknown LongBench dataset"), std::string::npos);
    EXPECT_NE(rows.failures[4].message.find("longer than 1000 bytes"), std::string::npos);
    EXPECT_EQ(ev::ruler_task_from_path("/d/niah_single_1/validation.jsonl"), "niah_single_1");
    EXPECT_EQ(ev::ruler_task_from_path("/d/vt.jsonl"), "vt");
}

TEST(EvalScoreCli, ReportsMissingPredictionsAndBadFlags) {
    TempDir dir;
    write_file(dir.file("data.jsonl"), "{\"index\":0,\"task\":\"vt\",\"outputs\":[\"x\"]}\n"
                                       "{\"index\":1,\"task\":\"vt\",\"outputs\":[\"y\"]}\n");
    write_file(dir.file("pred.jsonl"), "{\"index\":1,\"pred\":\"Y\"}\n");
    auto r = run_glyph("eval score --bench ruler --json --data " + shell_quote(dir.file("data.jsonl")) + " --pred " +
                       shell_quote(dir.file("pred.jsonl")));
    EXPECT_EQ(r.exit_code, 11) << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["scores"]["vt"], 100.0);
    EXPECT_EQ(out["missing_ids"], json::array({"0"}));
    EXPECT_NE(r.err.find("1 items have no prediction"), std::string::npos);

    r = run_glyph("eval score --bench nope --data x --pred y");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("allowed: longbench, mrcr, ruler"), std::string::npos);
    r = run_glyph("eval score --bench ruler --data " + shell_quote(dir.file("missing.jsonl")) + " --pred y");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    write_file(dir.file("bad.jsonl"), "{\"index\":0}\n");
    r = run_glyph("eval score --bench ruler --data " + shell_quote(dir.file("bad.jsonl")) + " --pred " +
                  shell_quote(dir.file("pred.jsonl")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("bad.jsonl:1: missing field \"outputs\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("holds no usable items"), std::string::npos) << r.err;
    r = run_glyph("eval score --bench ruler --field nope=x --data " + shell_quote(dir.file("data.jsonl")) +
                  " --pred " + shell_quote(dir.file("pred.jsonl")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown column"), std::string::npos);
}

// --- jieba, word for word ------------------------------------------------------

TEST(EvalJieba, SameWordsAsPythonJieba) {
    if (!have_jieba_data() || !python_has_jieba()) GTEST_SKIP() << "python3-jieba is not installed";
    Gen g(20240601);
    std::vector<std::string> texts = {"", "我来到北京清华大学", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
                                      "南京市长江大桥", "iPhone 15的价格是5999元，涨了3.14%！", "钱锺书《围城》\r\n方鸿渐",
                                      "AT&T和C++以及c#", "ａｂｃ１２３", "〇一二三", "𠀀𠀁龘靐"};
    for (int i = 0; i < 3000; ++i) texts.push_back(g.chinese(1 + g.below(25)));
    // Runs of single characters the dictionary does not join: the HMM's part.
    static const char* rare[] = {"鸿", "渐", "辛", "楣", "柔", "嘉", "锺", "龘", "犇", "淼", "燚", "鑫", "垚"};
    for (int i = 0; i < 500; ++i) {
        std::string s;
        for (size_t k = 0, n = 2 + g.below(8); k < n; ++k) s += rare[g.below(13)];
        texts.push_back(s);
    }
    TempDir dir;
    write_file(dir.file("texts.json"), json(texts).dump());
    write_file(dir.file("cut.py"), "import json, sys, jieba\njieba.setLogLevel(60)\n"
                                   "texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
                                   "print(json.dumps([list(jieba.cut(t, cut_all=False)) for t in texts]))\n");
    auto r = run_command("/usr/bin/python3 " + shell_quote(dir.file("cut.py")) + " " + shell_quote(dir.file("texts.json")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto expected = json::parse(r.out);
    ASSERT_EQ(expected.size(), texts.size());
    size_t words = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        auto ours = jieba().cut(std::string_view(texts[i]));
        ASSERT_EQ(json(ours), expected[i]) << "text: " << texts[i];
        words += ours.size();
    }
    std::printf("jieba: %zu texts, %zu words, all equal to python3-jieba\n", texts.size(), words);
}

// --- every score against the reference scorers --------------------------------

TEST(EvalOracle, ItemScoresEqualTheReference) {
    std::string oracle = glyph::test::shared_path("reference/bench_scorers.py");
    if (oracle.empty()) GTEST_SKIP() << "the reference scorers (../shared/reference) are not here";
    if (!python_has_jieba() || !have_jieba_data()) GTEST_SKIP() << "python3-jieba is not installed";
    Gen g(7);
    std::vector<json> cases;
    for (auto c : longbench_cases(g, 150)) c["kind"] = "longbench", cases.push_back(c);
    for (auto c : mrcr_cases(g, 400)) c["kind"] = "mrcr", cases.push_back(c);
    for (auto c : ruler_cases(g, 400)) c["kind"] = "ruler", cases.push_back(c);
    TempDir dir;
    write_file(dir.file("cases.jsonl"), jsonl(cases));
    write_file(dir.file("driver.py"), kOracleDriver);
    std::string folder = oracle.substr(0, oracle.rfind('/'));
    auto r = run_command("/usr/bin/python3 " + shell_quote(dir.file("driver.py")) + " " + shell_quote(folder) + " " +
                         shell_quote(dir.file("cases.jsonl")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    size_t compared = 0;
    std::map<std::string, std::set<double>> distinct;  // the cases must exercise each metric, not sit at 0
    for (const auto& c : cases) {
        std::string line;
        ASSERT_TRUE(std::getline(lines, line));
        double expected = std::strtod(line.c_str(), nullptr), ours = 0;
        if (c["kind"] == "longbench")
            ours = ev::longbench_item_score(c["dataset"].get<std::string>(), c["pred"].get<std::string>(),
                                            c["answers"].get<std::vector<std::string>>(),
                                            c["all_classes"].get<std::vector<std::string>>(), &jieba());
        else if (c["kind"] == "mrcr")
            ours = ev::mrcr_grade(c["pred"].get<std::string>(), c["answer"].get<std::string>(),
                                  c["random_string_to_prepend"].get<std::string>());
        else
            ours = ev::mean_percent({ev::ruler_item_score(c["task"].get<std::string>(), c["pred"].get<std::string>(),
                                                          c["outputs"].get<std::vector<std::string>>())});
        ASSERT_EQ(ours, expected) << c.dump();
        distinct[c.value("dataset", c["kind"].get<std::string>())].insert(ours);
        ++compared;
    }
    for (const auto& [name, values] : distinct) EXPECT_GE(values.size(), 2u) << name << " only ever scored one value";
    std::printf("oracle: %zu item scores equal (LongBench %zu, MRCR 400, RULER 400)\n", compared, compared - 800);
}

TEST(EvalOracle, CliScoresEqualTheReference) {
    std::string oracle = glyph::test::shared_path("reference/bench_scorers.py");
    if (oracle.empty()) GTEST_SKIP() << "the reference scorers (../shared/reference) are not here";
    if (!python_has_jieba() || !have_jieba_data()) GTEST_SKIP() << "python3-jieba is not installed";
    Gen g(99);
    TempDir dir;
    size_t compared = 0;
    auto compare = [&](const std::string& bench, const std::vector<json>& data, const std::vector<json>& preds) {
        write_file(dir.file(bench + "_data.jsonl"), jsonl(data));
        write_file(dir.file(bench + "_pred.jsonl"), jsonl(preds));
        std::string files = shell_quote(dir.file(bench + "_data.jsonl")) + " " + shell_quote(dir.file(bench + "_pred.jsonl"));
        auto ref = run_command("/usr/bin/python3 " + shell_quote(oracle) + " " + bench + " " + files);
        ASSERT_EQ(ref.exit_code, 0) << ref.err;
        auto ours = run_glyph("eval score --json --bench " + bench + " --data " + shell_quote(dir.file(bench + "_data.jsonl")) +
                              " --pred " + shell_quote(dir.file(bench + "_pred.jsonl")));
        ASSERT_EQ(ours.exit_code, 0) << ours.err;
        auto expected = json::parse(ref.out), got = json::parse(ours.out)["scores"];
        ASSERT_EQ(got.size(), expected.size() + 1);  // + "average"
        for (const auto& [name, score] : expected.items()) {
            ASSERT_TRUE(got.contains(name)) << name;
            EXPECT_EQ(got[name].get<double>(), score.get<double>()) << bench << " " << name;
            ++compared;
        }
    };
    // LongBench: ids on most rows; id-less rows stand at their data position.
    std::vector<json> data, preds;
    for (auto& c : longbench_cases(g, 60)) {
        std::string id = "lb" + std::to_string(data.size());
        data.push_back({{"_id", id}, {"dataset", c["dataset"]}, {"answers", c["answers"]},
                        {"all_classes", c["all_classes"]}, {"input", "q"}, {"context", "c"}, {"length", g.below(12000)}});
        json p{{"pred", c["pred"]}};
        if (g.chance(70)) p["_id"] = id;
        preds.push_back(p);
    }
    compare("longbench", data, preds);
    // MRCR as the HF release has it: no id column, predictions in data order.
    data.clear(), preds.clear();
    for (auto& c : mrcr_cases(g, 300)) {
        data.push_back({{"prompt", json::array({{{"role", "user"}, {"content", "hi"}}}).dump()},
                        {"answer", c["answer"]}, {"random_string_to_prepend", c["random_string_to_prepend"]},
                        {"n_needles", 2}, {"n_chars", 1000}});
        preds.push_back({{"pred", c["pred"]}});
    }
    compare("mrcr", data, preds);
    // RULER: integer indexes, predictions shuffled.
    data.clear(), preds.clear();
    for (auto& c : ruler_cases(g, 400)) {
        int index = static_cast<int>(data.size());
        data.push_back({{"index", index}, {"task", c["task"]}, {"outputs", c["outputs"]}, {"input", "x"}, {"length", 4096}});
        preds.push_back({{"index", index}, {"pred", c["pred"]}});
    }
    std::shuffle(preds.begin(), preds.end(), g.rng);
    compare("ruler", data, preds);
    std::printf("oracle: %zu dataset/task scores equal through glyph eval score --json\n", compared);
}

// Every code point Python 3.11 knows (Unicode 14): whitespace, word and digit
// classes and str.lower() of the character alone, ours against Python's.
TEST(EvalPythonText, EveryAssignedCodePointClassifiedAsPythonDoes) {
    if (run_command("/usr/bin/python3 -c pass").exit_code != 0) GTEST_SKIP() << "no /usr/bin/python3";
    TempDir dir;
    write_file(dir.file("classes.py"),
               "import sys, unicodedata\n"
               "out = []\n"
               "for cp in range(0x110000):\n"
               "    if 0xD800 <= cp <= 0xDFFF: continue\n"
               "    c = chr(cp)\n"
               "    if unicodedata.category(c) == 'Cn': continue\n"
               "    flags = (c.isspace(), c.isalnum() or c == '_', c.isdecimal())\n"
               "    low = c.lower()\n"
               "    out.append('%x %d%d%d %s' % (cp, *flags, ','.join('%x' % ord(x) for x in low)))\n"
               "sys.stdout.write('\\n'.join(out) + '\\n')\n");
    auto r = run_command("/usr/bin/python3 " + shell_quote(dir.file("classes.py")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string cp_hex, flags, lower_hex;
    size_t checked = 0;
    while (lines >> cp_hex >> flags >> lower_hex) {
        char32_t cp = static_cast<char32_t>(std::stoul(cp_hex, nullptr, 16));
        std::u32string expected_lower;
        std::istringstream parts(lower_hex);
        for (std::string h; std::getline(parts, h, ',');) expected_lower.push_back(static_cast<char32_t>(std::stoul(h, nullptr, 16)));
        ASSERT_EQ(py::is_space(cp), flags[0] == '1') << "U+" << cp_hex;
        ASSERT_EQ(py::is_word(cp), flags[1] == '1') << "U+" << cp_hex;
        ASSERT_EQ(py::is_decimal(cp), flags[2] == '1') << "U+" << cp_hex;
        ASSERT_EQ(py::lower(std::u32string(1, cp)), expected_lower) << "U+" << cp_hex;
        ++checked;
    }
    EXPECT_GT(checked, 140000u);
    std::printf("python text: %zu assigned code points classified and lowercased as Python does\n", checked);
}

TEST(EvalScore, LengthBucketsAndMrcrUserTokenOption) {
    std::vector<ev::LongBenchItem> items(3);
    int64_t lengths[] = {3999, 4000, 8000};
    for (size_t i = 0; i < 3; ++i) {
        items[i].id = "i" + std::to_string(i);
        items[i].dataset = "passage_count";
        items[i].answers = {"3"};
        items[i].length = lengths[i];
    }
    std::vector<ev::Prediction> preds = {{std::string("i0"), "3", 0}, {std::nullopt, "4", 1}, {std::nullopt, "3 3", 2}};
    ev::ScoreOptions options;
    options.length_buckets = true;
    auto report = ev::score_longbench(items, preds, options);
    ASSERT_EQ(report.groups.size(), 1u);
    EXPECT_EQ(report.groups[0].score, 66.67);
    EXPECT_EQ(report.groups[0].buckets, (std::map<std::string, double>{{"0-4k", 100.0}, {"4-8k", 0.0}, {"8k+", 100.0}}));
    EXPECT_EQ(report.average, 66.67);

    std::vector<ev::MrcrItem> mrcr(1);
    mrcr[0].answer = "PFXpoem";
    mrcr[0].random_prefix = "PFX";
    std::vector<ev::Prediction> replies = {{std::nullopt, "<|user|>PFXpoem", 0}};
    EXPECT_EQ(ev::score_mrcr(mrcr, replies, {}).groups[0].score, 0.0);  // openai's grader: no prefix at the start
    ev::ScoreOptions glyph_script;
    glyph_script.mrcr_drop_user_token = true;
    EXPECT_EQ(ev::score_mrcr(mrcr, replies, glyph_script).groups[0].score, 100.0);
}
