#include "layout/font_metrics.h"

#include <algorithm>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_ADVANCES_H
#include FT_TRUETYPE_TABLES_H

#include "glyph/config.h"
#include "layout/page_layout.h"

namespace glyph {

struct FontMetrics::Face {
    FT_Library lib = nullptr;
    FT_Face face = nullptr;
    std::vector<FT_Face> fallbacks;
    double notdef_width = 0;
    ~Face() {
        for (FT_Face f : fallbacks) FT_Done_Face(f);
        if (face) FT_Done_Face(face);
        if (lib) FT_Done_FreeType(lib);
    }
};

FontMetrics::FontMetrics(const std::string& path, const std::vector<std::string>& fallback_paths)
    : face_(std::make_unique<Face>()), path_(path), fallback_paths_(fallback_paths) {
    if (FT_Init_FreeType(&face_->lib)) throw ConfigError("cannot initialise FreeType");
    if (FT_New_Face(face_->lib, path.c_str(), 0, &face_->face))
        throw ConfigError("config key \"font-path\": \"" + path + "\" is not a font FreeType can read");
    FT_Select_Charmap(face_->face, FT_ENCODING_UNICODE);
    for (const auto& fp : fallback_paths) {
        FT_Face f;
        if (FT_New_Face(face_->lib, fp.c_str(), 0, &f)) continue;
        FT_Select_Charmap(f, FT_ENCODING_UNICODE);
        face_->fallbacks.push_back(f);
    }
    FT_Fixed adv = 0;
    FT_Get_Advance(face_->face, 0, FT_LOAD_NO_SCALE, &adv);
    face_->notdef_width = double(adv) * 1000.0 / face_->face->units_per_EM;
    const auto* os2 = static_cast<const TT_OS2*>(FT_Get_Sfnt_Table(face_->face, FT_SFNT_OS2));
    const double ascent_units = os2 && os2->version != 0xFFFF ? os2->sTypoAscender : face_->face->ascender;
    ascent_ = ascent_units * 1000.0 / face_->face->units_per_EM;
}

namespace {

// The widths cache covers the Basic Multilingual Plane (nearly all text; the
// rest is looked up each time), grown in blocks up to the code points met:
// an English text touches one block instead of 0.5 MB a table.
constexpr char32_t kCachedPlane = 0x10000, kCacheBlock = 0x400;

void remember(std::vector<double>& cache, char32_t cp, double w) {
    if (cp >= kCachedPlane) return;
    if (cp >= cache.size()) cache.resize(std::min<size_t>(kCachedPlane, (size_t(cp) / kCacheBlock + 1) * kCacheBlock), -1.0);
    cache[cp] = w;
}

}  // namespace

FontMetrics::~FontMetrics() = default;

bool FontMetrics::has_glyph(char32_t cp) const { return FT_Get_Char_Index(face_->face, cp) != 0; }

bool FontMetrics::covers(char32_t cp) const {
    if (has_glyph(cp)) return true;
    for (FT_Face f : face_->fallbacks)
        if (FT_Get_Char_Index(f, cp) != 0) return true;
    return false;
}

double FontMetrics::lookup(char32_t cp) const {
    FT_Face face = face_->face;
    FT_UInt gid = FT_Get_Char_Index(face, cp);
    for (size_t i = 0; gid == 0 && i < face_->fallbacks.size(); ++i) {
        FT_UInt g = FT_Get_Char_Index(face_->fallbacks[i], cp);
        if (g) {
            face = face_->fallbacks[i];
            gid = g;
        }
    }
    double w = face_->notdef_width;
    if (gid) {
        FT_Fixed adv = 0;
        FT_Get_Advance(face, gid, FT_LOAD_NO_SCALE, &adv);
        w = double(adv) * 1000.0 / face->units_per_EM;
    }
    remember(widths_, cp, w);
    return w;
}

double FontMetrics::lookup_pdf(char32_t cp) const {
    const double w = pdf_number(width1000(cp));
    remember(pdf_widths_, cp, w);
    return w;
}

}  // namespace glyph
