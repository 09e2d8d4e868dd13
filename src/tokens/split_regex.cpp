#include "tokens/split_regex.h"

#include <array>
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

// The two tokenizer.json patterns gpt4_style_ascii_match knows, as Qwen2/3
// and Llama 3 spell them.
constexpr std::string_view kQwenSplit =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
constexpr std::string_view kLlama3Split =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// ASCII classes as the translated pattern sees them: \p{L} is A-Z a-z, \p{N}
// is 0-9, \s is ECMAScript's (tab to carriage return, and space); anything
// else (punctuation, symbols, control characters) is "other".
enum AsciiClass : uint8_t { kNotAscii, kLetter, kDigit, kSpace, kOther };

constexpr std::array<uint8_t, 128> kAsciiClasses = [] {
    std::array<uint8_t, 128> classes{};
    for (int c = 0; c < 128; ++c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) classes[size_t(c)] = kLetter;
        else if (c >= '0' && c <= '9') classes[size_t(c)] = kDigit;
        else if ((c >= 0x09 && c <= 0x0d) || c == ' ') classes[size_t(c)] = kSpace;
        else classes[size_t(c)] = kOther;
    }
    return classes;
}();

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "error " + std::to_string(code);
    return reinterpret_cast<const char*>(buffer);
}

}  // namespace

// Follows the pattern's alternatives in order:
//   (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,max} |
//    ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
size_t gpt4_style_ascii_match(std::string_view text, size_t start, int max_digits) {
    constexpr size_t kUndecided = std::string_view::npos;
    const size_t n = text.size();
    const auto class_at = [&](size_t i) -> uint8_t {
        const auto c = static_cast<unsigned char>(text[i]);
        return c < 0x80 ? kAsciiClasses[c] : uint8_t(kNotAscii);
    };
    const auto is_break = [&](size_t i) { return text[i] == '\r' || text[i] == '\n'; };
    // The end of a run of `cls` from i; undecided when a non-ASCII byte ends
    // it (it may be one more member).
    const auto run_end = [&](size_t i, uint8_t cls) {
        while (i < n && class_at(i) == cls) ++i;
        return i < n && class_at(i) == kNotAscii ? kUndecided : i;
    };
    const uint8_t first = class_at(start);
    if (first == kNotAscii) return kUndecided;

    if (text[start] == '\'' && start + 1 < n) {
        const char a = char(text[start + 1] | 0x20);  // lower case for letters; never a letter from a non-ASCII byte
        if (class_at(start + 1) == kLetter) {
            if (a == 's' || a == 't' || a == 'm' || a == 'd') return start + 2;
            if (start + 2 < n && class_at(start + 2) == kLetter) {
                const char b = char(text[start + 2] | 0x20);
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return start + 3;
            }
        }
    }
    if (first == kLetter) return run_end(start, kLetter);
    if (first != kDigit && !is_break(start) && start + 1 < n) {
        const uint8_t next = class_at(start + 1);
        if (next == kNotAscii) return kUndecided;
        if (next == kLetter) return run_end(start + 1, kLetter);
    }
    if (first == kDigit) {
        size_t i = start + 1;
        while (i < n && i - start < size_t(max_digits) && class_at(i) == kDigit) ++i;
        if (i - start < size_t(max_digits) && i < n && class_at(i) == kNotAscii) return kUndecided;
        return i;
    }
    const size_t symbols = first == kOther ? start : (text[start] == ' ' && start + 1 < n && class_at(start + 1) == kOther)
                                                         ? start + 1
                                                         : kUndecided;
    if (symbols != kUndecided) {
        size_t i = run_end(symbols, kOther);
        if (i == kUndecided) return kUndecided;
        while (i < n && is_break(i)) ++i;
        return i;
    }
    // White space: up to its last line break, else all of it but the last
    // character when something follows, else all of it.
    size_t end = start, after_break = kUndecided;
    for (; end < n && class_at(end) == kSpace; ++end)
        if (is_break(end)) after_break = end + 1;
    if (end < n && class_at(end) == kNotAscii) return kUndecided;
    if (after_break != kUndecided) return after_break;
    if (end == n || end - start == 1) return end;
    return end - 1;
}

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
    if (hf_pattern == kQwenSplit) ascii_digits_ = 1;
    if (hf_pattern == kLlama3Split) ascii_digits_ = 3;
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
