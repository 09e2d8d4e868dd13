// The glyph CLI: each subcommand lives in its own cmd_<name>.cpp and adds
// itself to the app here. Subcommands are thin: parse flags, call the library.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace glyph {
class Error;
}
namespace glyph::vlm {
enum class ErrorKind;
}
namespace glyph::eval {
struct FieldMap;
}

namespace glyph::cli {

// A user-facing failure with a specific exit code (scripts rely on these);
// any other std::exception exits with 1. The message is one line.
struct CommandError : std::runtime_error {
    int exit_code;
    CommandError(int code, const std::string& message) : std::runtime_error(message), exit_code(code) {}
};

// One exit-code table for every subcommand (README, "Exit codes"): each code
// has one meaning wherever it appears, so a script can branch on it.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,       // a runtime failure not listed below
    kExitUsage = 2,         // bad flag, option value, config or input the user gave
    kExitUnreachable = 3,   // endpoint refused / unknown host / no connection
    kExitTimeout = 4,       // endpoint connected but went silent
    kExitServerError = 5,   // 5xx / 429 / dropped connections after the retries
    kExitRejected = 6,      // endpoint refused the request (4xx other than 429)
    kExitBadReply = 7,      // endpoint answered something that is not a reply
    kExitTruncated = 8,     // the answer stream stopped mid-answer
    kExitCannotListen = 9,  // serve: the address cannot be bound
    kExitNotLegible = 10,   // ocr: character error rate above --max-cer
    kExitPartial = 11,      // some items (batch, eval) failed; the others are done
    kExitInterrupted = 130, // SIGINT / SIGTERM
};
constexpr int kExitBadInput = kExitUsage;

// The exit code of an endpoint failure (3-8, 130, 2 for a bad URL).
int exit_code_of(vlm::ErrorKind kind);

// The exit code of a library error that no subcommand turned into its own:
// usage errors 2, cancellation 130, anything else 1.
int library_exit_code(const Error& e);

// Parses argv into `app` and runs the chosen subcommand: the one place that
// turns a failure into one error line and an exit code, `exit_code` for a
// glyph::Error (library_exit_code, or a program's own that knows more kinds).
int run_app(CLI::App& app, int argc, char** argv, int (*exit_code)(const Error&));

// The whole text of `path`, or of standard input when it is "-". `what`
// names the input in the error line ("input file", "--doc").
std::string read_text_input(const std::string& path, const std::string& what);

// Writes `data` to `path`, or to standard output when it is "-": whole or
// not at all (temporary name, then rename), missing parent folders created.
void write_text_output(const std::string& path, const std::string& data, const std::string& what);

// Each returns after registering its subcommand; the callback it installs
// runs the command and throws on user error (main turns that into one line).
void add_render_command(CLI::App& app);
void add_stats_command(CLI::App& app);
void add_ocr_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_ask_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_search_command(CLI::App& app);
// eval's subcommands beside `score` (cmd_eval_run.cpp).
void add_eval_run_command(CLI::App& eval_cmd);
void add_eval_report_command(CLI::App& eval_cmd);
// eval's --field NAME=COLUMN flags; a name that is no known column is a usage error.
eval::FieldMap parse_field_flags(const std::vector<std::string>& specs);
void add_eval_generate_command(CLI::App& eval_cmd);  // under `eval`, from add_eval_command

}  // namespace glyph::cli
