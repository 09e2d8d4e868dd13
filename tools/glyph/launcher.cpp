// glyph: render long texts into pages a VLM reads, count the saving, ask a VLM.
//
// This program links only the renderer and the tokenizers, and runs render,
// tokenize and stats itself; for every other command (and glyph --help) it
// executes glyph-full, found beside it, with the same arguments. The OCR,
// HTTP and VLM commands need some sixty more shared libraries (Tesseract,
// curl, TLS, Kerberos, ...), whose loading and relocation cost about 8 ms
// per process: as much as rendering 5 pages, paid by every `glyph render`.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "commands.h"
#include "glyph/ocr.h"

namespace {

bool runs_here(int argc, char** argv) {
    if (argc < 2) return false;
    const std::string_view command = argv[1];
    return command == "render" || command == "tokenize" || command == "stats";
}

[[noreturn]] void run_full_program(char** argv) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        std::fprintf(stderr, "glyph: error: cannot tell where this program is (/proc/self/exe: %s), so cannot find glyph-full\n",
                     ec.message().c_str());
        std::exit(glyph::cli::kExitFailure);
    }
    const std::string full = (self.parent_path() / "glyph-full").string();
    // glyph-full caps Tesseract's OpenMP threads by re-executing itself
    // unless the variable is set: set here, the one exec does.
    glyph::set_tesseract_thread_limit();
    ::execv(full.c_str(), argv);
    std::fprintf(stderr, "glyph: error: cannot run %s (%s); it is built and installed with glyph\n", full.c_str(),
                 std::strerror(errno));
    std::exit(glyph::cli::kExitFailure);
}

}  // namespace

int main(int argc, char** argv) {
    if (!runs_here(argc, argv)) run_full_program(argv);
    CLI::App app{"glyph: visual-text compression for long-context VLMs", "glyph"};
    app.require_subcommand(1, 1);
    glyph::cli::add_render_command(app);
    glyph::cli::add_stats_command(app);
    glyph::cli::add_tokenize_command(app);
    return glyph::cli::run_app(app, argc, argv, glyph::cli::library_exit_code);
}
