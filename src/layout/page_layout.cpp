#include "layout/page_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <unicode/uchar.h>

namespace glyph {

double pdf_number(double v) {
    const double a = std::fabs(v);
    if (a <= 1e-7) return 0;
    int decimals = a <= 1 ? 6 : std::min(std::max(0, 6 - int(std::log10(a))), 6);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return std::strtod(buf, nullptr);
}

namespace {

// reportlab's frame keeps this much padding inside the page margins.
constexpr double kFramePadding = 6;
constexpr double kFuzz = 1e-6;
constexpr double kSpaceShrinkage = 0.05;
// Above this many characters a paragraph's CJK re-wrap after a page break
// only inserts reportlab's line-end spaces within a window of lines, keeping
// the cost linear (reportlab itself is quadratic there).
constexpr size_t kExactCjkRewrapLimit = 2'000'000;

// reportlab's whitespace set for splitting words (no NBSP: it glues words).
bool is_split_space(char32_t c) {
    switch (c) {
        case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E:
        case 0x1F: case 0x20: case 0x85: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
        case 0x205F: case 0x3000:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200B;
    }
}

// Characters reportlab lets hang past the margin instead of starting a line.
bool cannot_start_line(char32_t c) {
    static const std::u32string set =
        U"!',.:;?!\")]\u3001\u3002\u300d\u300f\u3011\u3015\uff3d\u3011\uff09"
        U"\u3005\u2015\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e\u30a1\u30a3"
        U"\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee\u30fc\u30f5\u30f6"
        U"\u309b\u309c\u30fb\u30fd\u30fe\u309d\u309e\u2015\u2010\u00b0\u2032\u2033\u2103\uffe0\uff05\u2030";
    return set.find(c) != std::u32string::npos;
}

// One character of a paragraph as reportlab sees it after markup parsing.
struct PChar {
    char32_t cp;
    uint32_t src;   // byte offset in the source
    bool marker;    // part of the inline newline marker (its own color)
    bool brk;       // a <br/> line break (cp is unused)
};

struct Paragraph {
    std::vector<PChar> chars;
    bool single_frag = false;  // reportlab's one-fragment fast path applies
    uint32_t src_begin = 0, src_end = 0;
};

// A line as a breaker produced it, before placement.
struct BrokenLine {
    std::vector<std::pair<uint32_t, uint32_t>> words;  // ranges in the paragraph's chars
    std::vector<uint8_t> space_before;                 // per word: a U+0020 precedes it
    bool raw = false;          // CJK: draw every char of [words.front().first, words.back().second) as is
    bool strip_raw = false;    // CJK single fragment: the drawn text is stripped
    double extra = 0;          // maxWidth - used width
    int word_count = 0;        // reportlab's wordCount (words with text)
    bool line_break = false;   // ended by a real <br/>: never justified
    uint32_t start = 0;        // where a continuation paragraph starting at this line begins
};

struct WrapWidths {
    double first, later;
    double at(size_t lineno) const { return lineno == 0 ? first : later; }
};

class Typesetter {
public:
    Typesetter(const RenderConfig& c, FontMetrics& f) : cfg_(c), font_(f) {
        space_ = width_pt(U' ');
    }

    // reportlab's stringWidth multiplies in this order, (sum * 0.001) * size;
    // another order differs in the last bit and flips words that end
    // exactly at the line's width.
    double width_pt(char32_t cp) const { return font_.width1000(cp) * 0.001 * cfg_.font_size; }
    double range_width(const std::vector<PChar>& s, uint32_t b, uint32_t e) const {
        double sum = 0;
        for (uint32_t i = b; i < e; ++i) sum += font_.width1000(s[i].cp);
        return sum * 0.001 * cfg_.font_size;
    }

    // Word wrapping (reportlab's breakLines, multi-fragment path). Breaks at
    // most max_lines lines starting at `start`; `strip` drops leading spaces.
    std::vector<BrokenLine> break_words(const std::vector<PChar>& s, uint32_t start, const WrapWidths& widths,
                                        size_t max_lines) const;
    // CJK wrapping (reportlab's cjkFragSplit / dumbSplit).
    std::vector<BrokenLine> break_cjk(const std::vector<PChar>& s, const WrapWidths& widths, bool single_frag,
                                      size_t max_lines) const;

    double space() const { return space_; }

private:
    const RenderConfig& cfg_;
    FontMetrics& font_;
    double space_ = 0;
};

std::vector<BrokenLine> Typesetter::break_words(const std::vector<PChar>& s, uint32_t start, const WrapWidths& mw,
                                                size_t max_lines) const {
    std::vector<BrokenLine> lines;
    const uint32_t end = uint32_t(s.size());
    BrokenLine cur;
    cur.start = start;
    double current = 0, pending_space = 0;
    int spaces_on_line = 0;
    size_t lineno = 0;
    double max_width = mw.at(0);
    bool strip = start == 0;

    // Pieces of an over-long word waiting to be placed, as [b, e) ranges; the
    // first is followed by an injected (justifiable) line break.
    struct Piece { uint32_t b, e; bool last; bool injected_break_after; };
    std::vector<Piece> pieces;  // consumed from the back
    size_t pos = start;

    auto finish_line = [&](bool line_break) {
        cur.extra = max_width - current;
        cur.line_break = line_break;
        lines.push_back(std::move(cur));
        cur = BrokenLine{};
        ++lineno;
        max_width = mw.at(lineno);
    };
    auto add_word = [&](uint32_t b, uint32_t e, double w, bool hs_after) {
        double new_width = w > 0 ? current + pending_space + w : current;
        if (b != e) cur.word_count++;
        bool space = !cur.words.empty() && pending_space > 0;
        if (space) spaces_on_line++;
        cur.words.push_back({b, e});
        cur.space_before.push_back(space);
        current = new_width;
        pending_space = hs_after ? space_ : 0;
    };
    auto start_line_with = [&](uint32_t b, uint32_t e, double w, bool hs_after) {
        cur.start = b;
        current = w;
        cur.word_count = b != e ? 1 : 0;
        cur.words.push_back({b, e});
        cur.space_before.push_back(false);
        spaces_on_line = 0;
        pending_space = hs_after ? space_ : 0;
    };

    while (lines.size() < max_lines) {
        uint32_t b, e;
        bool hs, is_piece = false, last_piece = false, injected_after = false;
        if (!pieces.empty()) {
            Piece p = pieces.back();
            pieces.pop_back();
            b = p.b;
            e = p.e;
            last_piece = p.last;
            is_piece = true;
            injected_after = p.injected_break_after;
            hs = last_piece && e < end && !s[e].brk && is_split_space(s[e].cp);
        } else {
            // Skip leading spaces only right after a break or at the paragraph start.
            while (pos < end && !s[pos].brk && is_split_space(s[pos].cp)) {
                if (!strip) break;
                ++pos;
            }
            if (pos >= end) break;
            if (s[pos].brk) {
                if (cur.words.empty()) {
                    current = 0;
                    pending_space = 0;
                    spaces_on_line = 0;
                    cur.word_count = 0;
                }
                finish_line(true);
                cur.start = pos;  // a continuation from here begins with this break: reportlab's blank line
                ++pos;
                strip = true;
                continue;
            }
            if (is_split_space(s[pos].cp)) {  // spaces between words
                while (pos < end && !s[pos].brk && is_split_space(s[pos].cp)) ++pos;
                continue;
            }
            b = uint32_t(pos);
            while (pos < end && !s[pos].brk && !is_split_space(s[pos].cp)) ++pos;
            e = uint32_t(pos);
            hs = pos < end && !s[pos].brk;  // followed by a space
            strip = false;
        }
        const double w = range_width(s, b, e);
        if (cur.words.empty()) {
            current = 0;
            pending_space = 0;
            spaces_on_line = 0;
            cur.word_count = 0;
        }
        double new_width = w > 0 ? current + pending_space + w : current;
        double lim_width = max_width + kSpaceShrinkage * (pending_space + spaces_on_line * space_);
        if (new_width > lim_width && !last_piece && !is_piece && w > mw.at(lineno)) {
            // reportlab cuts an over-long word: the first piece fills what is
            // left of this line, each further piece a whole line.
            // The same float sums as reportlab's _splitWord: a character
            // that lands exactly on the limit must go the same way.
            std::vector<Piece> cut;
            double avail = max_width;
            double line_w = current + pending_space;
            uint32_t piece_start = b;
            size_t l = lineno;
            for (uint32_t i = b; i < e; ++i) {
                double cw = width_pt(s[i].cp);
                if (line_w + cw > avail) {
                    cut.push_back({piece_start, i, false, cut.empty()});
                    ++l;
                    avail = mw.at(l);
                    line_w = cw;
                    piece_start = i;
                } else {
                    line_w += cw;
                }
            }
            cut.push_back({piece_start, e, true, cut.empty()});
            if (cut.size() == 1) cut[0].injected_break_after = false;
            for (auto it = cut.rbegin(); it != cut.rend(); ++it) pieces.push_back(*it);
            // The word was consumed from the stream already; pieces replace it.
            continue;
        }
        bool end_line = new_width > lim_width && cur.word_count > 0;
        if (!end_line) {
            add_word(b, e, w, hs);
        } else {
            finish_line(false);
            start_line_with(b, e, w, hs);
        }
        if (injected_after) {
            // The injected break ends the line but keeps it justifiable; a
            // continuation resumes at the next piece.
            finish_line(false);
            cur.start = pieces.empty() ? uint32_t(pos) : pieces.back().b;
        }
    }
    if (!cur.words.empty() && lines.size() < max_lines) {
        cur.extra = max_width - current;
        lines.push_back(std::move(cur));
    }
    return lines;
}

std::vector<BrokenLine> Typesetter::break_cjk(const std::vector<PChar>& s, const WrapWidths& mw, bool single_frag,
                                              size_t max_lines) const {
    std::vector<BrokenLine> lines;
    const size_t n = s.size();
    size_t i = 0, line_start = 0;
    double used = 0;
    double max_width = mw.at(0);
    auto emit = [&](size_t from, size_t to, double extra, bool line_break) {
        BrokenLine l;
        l.raw = true;
        l.strip_raw = single_frag;
        l.words.push_back({uint32_t(from), uint32_t(to)});
        l.space_before.push_back(false);
        l.extra = extra;
        l.word_count = 1;
        l.line_break = line_break;
        l.start = uint32_t(from);
        lines.push_back(std::move(l));
        max_width = mw.at(lines.size());
    };
    while (i < n && lines.size() < max_lines) {
        const PChar& u = s[i];
        ++i;
        // A break carried into a continuation has text " " (see
        // cjk_continuation) and takes that width, shifting aligned lines.
        double w = u.brk && u.cp != U' ' ? 0 : width_pt(u.cp);
        used += w;
        const bool line_break = u.brk;
        if ((used > max_width + kFuzz && used > 0) || line_break) {
            double extra = max_width - used;
            if (!line_break) {
                char32_t c = u.cp;
                if (c < 0x3000) {
                    // Inside non-CJK text: back up to a space or a CJK character.
                    size_t limit = (line_start + i) >> 1;
                    for (size_t j = i - 1; j > limit; --j) {
                        const PChar& uj = s[j];
                        if (uj.brk) break;
                        if (u_charType(UChar32(uj.cp)) == U_SPACE_SEPARATOR || uj.cp >= 0x3000) {
                            // reportlab only stops looking once the break point is
                            // behind the overflowing character; a space that is
                            // itself the overflow is passed over.
                            size_t k = j + 1;
                            if (k < i) {
                                size_t jj = k + 1;
                                for (size_t ii = jj; ii < i; ++ii) extra += s[ii].brk ? 0 : width_pt(s[ii].cp);
                                w = s[k].brk ? 0 : width_pt(s[k].cp);
                                c = s[k].cp;
                                i = jj;
                                break;
                            }
                        }
                    }
                }
                if (!cannot_start_line(c) && i > line_start + 1) {
                    --i;
                    extra += w;
                }
            }
            emit(line_start, i, extra, line_break);
            line_start = i;
            used = 0;
        }
    }
    if (used > 0 && lines.size() < max_lines) emit(line_start, n, max_width - used, false);
    // A trailing run of zero-width characters (e.g. only a break) adds no line.
    return lines;
}

bool is_cjk_trigger(char32_t c) { return c >= 0x4E00 && c <= 0x9FFF; }

// The newline markup: "<br/>" breaks the line; "<font color=...>TEXT</font>"
// puts TEXT inline in that color instead.
struct NewlineMarkup {
    bool is_break = true;
    std::u32string text;
    Color color;
};

std::u32string decode_ascii_entities(const std::string& s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = s[i];
        if (c == '&') {
            static const std::pair<const char*, char32_t> ents[] = {
                {"&amp;", U'&'}, {"&lt;", U'<'}, {"&gt;", U'>'}, {"&nbsp;", 0xA0}, {"&quot;", U'"'}};
            bool matched = false;
            for (auto& [name, cp] : ents) {
                size_t len = std::char_traits<char>::length(name);
                if (s.compare(i, len, name) == 0) {
                    out += cp;
                    i += len;
                    matched = true;
                    break;
                }
            }
            if (matched) continue;
        }
        // Decode UTF-8 (the markup comes from a validated JSON string).
        char32_t cp = c;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra) cp = c & (0x3F >> extra);
        for (int k = 1; k <= extra && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
        out += cp;
        i += 1 + extra;
    }
    return out;
}

NewlineMarkup parse_markup(const std::string& m) {
    NewlineMarkup nm;
    if (m == "<br/>" || m == "<br>" || m == "<br />") return nm;
    nm.is_break = false;
    auto open_end = m.find('>');
    auto close = m.rfind("</font>");
    auto color_at = m.find("color=");
    if (m.rfind("<font", 0) != 0 || open_end == std::string::npos || close == std::string::npos || close < open_end)
        throw ConfigError("config key \"newline-markup\": \"" + m +
                          "\" is not allowed; expected \"<br/>\" or \"<font color=\\\"#RRGGBB\\\">TEXT</font>\"");
    if (color_at != std::string::npos && color_at < open_end) {
        size_t v = color_at + 6;
        if (v < m.size() && (m[v] == '"' || m[v] == '\'')) ++v;
        std::string hex = m.substr(v, 7);
        if (hex.size() == 7 && hex[0] == '#') {
            unsigned long rgb = std::strtoul(hex.c_str() + 1, nullptr, 16);
            nm.color = Color{uint8_t(rgb >> 16), uint8_t(rgb >> 8), uint8_t(rgb)};
        }
    }
    nm.text = decode_ascii_entities(m.substr(open_end + 1, close - open_end - 1));
    return nm;
}

// Split the cleaned source into reportlab paragraphs of `paragraph_lines`
// source lines (0: one paragraph), each tab replaced by `tab_spaces` no-break
// spaces when that is not 0, as Glyph's renderers prepare the text.
std::vector<Paragraph> make_paragraphs(const SourceText& text, const NewlineMarkup& markup, size_t paragraph_lines,
                                       int tab_spaces) {
    std::vector<Paragraph> paras;
    const auto& cs = text.chars;
    const size_t n = cs.size();
    // Source line boundaries.
    std::vector<std::pair<size_t, size_t>> lines;
    size_t b = 0;
    for (size_t i = 0; i <= n; ++i) {
        if (i == n || cs[i] == U'\n') {
            lines.push_back({b, i});
            b = i + 1;
        }
    }
    const size_t per_paragraph = paragraph_lines == 0 ? lines.size() : paragraph_lines;
    for (size_t li = 0; li < lines.size(); li += per_paragraph) {
        Paragraph p;
        size_t last = std::min(lines.size(), li + per_paragraph);
        bool entities = false;
        p.src_begin = text.offsets[lines[li].first];
        p.src_end = text.offsets[lines[last - 1].second];
        for (size_t k = li; k < last; ++k) {
            if (k > li) {
                uint32_t nl = text.offsets[lines[k - 1].second];
                if (markup.is_break) {
                    p.chars.push_back({U'\n', nl, false, true});
                } else {
                    for (char32_t m : markup.text) p.chars.push_back({m, nl, true, false});
                }
            }
            auto [lb, le] = lines[k];
            for (size_t i = lb; i < le; ++i) {
                char32_t c = cs[i];
                if (c == U'\t' && tab_spaces > 0) {
                    // After the space runs became no-break spaces, so a space
                    // next to a tab stays a plain (breaking) space.
                    for (int k = 0; k < tab_spaces; ++k) p.chars.push_back({0xA0, text.offsets[i], false, false});
                    entities = true;
                    continue;
                }
                if (c == U'&' || c == U'<' || c == U'>') entities = true;
                // Runs of 2+ spaces become that many no-break spaces.
                if (c == U' ' && ((i + 1 < le && cs[i + 1] == U' ') || (i > lb && cs[i - 1] == U' '))) {
                    c = 0xA0;
                    entities = true;
                }
                p.chars.push_back({c, text.offsets[i], false, false});
            }
        }
        p.single_frag = (last - li) == 1 && !entities;
        paras.push_back(std::move(p));
    }
    return paras;
}

// The continuation of a CJK paragraph after a page break, as reportlab
// rebuilds it from the lines that did not fit.
std::vector<PChar> cjk_continuation(const std::vector<PChar>& s, const std::vector<BrokenLine>& lines, size_t from,
                                    bool single_frag) {
    std::vector<PChar> out;
    const uint32_t covered = lines.back().words.back().second;
    const bool complete = covered >= s.size();
    for (size_t li = from; li < lines.size(); ++li) {
        uint32_t b = lines[li].words.front().first, e = lines[li].words.back().second;
        const bool last = li + 1 == lines.size() && complete;
        if (single_frag) {
            // Each line's text is stripped and the lines are joined directly.
            while (b < e && is_split_space(s[b].cp) && s[b].cp != 0xA0) ++b;
            while (e > b && is_split_space(s[e - 1].cp) && s[e - 1].cp != 0xA0) --e;
            out.insert(out.end(), s.begin() + b, s.begin() + e);
            continue;
        }
        out.insert(out.end(), s.begin() + b, s.begin() + e);
        if (!last) {
            // reportlab appends a space to each line's last fragment.
            if (!out.empty() && out.back().brk) {
                out.back().cp = U' ';  // the break fragment's empty text becomes " "
            } else if (out.empty() || out.back().cp != U' ') {
                uint32_t src = e > 0 ? s[e - 1].src : 0;
                out.push_back({U' ', src, out.empty() ? false : out.back().marker, false});
            }
        }
    }
    // Past the breaking window (very long paragraphs only) the text follows unchanged.
    out.insert(out.end(), s.begin() + covered, s.end());
    return out;
}

}  // namespace

DocumentLayout layout_document(const SourceText& text, const RenderConfig& cfg, FontMetrics& font,
                               const std::atomic<bool>* cancel) {
    if (cfg.mode == LayoutMode::Clean) return layout_clean(text, cfg, font, cancel);
    DocumentLayout doc;
    const NewlineMarkup markup = parse_markup(cfg.newline_markup);
    doc.marker_color = markup.color;
    const bool cjk = std::any_of(text.chars.begin(), text.chars.end(), is_cjk_trigger);
    Typesetter ts(cfg, font);

    const double leading = cfg.leading();
    const double frame_x = cfg.margin_x, frame_y = cfg.margin_y;
    const double frame_w = cfg.page_width - 2 * cfg.margin_x, frame_h = cfg.page_height - 2 * cfg.margin_y;
    const double avail_w = frame_w - 2 * kFramePadding;
    const double top = frame_y + frame_h - kFramePadding;  // PDF y, bottom-up
    const double bottom = frame_y + kFramePadding;
    const WrapWidths first_widths{avail_w - (cfg.left_indent + cfg.first_line_indent) - cfg.right_indent,
                                  avail_w - cfg.left_indent - cfg.right_indent};
    const WrapWidths later_widths{first_widths.later, first_widths.later};

    int page = 0;
    double y = top;
    bool at_top = true;
    double prev_space_after = 0;

    // Place lines [0, count) of a (part of a) paragraph at the current y.
    auto place = [&](const std::vector<PChar>& s, const std::vector<BrokenLine>& lines, size_t count,
                     bool first_part, bool justify_last) {
        const double height = double(count) * leading;
        const double para_y = y - height;  // PDF y of the paragraph's bottom
        const double py = pdf_number(para_y);
        const double first_baseline = pdf_number(height - cfg.font_size);
        if (cfg.para_bg_color != cfg.page_bg_color || cfg.border_width > 0)
            // reportlab draws the box inside the paragraph's indents.
            doc.boxes.push_back({page, frame_x + kFramePadding + cfg.left_indent, cfg.page_height - (para_y + height),
                                 avail_w - cfg.left_indent - cfg.right_indent, height});
        const double line_step = pdf_number(leading);
        double line_y = 0;  // poppler's text line matrix: each T* subtracts the leading
        // The x moves reportlab writes for this paragraph: each line is
        // entered with "m Td" and left with "-m Td", and a Td written right
        // after another is merged into it, summed with the earlier one's
        // printed (rounded) value. poppler adds up what is left, so a line
        // starts at the sum of the rounded moves, not at its own rounded x.
        // poppler's sum runs in stream order, so it is kept as the sum of the
        // moves before the last one plus the last one, which a merge replaces.
        double settled_x = 0, last_move = 0;
        bool last_op_is_move = false;
        auto move_x = [&](double dx) {
            if (!(dx > 1e-6 || dx < -1e-6)) return;
            if (last_op_is_move) dx += last_move;
            else settled_x += last_move;
            last_move = pdf_number(dx);
            last_op_is_move = true;
        };
        for (size_t i = 0; i < count; ++i, line_y -= line_step) {
            const BrokenLine& bl = lines[i];
            PositionedLine pl;
            pl.page = page;
            pl.origin_x = frame_x + kFramePadding;
            pl.origin_y = py;
            pl.text_y = first_baseline + line_y;
            pl.baseline = cfg.page_height - (py + pl.text_y);
            pl.glyph_begin = uint32_t(doc.glyphs.size());
            uint32_t nbsp = 0;
            bool any_src = false;
            auto note_src = [&](uint32_t src_b, uint32_t src_e) {
                if (!any_src) pl.src_begin = src_b;
                pl.src_end = std::max(pl.src_end, src_e);
                any_src = true;
            };
            auto push_range = [&](uint32_t b, uint32_t e) {
                uint32_t wb = uint32_t(doc.glyphs.size());
                for (uint32_t k = b; k < e; ++k) {
                    if (s[k].brk) continue;
                    doc.glyphs.push_back(s[k].cp);
                    doc.marker.push_back(s[k].marker);
                    if (s[k].cp == 0xA0) ++nbsp;
                    if (!s[k].marker) note_src(s[k].src, s[k].src + 1);
                }
                pl.words.push_back({wb, uint32_t(doc.glyphs.size())});
            };
            if (bl.raw) {
                uint32_t b = bl.words.front().first, e = bl.words.back().second;
                if (bl.strip_raw) {
                    while (b < e && is_split_space(s[b].cp)) ++b;
                    while (e > b && is_split_space(s[e - 1].cp)) --e;
                }
                push_range(b, e);
            } else {
                for (size_t w = 0; w < bl.words.size(); ++w) {
                    if (bl.space_before[w]) {
                        doc.glyphs.push_back(U' ');
                        doc.marker.push_back(0);
                    }
                    push_range(bl.words[w].first, bl.words[w].second);
                }
            }
            if (!any_src) {
                // An empty line shows the newline it stands for.
                uint32_t at = bl.start < s.size() ? s[bl.start].src : (s.empty() ? 0 : s.back().src);
                pl.src_begin = pl.src_end = at;
            }
            pl.glyph_end = uint32_t(doc.glyphs.size());
            // Horizontal placement as reportlab's draw functions do it.
            double offset = cfg.left_indent + (first_part && i == 0 ? cfg.first_line_indent : 0);
            const bool last = i + 1 == count && !justify_last;
            const double extra = bl.extra;
            const int n_spaces = bl.word_count + int(nbsp) - 1;
            double x = offset, tw = 0;
            switch (cfg.alignment) {
                case Alignment::Left:
                    if (extra < -1e-8 && n_spaces > 0) tw = extra / n_spaces;
                    break;
                case Alignment::Center:
                    if (extra > -1e-8 || n_spaces <= 0) x = offset + 0.5 * extra;
                    else tw = extra / n_spaces;
                    break;
                case Alignment::Right:
                    if (extra > -1e-8 || n_spaces <= 0) x = offset + extra;
                    else tw = extra / n_spaces;
                    break;
                case Alignment::Justify: {
                    bool simple = bl.line_break || (-1e-8 < extra && extra <= 1e-8) || (last && extra > -1e-8);
                    if (!simple && n_spaces > 0) tw = extra / n_spaces;
                    break;
                }
            }
            move_x(x);
            pl.text_x = settled_x + last_move;
            last_op_is_move = false;  // the line's text comes next
            move_x(-x);
            pl.x = pl.origin_x + pl.text_x;
            pl.word_space = pdf_number(tw);
            doc.lines.push_back(std::move(pl));
        }
        y -= height;
    };

    auto new_page = [&]() {
        ++page;
        y = top;
        at_top = true;
    };

    const std::vector<Paragraph> paras =
        make_paragraphs(text, markup, size_t(cfg.paragraph_lines), cfg.tab_spaces);
    for (const Paragraph& para : paras) {
        std::vector<PChar> chars = para.chars;  // the current (continuation) paragraph
        uint32_t start = 0;
        bool first_part = true;
        bool single_frag = para.single_frag;
        for (;;) {
            throw_if_cancelled(cancel);
            double space_before = at_top ? 0 : std::max(cfg.space_before - prev_space_after, 0.0);
            double avail_h = y - bottom - space_before;
            const WrapWidths& widths = first_part ? first_widths : later_widths;
            const size_t fit = avail_h > 0 ? size_t(avail_h / leading) : 0;
            // Break one line more than fits, to know whether the paragraph fits whole.
            std::vector<BrokenLine> lines;
            if (cjk) {
                size_t want = chars.size() > kExactCjkRewrapLimit ? fit + 400 : SIZE_MAX;
                lines = ts.break_cjk(chars, widths, single_frag, want);
            } else {
                lines = ts.break_words(chars, start, widths, fit + 1);
            }
            const double height = double(lines.size()) * leading;
            if (lines.empty()) {
                // An empty paragraph (the text ends with a newline after a
                // multiple of 30 lines): no text, but reportlab still spaces
                // it and draws its box, on a new page if even 0 pt of it does
                // not fit below the space before it.
                if (y - space_before < bottom - kFuzz) {
                    new_page();
                    continue;
                }
                y -= space_before;
                place(chars, lines, 0, first_part, false);
                at_top = false;
                y -= cfg.space_after;
                prev_space_after = cfg.space_after;
                break;
            }
            if (lines.size() <= fit && y - space_before - height >= bottom - kFuzz) {
                y -= space_before;
                place(chars, lines, lines.size(), first_part, false);
                at_top = false;
                y -= cfg.space_after;
                prev_space_after = cfg.space_after;
                break;
            }
            // Split: reportlab refuses to leave a single line (an orphan) behind.
            size_t s = fit;
            if (s <= 1 && !(at_top && s == 1)) {
                if (at_top) {
                    // Not even one line fits on an empty page; validate() prevents this.
                    throw ConfigError("page too small for one line of text");
                }
                new_page();
                continue;
            }
            y -= space_before;
            const BrokenLine& last_placed = lines[s - 1];
            place(chars, lines, s, first_part, !last_placed.line_break);
            at_top = false;
            const uint32_t next_start = lines[s].start;
            if (cjk) {
                chars = cjk_continuation(chars, lines, s, single_frag);
                start = 0;
            } else {
                start = next_start;
            }
            first_part = false;
            new_page();
        }
    }
    doc.page_count = page + 1;
    return doc;
}

}  // namespace glyph
