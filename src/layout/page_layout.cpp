#include "layout/page_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>

#include <unicode/uchar.h>

#include "util/utf8.h"

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

// A length in points for a message: "28", "10.5".
std::string pt_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// reportlab's whitespace set for splitting words (no NBSP: it glues words).
bool is_split_space(char32_t c) {
    if (c < 0x80) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    switch (c) {
        case 0x85: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
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

// Where a CJK line starting at some character ends.
struct CjkBreak {
    size_t end = 0;            // one past the line's last character
    double extra = 0;          // maxWidth - used width
    bool line_break = false;   // ended by a <br/>
    // The text ended before the line did: more text could lengthen it, and
    // if there is none, the line exists only when it has width (`has_width`).
    bool ran_out = false;
    bool has_width = false;
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
    // One line of CJK wrapping (reportlab's cjkFragSplit / dumbSplit) from `from`.
    CjkBreak next_cjk_line(const std::vector<PChar>& s, size_t from, double max_width) const;

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

CjkBreak Typesetter::next_cjk_line(const std::vector<PChar>& s, size_t from, double max_width) const {
    const size_t n = s.size();
    size_t i = from;
    double used = 0;
    while (i < n) {
        const PChar& u = s[i];
        ++i;
        // A break carried into a continuation has text " " (see
        // CjkRest::split_after) and takes that width, shifting aligned lines.
        double w = u.brk && u.cp != U' ' ? 0 : width_pt(u.cp);
        used += w;
        const bool line_break = u.brk;
        if ((used > max_width + kFuzz && used > 0) || line_break) {
            double extra = max_width - used;
            if (!line_break) {
                char32_t c = u.cp;
                if (c < 0x3000) {
                    // Inside non-CJK text: back up to a space or a CJK character.
                    size_t limit = (from + i) >> 1;
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
                if (!cannot_start_line(c) && i > from + 1) {
                    --i;
                    extra += w;
                }
            }
            return {i, extra, line_break, false, true};
        }
    }
    return {n, max_width - used, false, true, used > 0};
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
        char32_t cp = 0;
        if (try_decode_utf8(s, i, cp)) {
            out += cp;
        } else {
            out += U'\uFFFD';  // a config built in code may hold bad bytes; JSON ones never do
            ++i;
        }
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

// The cleaned source as reportlab paragraphs of `paragraph_lines` source
// lines (0: one paragraph), each tab replaced by `tab_spaces` no-break spaces
// when that is not 0, as Glyph's renderers prepare the text. Made one at a
// time as the layout reaches them, so the first page goes out without
// copying the whole text first.
class Paragraphs {
public:
    Paragraphs(const SourceText& text, const NewlineMarkup& markup, size_t paragraph_lines, int tab_spaces)
        : text_(text), markup_(markup), tab_spaces_(tab_spaces) {
        const auto& cs = text.chars;
        const size_t n = cs.size();
        size_t b = 0;
        for (size_t i = 0; i <= n; ++i) {
            if (i == n || cs[i] == U'\n') {
                lines_.push_back({b, i});
                b = i + 1;
            }
        }
        per_paragraph_ = paragraph_lines == 0 ? lines_.size() : paragraph_lines;
    }

    // The next paragraph into `p`; false after the last.
    bool next(Paragraph& p) {
        if (next_line_ >= lines_.size()) return false;
        const auto& cs = text_.chars;
        const size_t li = next_line_, last = std::min(lines_.size(), li + per_paragraph_);
        next_line_ = last;
        p.chars.clear();
        bool entities = false;
        p.src_begin = text_.offsets[lines_[li].first];
        p.src_end = text_.offsets[lines_[last - 1].second];
        p.chars.reserve(lines_[last - 1].second - lines_[li].first + (last - li) * markup_.text.size());
        for (size_t k = li; k < last; ++k) {
            if (k > li) {
                uint32_t nl = text_.offsets[lines_[k - 1].second];
                if (markup_.is_break) {
                    p.chars.push_back({U'\n', nl, false, true});
                } else {
                    for (char32_t m : markup_.text) p.chars.push_back({m, nl, true, false});
                }
            }
            auto [lb, le] = lines_[k];
            for (size_t i = lb; i < le; ++i) {
                char32_t c = cs[i];
                if (c == U'\t' && tab_spaces_ > 0) {
                    // After the space runs became no-break spaces, so a space
                    // next to a tab stays a plain (breaking) space.
                    for (int t = 0; t < tab_spaces_; ++t) p.chars.push_back({0xA0, text_.offsets[i], false, false});
                    entities = true;
                    continue;
                }
                if (c == U'&' || c == U'<' || c == U'>') entities = true;
                // Runs of 2+ spaces become that many no-break spaces.
                if (c == U' ' && ((i + 1 < le && cs[i + 1] == U' ') || (i > lb && cs[i - 1] == U' '))) {
                    c = 0xA0;
                    entities = true;
                }
                p.chars.push_back({c, text_.offsets[i], false, false});
            }
        }
        p.single_frag = (last - li) == 1 && !entities;
        return true;
    }

private:
    const SourceText& text_;
    const NewlineMarkup& markup_;
    int tab_spaces_;
    std::vector<std::pair<size_t, size_t>> lines_;  // source line boundaries
    size_t per_paragraph_ = 1, next_line_ = 0;
};

// A CJK paragraph from its current top on, as reportlab wraps it across page
// breaks. After each break reportlab rebuilds the rest from its lines (a
// space appended to each line's last fragment, or, for a single fragment,
// each line stripped; see split_after) and wraps the whole rest again, which
// is quadratic in a long paragraph. Here each line keeps its own characters,
// and a break re-wraps only from a line whose text changed until a new line
// ends where an unchanged old line begins: from there the old lines are what
// wrapping again would give (a line depends only on its start and on the
// characters up to the one that overflows it), so the lines are reportlab's
// and the work follows the changed text.
class CjkParagraph {
public:
    CjkParagraph(const Typesetter& ts, const std::vector<PChar>& chars, const WrapWidths& widths, bool single_frag)
        : ts_(ts), later_width_(widths.later), single_frag_(single_frag) {
        size_t from = 0;
        while (from < chars.size()) {
            const CjkBreak b = ts_.next_cjk_line(chars, from, widths.at(lines_.size()));
            if (!b.has_width) {
                // A trailing run of zero-width characters (e.g. only a break) adds no line.
                tail_.assign(chars.begin() + from, chars.end());
                break;
            }
            lines_.push_back({std::vector<PChar>(chars.begin() + from, chars.begin() + b.end), b.extra, b.line_break});
            from = b.end;
        }
    }

    size_t line_count() const { return lines_.size(); }

    // Lines [0, count) as one run of characters and the lines into it, to place.
    void take(size_t count, std::vector<PChar>& chars, std::vector<BrokenLine>& lines) const {
        chars.clear();
        lines.clear();
        for (size_t i = 0; i < count; ++i) {
            const Line& line = lines_[i];
            BrokenLine l;
            l.raw = true;
            l.strip_raw = single_frag_;
            l.start = uint32_t(chars.size());
            l.words.push_back({l.start, uint32_t(chars.size() + line.text.size())});
            l.space_before.push_back(false);
            l.extra = line.extra;
            l.word_count = 1;
            l.line_break = line.line_break;
            lines.push_back(std::move(l));
            chars.insert(chars.end(), line.text.begin(), line.text.end());
        }
    }

    // Lines [0, count) went on a page: the rest becomes reportlab's
    // continuation paragraph, wrapped again at the later lines' width.
    void split_after(size_t count) {
        std::vector<Line> rest(std::make_move_iterator(lines_.begin() + count),
                               std::make_move_iterator(lines_.end()));
        for (size_t i = 0; i < rest.size(); ++i) {
            std::vector<PChar>& t = rest[i].text;
            if (single_frag_) {
                // Each line's text is stripped and the lines are joined directly.
                auto is_strippable = [](const PChar& c) { return is_split_space(c.cp) && c.cp != 0xA0; };
                size_t b = 0, e = t.size();
                while (b < e && is_strippable(t[b])) ++b;
                while (e > b && is_strippable(t[e - 1])) --e;
                if (b == 0 && e == t.size()) continue;
                t = std::vector<PChar>(t.begin() + b, t.begin() + e);
                rest[i].changed = true;
                continue;
            }
            if (i + 1 == rest.size() && tail_.empty()) break;  // the paragraph's last line keeps its end
            // reportlab appends a space to each line's last fragment; a break
            // fragment's empty text becomes that space.
            PChar& last = t.back();
            if (last.brk) {
                if (last.cp == U' ') continue;
                last.cp = U' ';
            } else if (last.cp != U' ') {
                t.push_back({U' ', last.src, last.marker, false});
            } else {
                continue;
            }
            rest[i].changed = true;
        }
        // Wrapped again, the zero-width tail joins the last line.
        if (!tail_.empty()) rest.back().changed = true;
        rewrap(rest);
    }

private:
    struct Line {
        std::vector<PChar> text;
        double extra;           // as wrapped: maxWidth - used width
        bool line_break;        // ended by a <br/>
        bool changed = false;   // its text changed since it was wrapped
    };

    void rewrap(std::vector<Line>& old) {
        lines_.clear();
        size_t j = 0;
        while (j < old.size()) {
            if (old[j].changed) {
                j = rewrap_from(old, j);
            } else {
                lines_.push_back(std::move(old[j++]));
            }
        }
    }

    // Wraps again from the changed line old[j] until a new line ends where
    // an unchanged old line begins, or the text ends; returns that line.
    size_t rewrap_from(const std::vector<Line>& old, size_t j) {
        run_.clear();
        run_ends_.clear();  // where old lines j, j + 1, ... end in run_
        size_t next = j;    // the next old line to join to run_
        bool tail_in = false;
        auto join_next = [&]() {
            if (next < old.size()) {
                run_.insert(run_.end(), old[next].text.begin(), old[next].text.end());
                run_ends_.push_back(run_.size());
                ++next;
                return true;
            }
            if (tail_in || tail_.empty()) return false;
            run_.insert(run_.end(), tail_.begin(), tail_.end());
            tail_in = true;
            return true;
        };
        size_t from = 0, passed = 0;  // run_ends_[passed] is the first old line end after `from`
        for (;;) {
            // An old line's worth of text past the one `from` is in, so that
            // a line is rarely wrapped twice for want of text.
            while (run_ends_.size() < passed + 2 && join_next()) {
            }
            const CjkBreak b = ts_.next_cjk_line(run_, from, later_width_);
            if (b.ran_out && join_next()) continue;  // the line may go on: wrap it again with more
            if (!b.has_width) {
                tail_.assign(run_.begin() + from, run_.end());
                return old.size();
            }
            lines_.push_back({std::vector<PChar>(run_.begin() + from, run_.begin() + b.end), b.extra, b.line_break});
            from = b.end;
            while (passed < run_ends_.size() && run_ends_[passed] < from) ++passed;
            if (passed < run_ends_.size() && run_ends_[passed] == from) {
                const size_t k = j + passed + 1;  // the old line that begins at `from`
                ++passed;
                if (k < old.size() && !old[k].changed) return k;  // back on the old lines
            }
            if (from == run_.size() && !join_next()) {
                if (tail_in) tail_.clear();
                return old.size();
            }
        }
    }

    const Typesetter& ts_;
    double later_width_;
    bool single_frag_;
    std::vector<Line> lines_;
    std::vector<PChar> tail_;  // zero-width characters after the last line, in no line
    std::vector<PChar> run_;         // rewrap_from's text: the old lines it wraps again, joined
    std::vector<size_t> run_ends_;
};

}  // namespace

DocumentLayout layout_document(const SourceText& text, const RenderConfig& cfg, FontMetrics& font,
                               const std::atomic<bool>* cancel, const PagesDone& on_pages_done) {
    if (cfg.mode == LayoutMode::Clean) return layout_clean(text, cfg, font, cancel, on_pages_done);
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
            pl.words.reserve(bl.raw ? 1 : bl.words.size());
            uint32_t nbsp = 0;
            bool any_src = false;
            auto note_src = [&](uint32_t src_b, uint32_t src_e) {
                if (!any_src) pl.src_begin = src_b;
                pl.src_end = std::max(pl.src_end, src_e);
                any_src = true;
            };
            // A word's glyphs are written through pointers into room made
            // for all of them, its source span noted once: per glyph, a
            // push_back each and a byte store (which, for the compiler, may
            // change any of the line's fields) cost more than the glyph.
            auto push_range = [&](uint32_t b, uint32_t e) {
                const size_t wb = doc.glyphs.size();
                doc.glyphs.resize(wb + (e - b));
                doc.marker.resize(wb + (e - b));
                char32_t* glyph = doc.glyphs.data() + wb;
                uint8_t* marker = doc.marker.data() + wb;
                uint32_t src_b = 0, src_e = 0, spaces = 0;
                bool any = false;
                for (uint32_t k = b; k < e; ++k) {
                    const PChar& c = s[k];
                    if (c.brk) continue;
                    *glyph++ = c.cp;
                    *marker++ = c.marker;
                    spaces += c.cp == 0xA0;
                    if (!c.marker) {
                        if (!any) src_b = c.src;
                        src_e = std::max(src_e, c.src + 1);
                        any = true;
                    }
                }
                const size_t we = size_t(glyph - doc.glyphs.data());
                doc.glyphs.resize(we);
                doc.marker.resize(we);
                nbsp += spaces;
                if (any) note_src(src_b, src_e);
                pl.words.push_back({uint32_t(wb), uint32_t(we)});
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
        if (on_pages_done) on_pages_done(doc, page + 1);
        ++page;
        y = top;
        at_top = true;
    };

    Paragraphs paras(text, markup, size_t(cfg.paragraph_lines), cfg.tab_spaces);
    // About one glyph per source character: growing by doubling would copy
    // (and page-fault in) the glyphs of a novel several times over.
    doc.glyphs.reserve(text.chars.size());
    doc.marker.reserve(text.chars.size());
    for (Paragraph para; paras.next(para);) {
        // Word wrapping resumes in the paragraph's characters at `start`; CJK
        // wrapping hands out each page's lines with their own characters.
        std::optional<CjkParagraph> cjk_para;
        std::vector<PChar> cjk_page_chars;
        const std::vector<PChar>& chars = cjk ? cjk_page_chars : para.chars;
        uint32_t start = 0;
        bool first_part = true;
        for (;;) {
            throw_if_cancelled(cancel);
            double space_before = at_top ? 0 : std::max(cfg.space_before - prev_space_after, 0.0);
            double avail_h = y - bottom - space_before;
            const WrapWidths& widths = first_part ? first_widths : later_widths;
            const size_t fit = avail_h > 0 ? size_t(avail_h / leading) : 0;
            // Break one line more than fits, to know whether the paragraph fits whole.
            std::vector<BrokenLine> lines;
            if (cjk) {
                if (!cjk_para) cjk_para.emplace(ts, para.chars, widths, para.single_frag);
                cjk_para->take(std::min(cjk_para->line_count(), fit + 1), cjk_page_chars, lines);
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
            // reportlab wraps the page's part again from its fragments before
            // drawing it, and fragments that end in a break make no empty
            // line after it: a part whose last line is an empty source line
            // is one line shorter, so its origin sits one leading higher.
            // (Its CJK wrapper reuses the lines it split, so CJK keeps them.)
            const bool drops_empty_last = !cjk && last_placed.words.empty() && last_placed.line_break;
            const uint32_t next_start = lines[s].start;
            if (at_top && drops_empty_last && s == 1 && next_start <= start)
                // A page of one line whose part is the blank line a break
                // leaves: the part is dropped and the rest begins with the
                // same break, so no page would ever take it. reportlab fails
                // here too ("too large on page").
                throw InputError("the page holds one line of text (line-height " + pt_text(leading) +
                                 " pt), and the reference layout cannot carry a paragraph across such pages at a "
                                 "line break: give the page room for two lines or use mode clean");
            place(chars, lines, drops_empty_last ? s - 1 : s, first_part, !last_placed.line_break);
            at_top = false;
            if (cjk) cjk_para->split_after(s);
            else start = next_start;
            first_part = false;
            new_page();
        }
    }
    doc.page_count = page + 1;
    return doc;
}

}  // namespace glyph
