// Clean mode: the reference page geometry, typeset properly. Unicode line
// breaking (ICU, UAX #14: CJK rules apply only around CJK characters),
// source newlines as hard breaks, whitespace kept as typed (tabs to 4-space
// stops), continuous pagination without the reference's 30-line paragraph
// quirks, and characters the font lacks measured in the fallback font that
// draws them.
#include <algorithm>
#include <memory>

#include <unicode/brkiter.h>
#include <unicode/unistr.h>

#include "layout/page_layout.h"

namespace glyph {

namespace {

constexpr double kFramePadding = 6;
constexpr int kTabStop = 4;

struct Segment {
    size_t begin, end;     // chars [begin, end) including trailing spaces
    size_t ink_end;        // end of the non-space part
    double width = 0;      // through ink_end
    double trailing = 0;   // width of the trailing spaces
    bool hard_break = false;  // a newline follows
};

bool is_space(char32_t c) { return c == U' ' || c == U'\t' || c == 0xA0 || c == 0x3000; }

}  // namespace

DocumentLayout layout_clean(const SourceText& text, const RenderConfig& cfg, FontMetrics& font) {
    DocumentLayout doc;
    const double leading = cfg.leading();
    const double size = cfg.font_size;
    const double avail_w = cfg.page_width - 2 * cfg.margin_x - 2 * kFramePadding;
    const double line_w_first = avail_w - cfg.left_indent - cfg.first_line_indent - cfg.right_indent;
    const double line_w = avail_w - cfg.left_indent - cfg.right_indent;
    const double top_baseline = cfg.margin_y + kFramePadding + size;  // from the page top
    const double text_h = cfg.page_height - 2 * cfg.margin_y - 2 * kFramePadding;
    const int lines_per_page = std::max(1, int(text_h / leading));

    // Tabs become spaces up to the next stop, counted from the line start.
    std::u32string chars;
    std::vector<uint32_t> src;
    chars.reserve(text.chars.size());
    size_t column = 0;
    for (size_t i = 0; i < text.chars.size(); ++i) {
        char32_t c = text.chars[i];
        if (c == U'\t') {
            size_t n = kTabStop - column % kTabStop;
            for (size_t k = 0; k < n; ++k, ++column) {
                chars.push_back(U' ');
                src.push_back(text.offsets[i]);
            }
            continue;
        }
        if (c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029) c = U'\n';
        column = c == U'\n' ? 0 : column + 1;
        chars.push_back(c);
        src.push_back(text.offsets[i]);
    }
    src.push_back(text.offsets.back());

    auto width = [&](size_t b, size_t e) {
        double sum = 0;
        for (size_t i = b; i < e; ++i) sum += font.width1000(chars[i]);
        return sum * size / 1000.0;
    };

    // Break opportunities from ICU over UTF-16, mapped back to code points.
    icu::UnicodeString u16;
    std::vector<size_t> u16_to_cp;
    for (size_t i = 0; i < chars.size(); ++i) {
        const int32_t before = u16.length();
        u16.append(UChar32(chars[i]));
        for (int32_t k = before; k < u16.length(); ++k) u16_to_cp.push_back(i);
    }
    u16_to_cp.push_back(chars.size());
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createLineInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) throw ConfigError("ICU line breaking is unavailable");
    it->setText(u16);
    std::vector<Segment> segs;
    size_t prev = 0;
    for (int32_t b = it->next(); b != icu::BreakIterator::DONE; b = it->next()) {
        const size_t end = u16_to_cp[size_t(b)];
        if (end <= prev) continue;
        Segment s{prev, end, end};
        size_t content_end = end;
        if (chars[content_end - 1] == U'\n') {
            s.hard_break = true;
            --content_end;
        }
        size_t ink = content_end;
        while (ink > prev && is_space(chars[ink - 1])) --ink;
        s.ink_end = ink;
        s.end = content_end;
        s.width = width(prev, ink);
        s.trailing = width(ink, content_end);
        segs.push_back(s);
        prev = end;
    }

    int page = 0, line_on_page = 0;
    bool para_start = true;
    auto emit = [&](size_t b, size_t e, double natural, bool last_of_para) {
        PositionedLine pl;
        pl.page = page;
        pl.baseline = top_baseline + line_on_page * leading;
        pl.origin_x = cfg.margin_x + kFramePadding;
        pl.origin_y = cfg.page_height - pl.baseline;
        pl.text_y = 0;
        const double indent = cfg.left_indent + (para_start ? cfg.first_line_indent : 0);
        const double max_w = para_start ? line_w_first : line_w;
        const double extra = max_w - natural;
        double x = indent, tw = 0;
        int spaces = 0;
        for (size_t i = b; i < e; ++i) spaces += chars[i] == U' ';
        switch (cfg.alignment) {
            case Alignment::Left: break;
            case Alignment::Center: x += extra / 2; break;
            case Alignment::Right: x += extra; break;
            case Alignment::Justify:
                if (!last_of_para && spaces > 0 && extra > 0) tw = extra / spaces;
                break;
        }
        pl.text_x = x;
        pl.x = pl.origin_x + x;
        pl.word_space = tw;
        pl.glyph_begin = uint32_t(doc.glyphs.size());
        size_t wb = doc.glyphs.size();
        for (size_t i = b; i < e; ++i) {
            if (chars[i] == U' ') {
                if (doc.glyphs.size() > wb) pl.words.push_back({uint32_t(wb), uint32_t(doc.glyphs.size())});
                doc.glyphs.push_back(U' ');
                doc.marker.push_back(0);
                wb = doc.glyphs.size();
                continue;
            }
            doc.glyphs.push_back(chars[i]);
            doc.marker.push_back(0);
        }
        if (doc.glyphs.size() > wb) pl.words.push_back({uint32_t(wb), uint32_t(doc.glyphs.size())});
        pl.glyph_end = uint32_t(doc.glyphs.size());
        pl.src_begin = src[b];
        pl.src_end = src[e];
        doc.lines.push_back(std::move(pl));
        para_start = last_of_para;
        if (++line_on_page >= lines_per_page) {
            ++page;
            line_on_page = 0;
        }
    };

    size_t line_begin = 0, line_ink_end = 0;
    double used = 0;      // through the last segment's trailing spaces
    double ink_used = 0;  // through the last segment's ink: the line's natural width
    bool line_empty = true;
    auto max_width = [&] { return para_start ? line_w_first : line_w; };
    auto flush = [&](bool last_of_para) {
        emit(line_begin, line_ink_end, ink_used, last_of_para);
        used = ink_used = 0;
        line_empty = true;
    };
    for (Segment s : segs) {
        if (!line_empty && used + s.width > max_width()) flush(false);
        if (line_empty) line_begin = s.begin;
        // A segment wider than a whole line is cut between characters.
        while (line_empty && s.width > max_width() && s.ink_end > s.begin + 1) {
            size_t cut = s.begin;
            double w = 0;
            for (; cut < s.ink_end; ++cut) {
                const double cw = font.width1000(chars[cut]) * size / 1000.0;
                if (w + cw > max_width() && cut > s.begin) break;
                w += cw;
            }
            line_begin = s.begin;
            line_ink_end = cut;
            ink_used = w;
            flush(false);
            s.begin = cut;
            s.width = width(cut, s.ink_end);
            line_begin = cut;
        }
        ink_used = used + s.width;
        used = ink_used + s.trailing;
        line_ink_end = s.ink_end;
        line_empty = false;
        if (s.hard_break) flush(true);
    }
    if (!line_empty) flush(true);
    doc.page_count = doc.lines.empty() ? 1 : doc.lines.back().page + 1;
    return doc;
}

}  // namespace glyph
