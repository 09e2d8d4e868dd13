// glyph: render long texts into pages a VLM reads, count the saving, ask a VLM.
#include <cstdio>
#include <exception>
#include <string>

#include "commands.h"
#include "glyph/ocr.h"

int main(int argc, char** argv) {
    glyph::limit_tesseract_threads(argv);  // may re-execute: OpenMP settings only apply at start
    CLI::App app{"glyph: visual-text compression for long-context VLMs"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("glyph 0.1.0"));
    glyph::cli::add_render_command(app);
    glyph::cli::add_stats_command(app);
    glyph::cli::add_ocr_command(app);
    glyph::cli::add_tokenize_command(app);
    glyph::cli::add_serve_command(app);
    glyph::cli::add_ask_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const glyph::cli::CommandError& e) {
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return e.exit_code;
    } catch (const std::exception& e) {
        // User errors arrive here as exceptions with a one-line message.
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
