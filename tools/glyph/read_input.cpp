// Reading a subcommand's text input: a file, or standard input for "-".
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"

namespace glyph::cli {

std::string read_text_input(const std::string& path, const std::string& what) {
    std::stringstream ss;
    if (path == "-") {
        ss << std::cin.rdbuf();
        return ss.str();
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw CommandError(kExitBadInput, what + " " + path + " is a folder, not a text file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError(kExitBadInput, "cannot read " + what + " " + path);
    ss << in.rdbuf();
    if (in.bad()) throw CommandError(kExitBadInput, "cannot read " + what + " " + path + " to the end");
    return ss.str();
}

}  // namespace glyph::cli
