// glyph-full: every glyph command. `glyph` (launcher.cpp) runs render,
// tokenize and stats itself and executes this program for the others.
#include <string>

#include "commands.h"
#include "glyph/error.h"
#include "glyph/ocr.h"
#include "glyph/version.h"
#include "glyph/vlm.h"

namespace {

int exit_code_of(const glyph::Error& e) {
    if (const auto* endpoint = dynamic_cast<const glyph::vlm::VlmError*>(&e))
        return glyph::cli::exit_code_of(endpoint->kind);
    return glyph::cli::library_exit_code(e);
}

}  // namespace

int main(int argc, char** argv) {
    glyph::limit_tesseract_threads(argv);  // may re-execute: OpenMP settings only apply at start
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
    return glyph::cli::run_app(app, argc, argv, exit_code_of);
}
