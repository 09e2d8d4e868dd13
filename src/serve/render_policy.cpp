#include "serve/render_policy.h"

namespace glyph::serve {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

size_t trimmed_end(std::string_view text) {
    size_t end = text.size();
    while (end > 0 && is_space(text[end - 1])) --end;
    return end;
}

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

constexpr std::string_view kFullWidthQuestion = "\xEF\xBC\x9F";  // U+FF1F

// Where the sentence that ends at `end` starts within [line_start, end): just
// past the previous sentence end ('.', '!' or '?' followed by white space, or
// a CJK full stop, exclamation or question mark), else the line's start.
size_t sentence_start(std::string_view text, size_t line_start, size_t end) {
    size_t start = line_start;
    for (size_t i = line_start; i + 1 < end; ++i) {
        const char c = text[i];
        if ((c == '.' || c == '!' || c == '?') && is_space(text[i + 1])) start = i + 1;
        for (std::string_view mark : {std::string_view("\xE3\x80\x82"), std::string_view("\xEF\xBC\x81"), kFullWidthQuestion})
            if (text.substr(i, mark.size()) == mark && i + mark.size() < end) start = i + mark.size();
    }
    while (start < end && is_space(text[start])) ++start;
    return start;
}

size_t blank_line_split(std::string_view text, size_t end) {
    const size_t blank = text.rfind("\n\n", end == 0 ? 0 : end - 1);
    const size_t blank_crlf = text.rfind("\r\n\r\n", end == 0 ? 0 : end - 1);
    if (blank == std::string_view::npos && blank_crlf == std::string_view::npos) return std::string_view::npos;
    if (blank_crlf != std::string_view::npos && (blank == std::string_view::npos || blank_crlf + 2 > blank))
        return blank_crlf + 4;
    return blank + 2;
}

}  // namespace

const char* decision_name(Decision d) {
    switch (d) {
        case Decision::kRendered: return "rendered";
        case Decision::kDisabledByRequest: return "disabled-by-request";
        case Decision::kNoSaving: return "no-saving";
        case Decision::kRoleNotEnabled: return "role-not-enabled";
        case Decision::kBelowThreshold: return "below-threshold";
        case Decision::kNoTextPart: return "no-text-part";
    }
    return "below-threshold";
}

size_t question_split(std::string_view text, std::string_view separator, bool last_question) {
    if (!separator.empty()) {
        const size_t at = text.rfind(separator);
        if (at != std::string_view::npos) return at + separator.size();
    }
    const size_t end = trimmed_end(text);
    const size_t blank = blank_line_split(text, end);
    if (blank != std::string_view::npos)
        return last_question || end - blank <= kMaxQuestionBytes ? blank : std::string_view::npos;
    const std::string_view body = text.substr(0, end);
    if (!ends_with(body, "?") && !ends_with(body, kFullWidthQuestion)) return std::string_view::npos;
    const size_t nl = body.rfind('\n');
    const size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
    const size_t start = sentence_start(text, line_start, end);
    return end - start <= kMaxQuestionBytes ? start : std::string_view::npos;
}

size_t explicit_question_split(std::string_view text, std::string_view question) {
    const size_t end = trimmed_end(text);
    const size_t qend = trimmed_end(question);
    if (qend == 0 || qend > end) return std::string_view::npos;
    return text.substr(end - qend, qend) == question.substr(0, qend) ? end - qend : std::string_view::npos;
}

}  // namespace glyph::serve
