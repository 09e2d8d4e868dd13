#include "util/fonts.h"

#include <filesystem>
#include <mutex>

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include "glyph/error.h"

namespace glyph {
namespace fs = std::filesystem;

namespace {
std::once_flag fc_once;
void init_fontconfig() { std::call_once(fc_once, [] { FcInit(); }); }

std::string fc_match(FcPattern* pattern) {
    FcConfigSubstitute(nullptr, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);
    FcResult result;
    FcPattern* match = FcFontMatch(nullptr, pattern, &result);
    std::string path;
    FcChar8* file = nullptr;
    if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) path = reinterpret_cast<char*>(file);
    if (match) FcPatternDestroy(match);
    return path;
}
}  // namespace

std::string find_font_file(const std::vector<std::string>& names, const std::string& family) {
    static const char* dirs[] = {"/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/wqy",
                                 "/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype"};
    for (const auto& n : names)
        for (const char* d : dirs)
            if (fs::exists(fs::path(d) / n)) return (fs::path(d) / n).string();
    init_fontconfig();
    FcPattern* p = FcNameParse(reinterpret_cast<const FcChar8*>(family.c_str()));
    std::string path = fc_match(p);
    FcPatternDestroy(p);
    if (path.empty()) throw ConfigError("font \"" + family + "\" is not installed; run scripts/setup.sh");
    return path;
}

void check_font_file(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw ConfigError("config key \"font-path\": \"" + path + "\" does not exist or is not a file");
    FT_Library lib;
    if (FT_Init_FreeType(&lib)) throw ConfigError("cannot initialise FreeType");
    FT_Face face;
    FT_Error err = FT_New_Face(lib, path.c_str(), 0, &face);
    if (!err) FT_Done_Face(face);
    FT_Done_FreeType(lib);
    if (err) throw ConfigError("config key \"font-path\": \"" + path + "\" is not a font FreeType can read (TTF/OTF/TTC)");
}

std::vector<std::string> fallback_font_files() {
    static const char* candidates[] = {
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        // fonts-noto-core, when installed: Indic and Thai scripts (DejaVu has
        // Arabic and Hebrew).
        "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansTamil-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
    };
    std::vector<std::string> out;
    std::error_code ec;
    for (const char* c : candidates)
        if (fs::is_regular_file(c, ec)) out.push_back(c);
    return out;
}

}  // namespace glyph
