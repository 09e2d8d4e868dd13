// The glyph CLI: each subcommand lives in its own cmd_<name>.cpp and adds
// itself to the app here. Subcommands are thin: parse flags, call the library.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace glyph::cli {

// A user-facing failure with a specific exit code (scripts rely on these);
// any other std::exception exits with 1. The message is one line.
struct CommandError : std::runtime_error {
    int exit_code;
    CommandError(int code, const std::string& message) : std::runtime_error(message), exit_code(code) {}
};

// Exit code for input the command cannot use (unreadable file, bad option
// value); scripts tell it apart from internal errors (1).
constexpr int kExitBadInput = 2;

// The whole text of `path`, or of standard input when it is "-". `what`
// names the input in the error line ("input file", "--doc").
std::string read_text_input(const std::string& path, const std::string& what);

// Each returns after registering its subcommand; the callback it installs
// runs the command and throws on user error (main turns that into one line).
void add_render_command(CLI::App& app);
void add_stats_command(CLI::App& app);
void add_ocr_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_ask_command(CLI::App& app);

}  // namespace glyph::cli
