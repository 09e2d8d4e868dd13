// Advance widths of one font as reportlab measures them: the font's plain
// advance widths in 1/1000 em (no kerning, no shaping), with the .notdef
// width for characters the font lacks.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace glyph {

class FontMetrics {
public:
    // `fallback_paths`: fonts whose widths are used, in order, for characters
    // the main font lacks; empty keeps .notdef widths. The clean layout
    // shapes with the same files (fallback_paths()).
    explicit FontMetrics(const std::string& font_path, const std::vector<std::string>& fallback_paths = {});
    ~FontMetrics();
    FontMetrics(const FontMetrics&) = delete;
    FontMetrics& operator=(const FontMetrics&) = delete;

    // Advance in 1/1000 em (reportlab's charWidths).
    double width1000(char32_t cp) const {
        if (cp < widths_.size()) {
            double w = widths_[cp];
            if (w >= 0) return w;
        }
        return lookup(cp);
    }
    // The advance as written into the reference PDF's /Widths (reportlab
    // rounds it), which is what the rasterizer advances by.
    double pdf_width1000(char32_t cp) const {
        if (cp < pdf_widths_.size()) {
            double w = pdf_widths_[cp];
            if (w >= 0) return w;
        }
        return lookup_pdf(cp);
    }
    bool has_glyph(char32_t cp) const;
    // The main font or one of the fallbacks draws cp (else it prints as a box).
    bool covers(char32_t cp) const;
    // The ascent reportlab writes into the PDF font descriptor, in 1/1000 em
    // (OS/2 typographic ascender, else hhea); pdftotext places lines with it.
    double ascent1000() const { return ascent_; }
    const std::string& path() const { return path_; }
    const std::vector<std::string>& fallback_paths() const { return fallback_paths_; }

private:
    double lookup(char32_t cp) const;
    double lookup_pdf(char32_t cp) const;
    struct Face;
    std::unique_ptr<Face> face_;
    std::string path_;
    std::vector<std::string> fallback_paths_;
    double ascent_ = 0;
    mutable std::vector<double> widths_;      // -1: not looked up yet
    mutable std::vector<double> pdf_widths_;  // likewise
};

}  // namespace glyph
