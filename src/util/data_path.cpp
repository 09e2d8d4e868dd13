#include "glyph/data_path.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

// The build passes these three for this file alone (CMakeLists.txt), so no
// consumer's compile line carries glyph's paths.
#ifndef GLYPH_INSTALL_DATA_DIR
#error "GLYPH_INSTALL_DATA_DIR must be defined by the build"
#endif

namespace glyph {

namespace fs = std::filesystem;

namespace {

// <folder of the running program>/GLYPH_PROGRAM_DATA_DIR, or "" when Linux
// cannot tell where the program is.
std::string beside_program() {
    std::error_code ec;
    const fs::path program = fs::read_symlink("/proc/self/exe", ec);
    if (ec || program.empty()) return {};
    return (program.parent_path() / GLYPH_PROGRAM_DATA_DIR).lexically_normal().string();
}

}  // namespace

std::vector<std::string> data_dirs() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("GLYPH_DATA_DIR"); env && *env) dirs.emplace_back(env);
    dirs.emplace_back(GLYPH_INSTALL_DATA_DIR);
    if (std::string program = beside_program(); !program.empty() && program != dirs.back())
        dirs.push_back(std::move(program));
    std::error_code ec;
    if (fs::is_directory(GLYPH_SOURCE_DATA_DIR, ec)) dirs.emplace_back(GLYPH_SOURCE_DATA_DIR);
    return dirs;
}

std::string find_data_file(std::string_view relative) {
    for (const std::string& dir : data_dirs()) {
        const fs::path candidate = fs::path(dir) / relative;
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) return candidate.string();
    }
    return {};
}

std::string data_dirs_line() {
    std::string line;
    for (const std::string& dir : data_dirs()) line += (line.empty() ? "" : ", ") + dir;
    return line;
}

}  // namespace glyph
