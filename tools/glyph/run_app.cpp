#include <cstdio>
#include <exception>

#include "commands.h"
#include "glyph/error.h"

namespace glyph::cli {

int library_exit_code(const Error& e) {
    if (is_usage_error(e.kind())) return kExitUsage;
    if (e.kind() == ErrorKind::Cancelled) return kExitInterrupted;
    return kExitFailure;
}

int run_app(CLI::App& app, int argc, char** argv, int (*exit_code)(const Error&)) {
    if (argc == 1) {
        std::fputs(app.help().c_str(), stdout);
        return kExitOk;
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
        return kExitUsage;
    } catch (const CommandError& e) {
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return e.exit_code;
    } catch (const Error& e) {
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return exit_code(e);
    } catch (const std::exception& e) {
        // User errors arrive here as exceptions with a one-line message.
        std::fprintf(stderr, "glyph: error: %s\n", e.what());
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace glyph::cli
