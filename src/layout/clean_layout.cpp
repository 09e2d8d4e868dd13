// Clean mode: the reference page geometry, typeset properly. Unicode line
// breaking (ICU, UAX #14: CJK rules apply only around CJK characters),
// source newlines as hard breaks, whitespace kept as typed (tabs to stops
// every tab-spaces columns, 4 when that key is 0), continuous pagination without the reference's 30-line paragraph
// quirks. Text is shaped with HarfBuzz (layout/shaper.h): kerning,
// ligatures, joining and marks, characters the font lacks in the fallback
// font that has them. A line is cut into pieces at spaces and at break
// opportunities, each piece shaped (and cached) on its own, so the width a
// line is measured with is the width it is drawn with. Lines holding
// right-to-left text are put in visual order with ICU's bidi algorithm.
#include <algorithm>
#include <limits>
#include <memory>

#include <unicode/brkiter.h>
#include <unicode/ubidi.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "layout/page_layout.h"

namespace glyph {

namespace {

constexpr double kFramePadding = 6;
// Clean mode keeps indentation even when tab-spaces is 0 (the reference's
// tabs-as-word-breaks is one of the quirks it drops).
constexpr int kDefaultTabStop = 4;
// Pieces longer than this are words far wider than any line: they are
// measured by their characters, to be cut, never shaped whole.
constexpr size_t kLongPiece = 1024;

struct Segment {
    size_t begin, end;     // chars [begin, end) including trailing spaces
    size_t ink_end;        // end of the non-space part
    double width = 0;      // through ink_end
    double trailing = 0;   // width of the trailing spaces
    bool hard_break = false;  // a newline follows
};

bool is_space(char32_t c) { return c == U' ' || c == U'\t' || c == 0xA0 || c == 0x3000; }

bool is_rtl(char32_t c) {
    if (c < 0x590) return false;
    switch (u_charDirection(UChar32(c))) {
        case U_RIGHT_TO_LEFT:
        case U_RIGHT_TO_LEFT_ARABIC:
        case U_RIGHT_TO_LEFT_EMBEDDING:
        case U_RIGHT_TO_LEFT_OVERRIDE:
        case U_RIGHT_TO_LEFT_ISOLATE: return true;
        default: return false;
    }
}

bool is_strong(char32_t c) {
    const UCharDirection d = u_charDirection(UChar32(c));
    return d == U_LEFT_TO_RIGHT || d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC;
}

// A cut inside a word must not separate a character from its marks.
bool extends_cluster(char32_t c) {
    if (c == 0x200C || c == 0x200D) return true;
    const int8_t t = u_charType(UChar32(c));
    return t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK;
}

struct Piece {
    size_t begin, end;
    bool rtl;
};

}  // namespace

DocumentLayout layout_clean(const SourceText& text, const RenderConfig& cfg, FontMetrics& font,
                            const std::atomic<bool>* cancel, const PagesDone& on_pages_done) {
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
    const size_t tab_stop = cfg.tab_spaces > 0 ? size_t(cfg.tab_spaces) : kDefaultTabStop;
    std::u32string chars;
    std::vector<uint32_t> src;
    chars.reserve(text.chars.size());
    size_t column = 0;
    for (size_t i = 0; i < text.chars.size(); ++i) {
        char32_t c = text.chars[i];
        if (c == U'\t') {
            size_t n = tab_stop - column % tab_stop;
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

    std::vector<std::string> font_files{font.path()};
    font_files.insert(font_files.end(), font.fallback_paths().begin(), font.fallback_paths().end());
    Shaper shaper(font_files);
    const double inf = std::numeric_limits<double>::infinity();
    // Lines are shaped in pieces: every U+0020 alone, the rest cut where a
    // break opportunity (or a cut in an over-long word) starts a piece.
    std::vector<uint8_t> piece_start(chars.size() + 1, 0);
    auto piece_end = [&](size_t i, size_t e) {
        if (chars[i] == U' ') return i + 1;
        size_t j = i + 1;
        while (j < e && chars[j] != U' ' && !piece_start[j]) ++j;
        return j;
    };
    auto view = [&](size_t b, size_t e) { return std::u32string_view(chars.data() + b, e - b); };
    auto has_rtl = [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i)
            if (is_rtl(chars[i])) return true;
        return false;
    };
    // Width of [b, e) in points, as drawn; past `cap` it stops adding.
    auto width = [&](size_t b, size_t e, double cap) {
        const double cap1000 = cap * 1000.0 / size;
        double sum = 0;  // 1/1000 em
        for (size_t i = b; i < e && sum <= cap1000;) {
            const size_t j = piece_end(i, std::min(e, i + kLongPiece + 1));
            if (j - i <= kLongPiece) {
                sum += shaper.shape(view(i, j), has_rtl(i, j)).width;
                i = j;
                continue;
            }
            // Only over-long words get here, to be cut: their characters'
            // widths do, and only as far as the cap (a cut word's rest is
            // measured once per line).
            do sum += shaper.char_width(chars[i++]);
            while (i < e && sum <= cap1000 && chars[i] != U' ' && !piece_start[i]);
        }
        return sum * size / 1000.0;
    };
    // The end of the longest prefix of [b, e) that fits max_w, whole clusters
    // only (at least one, even when it does not fit).
    auto cut_point = [&](size_t b, size_t e, double max_w) {
        auto next_cluster = [&](size_t i) {
            ++i;
            while (i < e && extends_cluster(chars[i])) ++i;
            return i;
        };
        const double max1000 = max_w * 1000.0 / size;
        const size_t first = next_cluster(b);
        size_t cut = first;
        double w = 0;
        for (size_t i = b; i < first; ++i) w += shaper.char_width(chars[i]);
        while (cut < e) {
            const size_t next = next_cluster(cut);
            double add = 0;
            for (size_t i = cut; i < next; ++i) add += shaper.char_width(chars[i]);
            if (w + add > max1000) break;
            w += add;
            cut = next;
        }
        // Shaped, the prefix can come out wider than its characters (joining forms).
        while (cut > first && width(b, cut, inf) > max_w) {
            do --cut;
            while (cut > first && extends_cluster(chars[cut]));
        }
        return cut;
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
        piece_start[prev] = 1;
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
        s.width = width(prev, ink, inf);
        s.trailing = width(ink, content_end, inf);
        segs.push_back(s);
        prev = end;
    }

    // A paragraph's direction: its first strong character's (UAX #9, P2).
    auto paragraph_rtl = [&](size_t b) {
        for (size_t i = b; i < chars.size() && chars[i] != U'\n'; ++i)
            if (is_strong(chars[i])) return is_rtl(chars[i]);
        return false;
    };
    // Shaped glyphs of [b, e) appended in visual order: pieces left to right,
    // except where the bidi algorithm reorders a line that has RTL text.
    std::vector<Piece> pieces, split;
    std::vector<UBiDiLevel> levels;
    std::vector<int32_t> visual;
    std::vector<UChar> line16;
    std::vector<size_t> line16_cp;
    std::unique_ptr<UBiDi, void (*)(UBiDi*)> bidi(ubidi_open(), ubidi_close);
    bool para_rtl = false;
    auto reorder = [&](size_t b, size_t e) {
        line16.clear();
        line16_cp.clear();
        for (size_t i = b; i < e; ++i) {
            UChar32 c = UChar32(chars[i]);
            if (c > 0xFFFF) {
                line16.push_back(U16_LEAD(c));
                line16_cp.push_back(i);
                c = U16_TRAIL(c);
            }
            line16.push_back(UChar(c));
            line16_cp.push_back(i);
        }
        UErrorCode st = U_ZERO_ERROR;
        ubidi_setPara(bidi.get(), line16.data(), int32_t(line16.size()), para_rtl ? 1 : 0, nullptr, &st);
        const UBiDiLevel* lv = U_SUCCESS(st) ? ubidi_getLevels(bidi.get(), &st) : nullptr;
        if (!lv || U_FAILURE(st)) return;  // logical order
        std::vector<UBiDiLevel> cp_level(e - b);
        for (size_t k = line16.size(); k-- > 0;) cp_level[line16_cp[k] - b] = lv[k];
        split.clear();
        levels.clear();
        for (const Piece& p : pieces) {
            for (size_t i = p.begin; i < p.end;) {
                const UBiDiLevel level = cp_level[i - b];
                size_t j = i + 1;
                while (j < p.end && cp_level[j - b] == level) ++j;
                split.push_back({i, j, (level & 1) != 0});
                levels.push_back(level);
                i = j;
            }
        }
        visual.resize(split.size());
        ubidi_reorderVisual(levels.data(), int32_t(levels.size()), visual.data());
        pieces.clear();
        for (int32_t logical : visual) pieces.push_back(split[size_t(logical)]);
    };
    auto draw_pieces = [&](size_t b, size_t e) {
        pieces.clear();
        for (size_t i = b; i < e;) {
            const size_t j = piece_end(i, e);
            pieces.push_back({i, j, false});
            i = j;
        }
        if (has_rtl(b, e)) reorder(b, e);
        for (const Piece& p : pieces) {
            const bool space = p.end - p.begin == 1 && chars[p.begin] == U' ';
            const Shaper::Result r = shaper.shape(view(p.begin, p.end), p.rtl);
            for (size_t k = 0; k < r.count; ++k) {
                doc.shaped_glyphs.push_back(r.glyphs[k]);
                doc.shaped_glyphs.back().space = space;
            }
        }
    };

    int page = 0, line_on_page = 0;
    bool para_start = true;
    doc.shaped = true;
    auto emit = [&](size_t b, size_t e, double natural, bool last_of_para) {
        throw_if_cancelled(cancel);
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
        if (para_start) para_rtl = paragraph_rtl(b);
        pl.shaped_begin = uint32_t(doc.shaped_glyphs.size());
        draw_pieces(b, e);
        pl.shaped_end = uint32_t(doc.shaped_glyphs.size());
        pl.src_begin = src[b];
        pl.src_end = src[e];
        doc.lines.push_back(std::move(pl));
        para_start = last_of_para;
        if (++line_on_page >= lines_per_page) {
            if (on_pages_done) on_pages_done(doc, page + 1);
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
        // A segment wider than a whole line is cut between clusters.
        while (line_empty && s.width > max_width() && s.ink_end > s.begin + 1) {
            const size_t cut = cut_point(s.begin, s.ink_end, max_width());
            if (cut >= s.ink_end) break;  // a single cluster: it overflows
            piece_start[cut] = 1;
            line_begin = s.begin;
            line_ink_end = cut;
            ink_used = width(s.begin, cut, inf);
            flush(false);
            s.begin = cut;
            s.width = width(cut, s.ink_end, 2 * max_width());
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
