// The pre-tokenizer's split regex: a tokenizer.json pattern compiled with
// PCRE2 (JIT), with the meaning the reference implementation gives it.
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "glyph/tokenizer.h"

namespace glyph::tokens {

// Rewrites a Hugging Face (Rust/Oniguruma-syntax) pattern into PCRE2 syntax
// that matches what the JavaScript reference matches: the case-insensitive
// contraction group is spelled out as the reference spells it, and \s / \S
// use ECMAScript's whitespace set (which has U+FEFF and lacks U+0085).
// Throws TokenizerError for constructs it cannot carry over.
std::string translate_split_pattern(std::string_view pattern);

// Per-call matching state (match data and JIT stack); not shared between threads.
class MatchScratch {
public:
    MatchScratch();
    ~MatchScratch();
    MatchScratch(const MatchScratch&) = delete;
    MatchScratch& operator=(const MatchScratch&) = delete;
    pcre2_match_data* data() const { return data_; }
    pcre2_match_context* context() const { return context_; }

private:
    pcre2_match_data* data_ = nullptr;
    pcre2_match_context* context_ = nullptr;
    pcre2_jit_stack* stack_ = nullptr;
};

// Where the GPT-4-style split of Qwen2/3 (digits one by one) and Llama 3
// (digits in threes) would match at `start` of `text`, decided by hand from
// the ASCII bytes it has to classify; npos when a byte it would have to
// classify is not ASCII (only the regex knows Unicode's letters and spaces).
// Every ASCII character starts a match of that pattern, so the match found
// here is the one the regex finds from `start`. max_digits: 1 or 3.
size_t gpt4_style_ascii_match(std::string_view text, size_t start, int max_digits);

class SplitRegex {
public:
    explicit SplitRegex(std::string_view hf_pattern);
    ~SplitRegex();
    SplitRegex(const SplitRegex&) = delete;
    SplitRegex& operator=(const SplitRegex&) = delete;

    // The pattern as tokenizer.json spells it (a compiled image stores this).
    const std::string& source() const { return source_; }

    // Calls emit(piece) for every non-empty match and, with keep_gaps, every
    // non-empty stretch between matches, in text order. `text` must be valid UTF-8.
    template <class Emit>
    void split(std::string_view text, bool keep_gaps, MatchScratch& scratch, Emit&& emit) const {
        const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
        size_t gap_start = 0, offset = 0;
        while (offset < text.size()) {
            if (ascii_digits_ > 0) {
                const size_t end = gpt4_style_ascii_match(text, offset, ascii_digits_);
                if (end != std::string_view::npos) {
                    if (keep_gaps && offset > gap_start) emit(text.substr(gap_start, offset - gap_start));
                    emit(text.substr(offset, end - offset));
                    gap_start = offset = end;
                    continue;
                }
            }
            const int rc = match(subject, text.size(), offset, scratch);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) fail(rc, offset);
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(scratch.data());
            const size_t begin = ov[0], end = ov[1];
            if (end > begin) {
                if (keep_gaps && begin > gap_start) emit(text.substr(gap_start, begin - gap_start));
                emit(text.substr(begin, end - begin));
                gap_start = offset = end;
            } else {
                // An empty match: resume one code point later, as String.matchAll does.
                offset = begin + 1;
                while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
            }
        }
        if (keep_gaps && gap_start < text.size()) emit(text.substr(gap_start));
    }

private:
    int match(PCRE2_SPTR subject, size_t length, size_t offset, MatchScratch& scratch) const {
        if (jit_) return pcre2_jit_match(code_, subject, length, offset, 0, scratch.data(), scratch.context());
        return pcre2_match(code_, subject, length, offset, PCRE2_NO_UTF_CHECK, scratch.data(), scratch.context());
    }
    [[noreturn]] static void fail(int rc, size_t offset);

    std::string source_;
    pcre2_code* code_ = nullptr;
    bool jit_ = false;
    int ascii_digits_ = 0;  // > 0: the pattern is one gpt4_style_ascii_match knows, with this digit group
};

}  // namespace glyph::tokens
