#include "layout/shaper.h"

#include <algorithm>

#include <hb.h>

#include "glyph/config.h"

namespace glyph {

namespace {

// Longer pieces are shaped every time: caching them would keep a copy of
// text that hardly repeats (cut pieces of endless words, for example).
constexpr size_t kCacheMaxChars = 64;

// Characters that belong to the cluster before them, so they are shaped in
// the same font as their base when it has them.
bool extends_cluster(hb_unicode_funcs_t* uf, char32_t cp) {
    if (cp == 0x200C || cp == 0x200D) return true;
    switch (hb_unicode_general_category(uf, cp)) {
        case HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK:
        case HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK:
        case HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK: return true;
        default: return false;
    }
}

bool is_real_script(hb_script_t s) {
    return s != HB_SCRIPT_COMMON && s != HB_SCRIPT_INHERITED && s != HB_SCRIPT_UNKNOWN;
}

}  // namespace

struct Shaper::Fonts {
    std::vector<hb_font_t*> fonts;  // nullptr where the file could not be read
    std::vector<double> to_em1000;  // font units to 1/1000 em
    hb_buffer_t* buffer = hb_buffer_create();
    hb_unicode_funcs_t* unicode = hb_unicode_funcs_get_default();
    // Per code point of the piece being shaped.
    std::vector<uint16_t> font_of;
    std::vector<hb_script_t> script_of;
    struct Run {
        size_t begin, end;
        uint16_t font;
        hb_script_t script;
    };
    std::vector<Run> runs;

    ~Fonts() {
        for (hb_font_t* f : fonts)
            if (f) hb_font_destroy(f);
        hb_buffer_destroy(buffer);
    }
    bool has(size_t font, char32_t cp) const {
        hb_codepoint_t g;
        return fonts[font] && hb_font_get_nominal_glyph(fonts[font], cp, &g);
    }
};

Shaper::Shaper(const std::vector<std::string>& font_paths) : fonts_(std::make_unique<Fonts>()) {
    for (const std::string& path : font_paths) {
        if (fonts_->fonts.size() > 255) break;  // ShapedGlyph::font is 8-bit
        hb_blob_t* blob = hb_blob_create_from_file_or_fail(path.c_str());
        hb_face_t* face = blob ? hb_face_create(blob, 0) : nullptr;
        hb_blob_destroy(blob);
        const bool ok = face && hb_face_get_glyph_count(face) > 0;
        if (!ok && fonts_->fonts.empty())
            throw ConfigError("config key \"font-path\": \"" + path + "\" is not a font HarfBuzz can read");
        fonts_->fonts.push_back(ok ? hb_font_create(face) : nullptr);
        fonts_->to_em1000.push_back(ok ? 1000.0 / hb_face_get_upem(face) : 0);
        hb_face_destroy(face);
    }
}

Shaper::~Shaper() = default;

void Shaper::shape_into(std::u32string_view text, bool rtl, std::vector<ShapedGlyph>& out) {
    Fonts& f = *fonts_;
    const size_t n = text.size();
    f.font_of.resize(n);
    f.script_of.resize(n);
    // Font: the first that has the character, marks with their base.
    for (size_t i = 0; i < n; ++i) {
        const char32_t cp = text[i];
        if (i > 0 && extends_cluster(f.unicode, cp) && f.has(f.font_of[i - 1], cp)) {
            f.font_of[i] = f.font_of[i - 1];
            continue;
        }
        uint16_t pick = 0;
        for (size_t k = 0; k < f.fonts.size(); ++k) {
            if (f.has(k, cp)) {
                pick = uint16_t(k);
                break;
            }
        }
        f.font_of[i] = pick;
    }
    // Script: punctuation, digits and marks take their neighbours' script.
    hb_script_t last = HB_SCRIPT_COMMON;
    for (size_t i = 0; i < n; ++i) {
        hb_script_t s = hb_unicode_script(f.unicode, text[i]);
        if (is_real_script(s)) last = s;
        f.script_of[i] = last;
    }
    for (size_t i = 0; i < n && f.script_of[i] == HB_SCRIPT_COMMON; ++i) f.script_of[i] = last;

    f.runs.clear();
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && f.font_of[j] == f.font_of[i] && f.script_of[j] == f.script_of[i]) ++j;
        f.runs.push_back({i, j, f.font_of[i], f.script_of[i]});
        i = j;
    }
    if (rtl) std::reverse(f.runs.begin(), f.runs.end());
    for (const Fonts::Run& run : f.runs) {
        hb_font_t* font = f.fonts[run.font] ? f.fonts[run.font] : f.fonts[0];
        const double scale = f.fonts[run.font] ? f.to_em1000[run.font] : f.to_em1000[0];
        const uint8_t font_index = f.fonts[run.font] ? uint8_t(run.font) : 0;
        hb_buffer_clear_contents(f.buffer);
        // The whole piece as context, so joining continues across font runs.
        hb_buffer_add_utf32(f.buffer, reinterpret_cast<const uint32_t*>(text.data()), int(n), unsigned(run.begin),
                            int(run.end - run.begin));
        hb_buffer_set_direction(f.buffer, rtl ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
        hb_buffer_set_script(f.buffer, run.script);
        hb_buffer_guess_segment_properties(f.buffer);
        hb_shape(font, f.buffer, nullptr, 0);
        unsigned count = 0;
        const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(f.buffer, &count);
        const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(f.buffer, nullptr);
        for (unsigned g = 0; g < count; ++g) {
            ShapedGlyph sg;
            sg.gid = uint16_t(info[g].codepoint);
            sg.font = font_index;
            sg.advance = float(pos[g].x_advance * scale);
            sg.x_offset = float(pos[g].x_offset * scale);
            sg.y_offset = float(pos[g].y_offset * scale);
            out.push_back(sg);
        }
    }
}

Shaper::Result Shaper::shape(std::u32string_view text, bool rtl) {
    auto sum = [](const ShapedGlyph* g, size_t n) {
        double w = 0;
        for (size_t i = 0; i < n; ++i) w += g[i].advance;
        return w;
    };
    if (text.size() > kCacheMaxChars) {
        scratch_.clear();
        shape_into(text, rtl, scratch_);
        return {scratch_.data(), scratch_.size(), sum(scratch_.data(), scratch_.size())};
    }
    auto& cache = cache_[rtl ? 1 : 0];
    auto it = cache.find(text);
    if (it == cache.end()) {
        Entry e;
        e.begin = uint32_t(store_.size());
        shape_into(text, rtl, store_);
        e.count = uint32_t(store_.size() - e.begin);
        e.width = sum(store_.data() + e.begin, e.count);
        it = cache.emplace(std::u32string(text), e).first;
    }
    return {store_.data() + it->second.begin, it->second.count, it->second.width};
}

double Shaper::char_width(char32_t cp) {
    if (cp < 0x10000) {
        if (char_widths_.empty()) char_widths_.assign(0x10000, -1.0f);
        float& w = char_widths_[cp];
        if (w < 0) w = float(shape(std::u32string_view(&cp, 1)).width);
        return w;
    }
    return shape(std::u32string_view(&cp, 1)).width;
}

}  // namespace glyph
