// The CLI's input cap: endless or huge inputs (/dev/zero, a pipe that never
// ends) stop with one line naming the cap instead of reading until OOM.
#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

using glyph::test::run_command;
using glyph::test::shell_quote;

namespace {

glyph::test::CommandResult glyph_with_cap(const std::string& cap, const std::string& args) {
    return run_command("GLYPH_MAX_INPUT_MB=" + cap + " " + shell_quote(GLYPH_CLI) + " " + args);
}

size_t lines(const std::string& s) {
    size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace

TEST(InputCap, DevZeroStopsWithOneLineNamingTheCap) {
    glyph::test::TempDir dir;
    for (const std::string sub : {"tokenize", "render"}) {
        const auto r = glyph_with_cap(
            "2", sub + " /dev/zero" + (sub == "render" ? " --preset en --out " + shell_quote(dir.file("o")) : ""));
        EXPECT_EQ(r.exit_code, 2) << sub << ": " << r.err;
        EXPECT_EQ(lines(r.err), 1u) << r.err;
        EXPECT_NE(r.err.find("glyph: error:"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("2 MiB"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("GLYPH_MAX_INPUT_MB"), std::string::npos) << r.err;
    }
}

TEST(InputCap, StandardInputIsCappedTooAndTheCapIsChecked) {
    // In a subshell: run_command gives the whole line /dev/null as its input.
    const auto piped = run_command("(head -c 3000000 /dev/zero | GLYPH_MAX_INPUT_MB=1 " + shell_quote(GLYPH_CLI) +
                                   " tokenize -)");
    EXPECT_EQ(piped.exit_code, 2) << piped.err;
    EXPECT_NE(piped.err.find("standard input"), std::string::npos) << piped.err;
    const auto bad = glyph_with_cap("lots", "tokenize /dev/zero");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("GLYPH_MAX_INPUT_MB must be"), std::string::npos) << bad.err;
    // Under the cap, input is read as before.
    const auto ok = run_command("(printf 'hello world' | GLYPH_MAX_INPUT_MB=1 " + shell_quote(GLYPH_CLI) +
                                " tokenize -)");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}
