#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace glyph::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
    std::random_device rd;
    fs::path base = fs::temp_directory_path() / "glyph-tests";
    fs::create_directories(base);
    for (;;) {
        std::string name = "t";
        name += std::to_string(getpid());
        name += '-';
        name += std::to_string(rd());
        fs::path p = base / name;
        if (fs::create_directory(p)) {
            path = p.string();
            return;
        }
    }
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
    std::vector<nlohmann::json> rows;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
    return rows;
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    return q + "'";
}

CommandResult run_command(const std::string& command_line, const std::string* stdin_text) {
    TempDir tmp;
    std::string in = "/dev/null";
    if (stdin_text) {
        in = tmp.file("stdin");
        write_file(in, *stdin_text);
    }
    const std::string full = command_line + " <" + shell_quote(in) + " >" + shell_quote(tmp.file("out")) +
                             " 2>" + shell_quote(tmp.file("err"));
    int status = std::system(full.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    r.out = read_file(tmp.file("out"));
    r.err = read_file(tmp.file("err"));
    return r;
}

CommandResult run_glyph(const std::string& args, const std::string* stdin_text) {
    return run_command(shell_quote(GLYPH_CLI) + " " + args, stdin_text);
}

std::string repo_path(const std::string& relative) { return std::string(GLYPH_SOURCE_DIR) + "/" + relative; }

std::string shared_path(const std::string& relative) {
    fs::path p = fs::path(GLYPH_SOURCE_DIR).parent_path() / "shared" / relative;
    return fs::exists(p) ? p.string() : std::string();
}

}  // namespace glyph::test
