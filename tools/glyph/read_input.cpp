// Reading a subcommand's text input: a file, or standard input for "-". The
// read is capped (GLYPH_MAX_INPUT_MB, default 1024) so that /dev/zero, a
// never-ending pipe or a mistaken device stops with one line, not an OOM kill.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "commands.h"

namespace glyph::cli {

namespace {

constexpr double kDefaultMaxInputMiB = 1024;

double max_input_mib() {
    const char* env = std::getenv("GLYPH_MAX_INPUT_MB");
    if (!env || !*env) return kDefaultMaxInputMiB;
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (*end != '\0' || !(v > 0) || v > 1e7)
        throw CommandError(kExitUsage, std::string("GLYPH_MAX_INPUT_MB must be a positive number of MiB, got \"") +
                                           std::string(env).substr(0, 40) + "\"");
    return v;
}

// Reads `in` to its end, or throws once more than the cap has arrived.
std::string read_capped(std::FILE* in, const std::string& name) {
    const double cap_mib = max_input_mib();
    const size_t cap = size_t(cap_mib * 1024 * 1024);
    std::string text;
    char block[1 << 16];
    for (;;) {
        const size_t n = std::fread(block, 1, sizeof block, in);
        if (n > 0) {
            if (text.size() + n > cap) {
                char shown[32];
                std::snprintf(shown, sizeof shown, "%g", cap_mib);
                throw CommandError(kExitBadInput, name + " is larger than " + shown +
                                                      " MiB, the input cap (raise it with GLYPH_MAX_INPUT_MB)");
            }
            text.append(block, n);
        }
        if (n < sizeof block) {
            if (std::ferror(in)) throw CommandError(kExitBadInput, "cannot read " + name + " to the end: " +
                                                                       std::strerror(errno));
            return text;
        }
    }
}

}  // namespace

std::string read_text_input(const std::string& path, const std::string& what) {
    if (path == "-") return read_capped(stdin, what + " (standard input)");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw CommandError(kExitBadInput, what + " " + path + " is a folder, not a text file");
    std::FILE* in = std::fopen(path.c_str(), "rb");
    if (!in) throw CommandError(kExitBadInput, "cannot read " + what + " " + path);
    try {
        std::string text = read_capped(in, what + " " + path);
        std::fclose(in);
        return text;
    } catch (...) {
        std::fclose(in);
        throw;
    }
}

}  // namespace glyph::cli
