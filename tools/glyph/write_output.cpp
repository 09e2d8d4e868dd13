// Writing a subcommand's output file: standard output for "-", else a file
// written whole under a temporary name, its missing parent folders created.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "glyph/encode.h"

namespace glyph::cli {

void write_text_output(const std::string& path, const std::string& data, const std::string& what) {
    if (path == "-") {
        if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0)
            throw CommandError(kExitFailure, "cannot write " + what + " to standard output");
        return;
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw CommandError(kExitUsage, what + " " + path + " is a folder, not a file");
    const fs::path parent = fs::absolute(fs::path(path), ec).parent_path();
    fs::create_directories(parent, ec);
    if (!fs::is_directory(parent, ec))
        throw CommandError(kExitUsage, "cannot create the folder " + parent.string() + " for " + what + " " + path);
    try {
        write_file_atomic(path, data.data(), data.size());
    } catch (const std::exception& e) {
        throw CommandError(kExitFailure, e.what());
    }
}

}  // namespace glyph::cli
