#include "raster/page_raster.h"

#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <ft2build.h>
#include FT_FREETYPE_H

namespace glyph {

struct GlyphRasterizer::Faces {
    FT_Library lib = nullptr;
    std::vector<FT_Face> faces;  // main font first, then fallbacks
    FT_Matrix matrix{};
    ~Faces() {
        for (FT_Face f : faces)
            if (f) FT_Done_Face(f);
        if (lib) FT_Done_FreeType(lib);
    }
};

GlyphRasterizer::GlyphRasterizer(const std::string& font_path, double pixel_size,
                                 std::vector<std::string> fallback_paths)
    : faces_(std::make_unique<Faces>()) {
    if (FT_Init_FreeType(&faces_->lib)) throw ConfigError("cannot initialise FreeType");
    // poppler sets the nearest integer pixel size and scales the rest with a transform.
    const long rounded = std::max(1L, std::lround(pixel_size));
    const double scale = pixel_size / double(rounded);
    faces_->matrix = FT_Matrix{FT_Fixed(std::lround(scale * 65536)), 0, 0, FT_Fixed(std::lround(scale * 65536))};
    std::vector<std::string> paths{font_path};
    paths.insert(paths.end(), fallback_paths.begin(), fallback_paths.end());
    for (const auto& p : paths) {
        FT_Face face;
        if (FT_New_Face(faces_->lib, p.c_str(), 0, &face)) {
            if (faces_->faces.empty()) throw ConfigError("config key \"font-path\": cannot open \"" + p + "\"");
            faces_->faces.push_back(nullptr);  // keeps the fallbacks' indices those of the list
            continue;
        }
        FT_Select_Charmap(face, FT_ENCODING_UNICODE);
        FT_Set_Pixel_Sizes(face, 0, FT_UInt(rounded));
        faces_->faces.push_back(face);
    }
}

GlyphRasterizer::~GlyphRasterizer() = default;

const GlyphBitmap& GlyphRasterizer::glyph_slow(char32_t cp, int xq) {
    int32_t* slot;
    if (cp < 0x10000) {
        // Grown in blocks up to the code points met (an English text touches one).
        if (size_t(cp) * 4 >= bmp_index_.size())
            bmp_index_.resize(std::min<size_t>(0x10000, (size_t(cp) / 0x400 + 1) * 0x400) * 4, -1);
        slot = &bmp_index_[size_t(cp) * 4 + size_t(xq & 3)];
    } else {
        slot = &astral_index_.try_emplace((uint64_t(cp) << 2) | uint64_t(xq & 3), -1).first->second;
    }
    if (*slot < 0) {
        bitmaps_.push_back(render(cp, xq & 3));
        *slot = int32_t(bitmaps_.size() - 1);
    }
    return bitmaps_[size_t(*slot)];
}

const GlyphBitmap& GlyphRasterizer::glyph_id(uint16_t font, uint32_t gid, int xq) {
    if (gid_index_.empty()) gid_index_.resize(faces_->faces.size());
    const size_t f = font < faces_->faces.size() ? font : 0;
    const FT_Face face = faces_->faces[f];
    const size_t glyphs = face ? size_t(std::max<FT_Long>(1, face->num_glyphs)) : 1;
    std::vector<int32_t>& index = gid_index_[f];
    if (index.empty()) index.assign(glyphs * 4, -1);
    if (gid >= glyphs) gid = 0;
    int32_t& slot = index[size_t(gid) * 4 + size_t(xq & 3)];
    if (slot < 0) {
        bitmaps_.push_back(render_gid(f, gid, xq & 3));
        slot = int32_t(bitmaps_.size() - 1);
    }
    return bitmaps_[size_t(slot)];
}

GlyphBitmap GlyphRasterizer::render(char32_t cp, int xq) {
    size_t font = 0;
    FT_UInt gid = FT_Get_Char_Index(faces_->faces[0], cp);
    for (size_t i = 1; gid == 0 && i < faces_->faces.size(); ++i) {
        FT_UInt g = faces_->faces[i] ? FT_Get_Char_Index(faces_->faces[i], cp) : 0;
        if (g) {
            font = i;
            gid = g;
        }
    }
    return render_gid(font, gid, xq);
}

GlyphBitmap GlyphRasterizer::render_gid(size_t font, uint32_t gid, int xq) {
    GlyphBitmap bm;
    FT_Face face = faces_->faces[font];
    if (!face) return bm;
    FT_Vector offset{FT_Pos(xq) * 16, 0};  // quarter pixels in 26.6
    FT_Set_Transform(face, &faces_->matrix, &offset);
    if (FT_Load_Glyph(face, gid, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) ||
        FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL))
        return bm;  // an empty bitmap: nothing drawn
    const FT_Bitmap& b = face->glyph->bitmap;
    bm.left = face->glyph->bitmap_left;
    bm.top = face->glyph->bitmap_top;
    bm.width = int(b.width);
    bm.height = int(b.rows);
    bm.stride = (bm.width + kBlendChunk - 1) / kBlendChunk * kBlendChunk;
    bm.coverage.assign(size_t(bm.stride) * size_t(bm.height), 0);
    for (int y = 0; y < bm.height; ++y)
        std::copy_n(b.buffer + ptrdiff_t(y) * b.pitch, bm.width, bm.coverage.data() + size_t(y) * size_t(bm.stride));
    return bm;
}

int page_pixels(double points, double dpi) { return std::max(1, int(std::ceil(points * dpi / 72.0 - 1e-9))); }

namespace {

// Splash composites onto an opaque page with a truncating division, which
// matters on tinted backgrounds (on white both roundings agree).
inline uint8_t blend(int dst, int src, int a) { return uint8_t(((255 - a) * dst + a * src) / 255); }

void blend_pixel(uint8_t* p, int channels, const uint8_t* color, int a) {
    for (int c = 0; c < channels; ++c) p[c] = blend(p[c], color[c], a);
}

// blend() over `chunks` whole chunks of a gray row, without a branch per
// pixel: a 9 pt glyph row is 5-8 pixels, mostly partly covered, so the
// per-pixel test of the plain loop mispredicts more than it saves. The
// division by 255 is exact for every 16-bit sum: x / 255 == (x * 0x8081) >> 23.
// Black ink (src 0, the presets' colour) drops the a * src term.
template <bool kBlack>
void blend_gray_chunks(uint8_t* dst, const uint8_t* cov, int chunks, int color) {
#if defined(__SSE2__)
    static_assert(kBlendChunk == 8, "one 64-bit load per chunk");
    const __m128i zero = _mm_setzero_si128(), k255 = _mm_set1_epi16(255);
    const __m128i magic = _mm_set1_epi16(int16_t(0x8081)), src = _mm_set1_epi16(int16_t(color));
    for (int k = 0; k < chunks; ++k, dst += kBlendChunk, cov += kBlendChunk) {
        const __m128i a = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(cov)), zero);
        const __m128i d = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(dst)), zero);
        __m128i x = _mm_mullo_epi16(_mm_sub_epi16(k255, a), d);
        if constexpr (!kBlack) x = _mm_add_epi16(x, _mm_mullo_epi16(a, src));
        const __m128i q = _mm_srli_epi16(_mm_mulhi_epu16(x, magic), 7);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_packus_epi16(q, zero));
    }
#else
    for (int i = 0; i < chunks * kBlendChunk; ++i) dst[i] = blend(dst[i], kBlack ? 0 : color, cov[i]);
#endif
}

// A glyph's coverage rows onto a gray page, unclipped across. The pointers,
// strides and colour are this function's locals: the page's pixels are
// bytes, whose stores could (for the compiler) change any of them, so read
// through the bitmap and the image they were reloaded on every row. A 9 pt
// glyph is one chunk wide, which gets its own loop without an inner one.
void blend_gray_rows(uint8_t* dst, size_t dst_stride, const uint8_t* cov, int cov_stride, int rows, int color) {
    const int chunks = cov_stride / kBlendChunk;
    if (color == 0 && chunks == 1) {
        for (int r = 0; r < rows; ++r, dst += dst_stride, cov += kBlendChunk) blend_gray_chunks<true>(dst, cov, 1, 0);
    } else if (color == 0) {
        for (int r = 0; r < rows; ++r, dst += dst_stride, cov += cov_stride) blend_gray_chunks<true>(dst, cov, chunks, 0);
    } else {
        for (int r = 0; r < rows; ++r, dst += dst_stride, cov += cov_stride)
            blend_gray_chunks<false>(dst, cov, chunks, color);
    }
}

// std::floor for the pen positions on a page (well inside int's range),
// without the library call or its emulation on a baseline x86-64 build.
inline int floor_int(double v) {
    const int i = int(v);
    return i - int(v < double(i));
}

// poppler's Splash rasterizer snaps the edges of filled rectangles and of
// stroked lines to whole pixels (stroke adjustment: each edge goes to the
// nearest pixel boundary, and a rectangle is never narrower than a pixel),
// so boxes and borders are crisp at any dpi.
int snap(double v) { return int(std::floor(v + 0.5)); }

void fill_rect(Image& img, double x0, double y0, double x1, double y1, Color color) {
    const uint8_t rgb[3] = {color.r, color.g, color.b};
    const uint8_t* col = rgb;
    int ix0 = snap(x0), ix1 = snap(x1), iy0 = snap(y0), iy1 = snap(y1);
    if (ix1 == ix0) ++ix1;
    if (iy1 == iy0) ++iy1;
    ix0 = std::max(ix0, 0);
    iy0 = std::max(iy0, 0);
    ix1 = std::min(ix1, img.width);
    iy1 = std::min(iy1, img.height);
    for (int y = iy0; y < iy1; ++y) {
        uint8_t* row = img.row(y);
        for (int x = ix0; x < ix1; ++x)
            for (int c = 0; c < img.channels; ++c) row[size_t(x) * size_t(img.channels) + size_t(c)] = col[c];
    }
}

}  // namespace

Image rasterize_page(const DocumentLayout& layout, int page, const RenderConfig& cfg, FontMetrics& metrics,
                     GlyphRasterizer& raster, size_t first_line, size_t end_line) {
    const bool gray = cfg.font_color.is_gray() && cfg.page_bg_color.is_gray() && cfg.para_bg_color.is_gray() &&
                      cfg.para_border_color.is_gray() &&
                      (cfg.newline_markup.rfind("<font", 0) != 0 || layout.marker_color.is_gray());
    const int channels = gray ? 1 : 3;
    const double scale = cfg.dpi / 72.0;
    const Color bg = cfg.page_bg_color;
    // A gray page is cleared once, by the constructor's fill.
    Image img(page_pixels(cfg.page_width, cfg.dpi), page_pixels(cfg.page_height, cfg.dpi), channels, bg.r);
    if (channels == 3) {
        for (size_t i = 0; i < img.pixels.size(); i += 3) {
            img.pixels[i] = bg.r;
            img.pixels[i + 1] = bg.g;
            img.pixels[i + 2] = bg.b;
        }
    }
    // reportlab draws paragraph by paragraph, each box before its text: a
    // box goes down before the first line below its top, so a later box
    // (even an empty paragraph's) covers what the text above left there.
    std::vector<const ParagraphBox*> page_boxes;
    for (const ParagraphBox& box : layout.boxes)
        if (box.page == page) page_boxes.push_back(&box);
    size_t next_box = 0;
    auto draw_box = [&](const ParagraphBox& box) {
        const double pad = cfg.border_padding;
        const double x0 = (box.x - pad) * scale, y0 = (box.top - pad) * scale;
        const double x1 = (box.x + box.width + pad) * scale, y1 = (box.top + box.height + pad) * scale;
        fill_rect(img, x0, y0, x1, y1, cfg.para_bg_color);
        if (cfg.border_width > 0) {
            const double h = cfg.border_width * scale / 2;
            fill_rect(img, x0 - h, y0 - h, x1 + h, y0 + h, cfg.para_border_color);
            fill_rect(img, x0 - h, y1 - h, x1 + h, y1 + h, cfg.para_border_color);
            fill_rect(img, x0 - h, y0 + h, x0 + h, y1 - h, cfg.para_border_color);
            fill_rect(img, x1 - h, y0 + h, x1 + h, y1 - h, cfg.para_border_color);
        }
    };
    const uint8_t text_rgb[3] = {cfg.font_color.r, cfg.font_color.g, cfg.font_color.b};
    const uint8_t marker_rgb[3] = {layout.marker_color.r, layout.marker_color.g, layout.marker_color.b};
    const double size = cfg.font_size;
    for (size_t li = first_line; li < end_line; ++li) {
        const PositionedLine& line = layout.lines[li];
        while (next_box < page_boxes.size() && page_boxes[next_box]->top < line.baseline)
            draw_box(*page_boxes[next_box++]);
        // Device coordinates exactly as poppler derives them: the page CTM
        // [s 0 0 -s 0 H*s] concatenated with the paragraph's cm, applied to
        // the text position; the float rounding decides the pixel grid.
        const double ctm_x = line.origin_x * scale;
        const double ctm_y = line.origin_y * -scale + cfg.page_height * scale;
        const int baseline = int(std::floor(line.text_y * -scale + ctm_y));
        double x = line.text_x;  // text space, points
        auto draw = [&](const GlyphBitmap& bm, int ox, int oy, const uint8_t* color) {
            const int bx0 = std::max(0, -ox), bx1 = std::min(bm.width, img.width - ox);
            const int by0 = std::max(0, -oy), by1 = std::min(bm.height, img.height - oy);
            if (channels == 1 && bx0 == 0 && bx1 == bm.width && ox + bm.stride <= img.width) {
                // Unclipped across, and the padded rows stay inside the page's rows.
                if (by1 > by0)
                    blend_gray_rows(img.row(oy + by0) + ox, img.stride(),
                                    bm.coverage.data() + size_t(by0) * size_t(bm.stride), bm.stride, by1 - by0,
                                    color[0]);
                return;
            }
            for (int by = by0; by < by1; ++by) {
                uint8_t* dst = img.row(oy + by) + size_t(ox + bx0) * size_t(channels);
                const uint8_t* cov = bm.coverage.data() + size_t(by) * size_t(bm.stride) + bx0;
                if (channels == 1) {
                    const int c = color[0];
                    for (int bx = 0; bx < bx1 - bx0; ++bx)
                        if (cov[bx]) dst[bx] = blend(dst[bx], c, cov[bx]);
                } else {
                    for (int bx = 0; bx < bx1 - bx0; ++bx, dst += 3)
                        if (cov[bx]) blend_pixel(dst, 3, color, cov[bx]);
                }
            }
        };
        if (layout.shaped) {
            const double em = size / 1000.0;
            for (uint32_t g = line.shaped_begin; g < line.shaped_end; ++g) {
                const ShapedGlyph& sg = layout.shaped_glyphs[g];
                const double xd = (x + sg.x_offset * em) * scale + ctm_x;
                const double xf = floor_int(xd);
                const GlyphBitmap& bm = raster.glyph_id(sg.font, sg.gid, int((xd - xf) * 4));
                const int dy = int(std::lround(sg.y_offset * em * scale));
                draw(bm, int(xf) + bm.left, baseline - dy - bm.top, text_rgb);
                x += sg.advance * em + (sg.space ? line.word_space : 0);
            }
            continue;
        }
        for (uint32_t g = line.glyph_begin; g < line.glyph_end; ++g) {
            const char32_t cp = layout.glyphs[g];
            const double xd = x * scale + ctm_x;
            const double xf = floor_int(xd);
            const int xq = int((xd - xf) * 4);  // xd - xf is in [0, 1): int() is floor
            const GlyphBitmap& bm = raster.glyph(cp, xq);
            draw(bm, int(xf) + bm.left, baseline - bm.top, layout.marker[g] ? marker_rgb : text_rgb);
            double advance = metrics.pdf_width1000(cp) / 1000.0 * size;
            // reportlab's justification widens no-break spaces like spaces.
            if (cp == U' ' || cp == 0xA0) advance += line.word_space;
            x += advance;
        }
    }
    while (next_box < page_boxes.size()) draw_box(*page_boxes[next_box++]);
    return img;
}

}  // namespace glyph
