// glyph: render long texts into pages a VLM reads, count the saving, ask a VLM.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "commands.h"
#include "glyph/error.h"
#include "glyph/ocr.h"
#include "glyph/version.h"
#include "glyph/vlm.h"

namespace {
// The exit code for a library error that no subcommand turned into its own.
int exit_code_of(const glyph::Error& e) {
    if (glyph::is_usage_error(e.kind())) return glyph::cli::kExitUsage;
    if (e.kind() == glyph::ErrorKind::Cancelled) return glyph::cli::kExitInterrupted;
    if (const auto* endpoint = dynamic_cast<const glyph::vlm::VlmError*>(&e))
        return glyph::cli::exit_code_of(endpoint->kind);
    return glyph::cli::kExitFailure;
}

// render, tokenize and stats never run tesseract, so they skip the re-exec
// that caps its OpenMP threads: a second process start (~25 ms of dynamic
// linking) is a tenth of rendering a novel.
bool never_runs_ocr(int argc, char** argv) {
    if (argc < 2) return false;
    const std::string_view command = argv[1];
    return command == "render" || command == "tokenize" || command == "stats";
}

}  // namespace

int main(int argc, char** argv) {
    // may re-execute: OpenMP settings only apply at start
    if (!never_runs_ocr(argc, argv)) glyph::limit_tesseract_threads(argv);
    CLI::App app{"glyph: visual-text compression for long-context VLMs", "glyph"};
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", std::string("glyph ") + GLYPH_VERSION);
    glyph::cli::add_render_command(app);
    glyph::cli::add_stats_command(app);
    glyph::cli::add_ocr_command(app);
    glyph::cli::add_tokenize_command(app);
    glyph::cli::add_serve_command(app);
    glyph::cli::add_ask_command(app);
    glyph::cli::add_eval_command(app);
    glyph::cli::add_search_command(app);
    if (argc == 1) {
        std::fputs(app.help().c_str(), stdout);
        return glyph::cli::kExitOk;
    }
    try {
        app.parse(argc, argv);
        if (app.get_subcommands().empty()) throw CLI::RequiredError("a subcommand");
    } catch (const CLI::Success& e) {  // --help, --version
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // CLI11's own codes (100+) would mean something else in every
        // subcommand; a usage error is 2 everywhere, with our prefix.
        std::fprintf(stderr, "glyph: error: %s (see glyph --help)\n", e.what());
        return glyph::cli::kExitUsage;
    } catch (const glyph::cli::CommandError& e) {
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return e.exit_code;
    } catch (const glyph::Error& e) {
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return exit_code_of(e);
    } catch (const std::exception& e) {
        // User errors arrive here as exceptions with a one-line message.
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return glyph::cli::kExitFailure;
    }
    return glyph::cli::kExitOk;
}
