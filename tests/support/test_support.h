// Helpers shared by the tests: temporary folders, running the CLI, reading files.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace glyph::test {

// A fresh folder under the build's temp dir, removed when the object dies.
struct TempDir {
    std::string path;
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return path + "/" + name; }
};

struct CommandResult {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs a shell command line; stdin comes from /dev/null unless `stdin_text` is set.
CommandResult run_command(const std::string& command_line, const std::string* stdin_text = nullptr);

// Runs the glyph CLI built with the tests with these (already shell-quoted) arguments.
CommandResult run_glyph(const std::string& args, const std::string* stdin_text = nullptr);

std::string read_file(const std::string& path);
// The rows of a JSONL file, blank lines skipped (a missing file: none).
std::vector<nlohmann::json> read_jsonl(const std::string& path);
void write_file(const std::string& path, const std::string& content);
std::string shell_quote(const std::string& s);

// Path of a file in the repository (e.g. "samples/novel_excerpt.txt").
std::string repo_path(const std::string& relative);
// Path of ../shared next to the repository, or "" if it is not there.
std::string shared_path(const std::string& relative);

}  // namespace glyph::test
