#include "tokens/split_regex.h"

#include <new>

#include "tokens/step_settings.h"

namespace glyph::tokens {
namespace {

// ECMAScript's \s: WhiteSpace plus LineTerminator code points.
constexpr std::string_view kJsSpaceMembers =
    "\\x{9}-\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}";

// JavaScript has no inline (?i:...) groups, so the reference rewrites the
// GPT-4-style contraction group to this exact ASCII-only form (no U+017F for s).
constexpr std::string_view kContractionGroup = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
constexpr std::string_view kContractionSpelled = "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))";

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "error " + std::to_string(code);
    return reinterpret_cast<const char*>(buffer);
}

}  // namespace

std::string translate_split_pattern(std::string_view pattern) {
    const std::string spelled = replace_all(pattern, kContractionGroup, kContractionSpelled);
    std::string out;
    out.reserve(spelled.size() + 64);
    bool in_class = false;
    for (size_t i = 0; i < spelled.size(); ++i) {
        const char c = spelled[i];
        if (c == '\\' && i + 1 < spelled.size()) {
            const char d = spelled[++i];
            if (d == 's') {
                if (in_class) out.append(kJsSpaceMembers);
                else out.append("[").append(kJsSpaceMembers).append("]");
            } else if (d == 'S') {
                if (in_class) throw TokenizerError("pre-tokenizer regex uses \\S inside a character class, which is not supported");
                out.append("[^").append(kJsSpaceMembers).append("]");
            } else {
                out.push_back(c);
                out.push_back(d);
            }
            continue;
        }
        if (!in_class && c == '[') {
            in_class = true;
            out.push_back(c);
            // A ']' right after '[' or '[^' is a literal member, not the end.
            if (i + 1 < spelled.size() && spelled[i + 1] == '^') out.push_back(spelled[++i]);
            if (i + 1 < spelled.size() && spelled[i + 1] == ']') out.push_back(spelled[++i]);
            continue;
        }
        if (in_class && c == ']') in_class = false;
        out.push_back(c);
    }
    return out;
}

SplitRegex::SplitRegex(std::string_view hf_pattern) : source_(hf_pattern) {
    const std::string pattern = translate_split_pattern(hf_pattern);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    // No PCRE2_UCP: like JavaScript, \d \w \b stay ASCII-only; \p{..} is Unicode either way.
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF, &error,
                          &error_offset, nullptr);
    if (!code_) {
        throw TokenizerError("pre-tokenizer regex does not compile (" + pcre2_message(error) + " at offset " +
                             std::to_string(error_offset) + " of " + pattern + ")");
    }
    jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
}

SplitRegex::~SplitRegex() { pcre2_code_free(code_); }

void SplitRegex::fail(int rc, size_t offset) {
    throw TokenizerError("pre-tokenizer regex failed at byte " + std::to_string(offset) + ": " + pcre2_message(rc));
}

MatchScratch::MatchScratch() {
    // Only the whole match is read, so one ovector pair is enough.
    data_ = pcre2_match_data_create(1, nullptr);
    context_ = pcre2_match_context_create(nullptr);
    // Long runs (a megabyte of spaces) can exceed the JIT's default 32 KiB stack.
    stack_ = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    if (!data_ || !context_ || !stack_) {
        pcre2_jit_stack_free(stack_);
        pcre2_match_context_free(context_);
        pcre2_match_data_free(data_);
        throw std::bad_alloc();
    }
    pcre2_jit_stack_assign(context_, nullptr, stack_);
}

MatchScratch::~MatchScratch() {
    pcre2_jit_stack_free(stack_);
    pcre2_match_context_free(context_);
    pcre2_match_data_free(data_);
}

}  // namespace glyph::tokens
