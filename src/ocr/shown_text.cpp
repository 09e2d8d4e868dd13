// The text as a page shows it: the source with the inline newline marker in
// place of the line breaks the layout replaced by it.
#include <string>

#include "glyph/ocr.h"

namespace glyph {
namespace {

// The TEXT of "<font ...>TEXT</font>", with the entities reportlab's
// paragraph parser decodes; empty for "<br/>".
std::string marker_text(const std::string& markup) {
    if (markup.rfind("<font", 0) != 0) return "";
    const size_t open_end = markup.find('>');
    const size_t close = markup.rfind("</font>");
    if (open_end == std::string::npos || close == std::string::npos || close < open_end) return "";
    const std::string raw = markup.substr(open_end + 1, close - open_end - 1);
    static const std::pair<const char*, const char*> entities[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", "\xC2\xA0"}, {"&quot;", "\""}};
    std::string out;
    for (size_t i = 0; i < raw.size();) {
        bool matched = false;
        for (const auto& [name, text] : entities) {
            const std::string_view n(name);
            if (raw.compare(i, n.size(), n) == 0) {
                out += text;
                i += n.size();
                matched = true;
                break;
            }
        }
        if (!matched) out += raw[i++];
    }
    return out;
}

// A line break at `i` ("\n", "\r\n" or "\r", as the renderer reads them);
// its length in bytes, 0 when there is none.
size_t break_length(std::string_view s, size_t i) {
    if (s[i] == '\n') return 1;
    if (s[i] == '\r') return (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
    return 0;
}

}  // namespace

std::string shown_text(std::string_view source, size_t begin, size_t end, const RenderConfig& config) {
    end = std::min(end, source.size());
    begin = std::min(begin, end);
    const std::string marker = marker_text(config.newline_markup);
    if (marker.empty()) return std::string(source.substr(begin, end - begin));
    // Which source line `begin` lies on decides where the paragraph breaks fall.
    size_t line = 0;
    for (size_t i = 0; i < begin;) {
        const size_t n = break_length(source, i);
        line += n ? 1 : 0;
        i += n ? n : 1;
    }
    const size_t per_paragraph = config.paragraph_lines > 0 ? size_t(config.paragraph_lines) : 0;
    std::string out;
    out.reserve(end - begin);
    for (size_t i = begin; i < end;) {
        const size_t n = break_length(source, i);
        if (!n) {
            out += source[i++];
            continue;
        }
        ++line;
        const bool paragraph_break = per_paragraph && line % per_paragraph == 0;
        out += paragraph_break ? std::string("\n") : marker;
        i += n;
    }
    return out;
}

}  // namespace glyph
