// Finding font files on this machine (fontconfig) and checking that a path is a font.
#pragma once

#include <string>
#include <vector>

namespace glyph {

// First existing file among well-known Debian font paths with these file
// names, else fontconfig's match for `family`. Throws ConfigError if none.
std::string find_font_file(const std::vector<std::string>& file_names, const std::string& family);

// Throws ConfigError if the path does not exist or FreeType cannot open it.
void check_font_file(const std::string& path);

// Font files tried, in order, for characters the main font lacks (clean
// mode): Debian's Latin, CJK, Indic and Thai fonts that are installed.
std::vector<std::string> fallback_font_files();

}  // namespace glyph
