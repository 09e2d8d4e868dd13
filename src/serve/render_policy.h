// Which text of a request becomes pages, and why not when none does: how a
// text part splits into the document (rendered) and the question (kept as
// text), and the closed list of decisions every compressible reply states.
#pragma once

#include <string>
#include <string_view>

namespace glyph::serve {

// What the proxy decided for one request, in order of precedence: a request
// is `rendered` when any part became pages; otherwise the first reason that
// applies to some text part is given.
enum class Decision {
    kRendered,           // at least one part became pages
    kDisabledByRequest,  // "glyph": {"enabled": false}
    kNoSaving,           // a long part's pages would cost as many tokens as its text, or more: it stays text
    kRoleNotEnabled,     // a long part sits in a role not in --roles / "glyph".roles
    kBelowThreshold,     // every document part has at most min_tokens text tokens
    kNoTextPart,         // the request has no text part to render at all
};
const char* decision_name(Decision d);

// A trailing question longer than this is document, not a question (except in
// the last user message, whose text after its last blank line always stays).
constexpr size_t kMaxQuestionBytes = 2000;

// Where a text part splits into document and question: the offset the
// question starts at, or npos when the whole part is document. In order:
//   1. `separator` (when not empty) at its last occurrence: the text after it;
//   2. the last blank line: the text after it, when it is at most
//      kMaxQuestionBytes or `last_question` (the request's last user text);
//   3. no blank line: the last line, or the last sentence of it, when it ends
//      in a question mark ('?' or the full-width U+FF1F) and is at most
//      kMaxQuestionBytes.
// Every part splits the same way whether or not it is the last one (except
// rule 2's size cap), so a growing conversation keeps its old pages.
size_t question_split(std::string_view text, std::string_view separator = {}, bool last_question = true);

// The explicit question of a request ("glyph": {"question": "..."}): where it
// starts as the end of `text` (trailing white space aside), or npos.
size_t explicit_question_split(std::string_view text, std::string_view question);

}  // namespace glyph::serve
