// What a loaded tokenizer.json becomes: immutable tables the encoder reads.
// Two kinds of BPE share them: byte-level (GPT-2 style: Qwen, Llama 3, GPT-4o,
// DeepSeek, ...) merges byte tokens; character-level (SentencePiece style:
// Llama 2, Gemma) merges code points and spells unknown ones as <0xXX> bytes.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unicode/normalizer2.h>

#include "glyph/tokenizer.h"
#include "tokens/merge_table.h"
#include "tokens/split_regex.h"
#include "tokens/string_table.h"


namespace glyph {

// A literal token matched in the raw text before normalization and BPE.
struct AddedTokenRule {
    std::string content;
    uint32_t id = 0;
    bool lstrip = false;  // strip whitespace on the left (trailing whitespace of the text before it)
    bool rstrip = false;  // strip whitespace on the right
};

// One pre-tokenizer stage, applied to every piece the previous stage produced.
struct PreTokenizeStep {
    bool byte_level = false;                 // a ByteLevel stage (bytes map to the BPE alphabet)
    bool add_prefix_space = false;           // ByteLevel: prepend ' ' unless the piece starts with one
    const tokens::SplitRegex* regex = nullptr;  // split with this regex (null: keep the piece whole)
    bool keep_gaps = true;                   // Split keeps text between matches; ByteLevel's regex drops it

    // Metaspace (SentencePiece's space mark): every ' ' becomes `replacement`,
    // which is also put in front of a piece not starting with it (always, only
    // for the piece that starts the text, or never) and, with
    // split_at_replacement, starts a new piece wherever it occurs.
    enum class Prepend : uint8_t { Always, First, Never };
    bool metaspace = false;
    std::string replacement;  // one code point, UTF-8
    Prepend prepend = Prepend::Always;
    bool split_at_replacement = false;
};

// A Unicode normalization form, as tokenizer.json names it.
enum class NormalForm : uint8_t { NFC, NFD, NFKC, NFKD };

// ICU's normalizer for `form`; throws TokenizerError when ICU cannot provide it.
const icu::Normalizer2& icu_normalizer(NormalForm form);

// One normalizer stage, applied to each stretch of text between added tokens.
struct NormalizeStep {
    enum class Kind : uint8_t { Unicode, Replace, Prepend };
    Kind kind = Kind::Unicode;
    NormalForm form = NormalForm::NFC;         // Unicode
    const icu::Normalizer2* normalizer = nullptr;  // Unicode
    std::string pattern;  // Replace: every occurrence of this literal ...
    std::string content;  // ... becomes this; Prepend: this goes in front
};

struct Tokenizer::Model {
    std::string path;
    std::string image_path;  // where the compiled image was read or written ("" when none)
    // The compiled image the tables view, when loaded from one (see model_image.h).
    std::shared_ptr<const void> image;

    // Longest-first candidates per first byte of their content.
    std::vector<AddedTokenRule> added;
    std::array<std::vector<uint32_t>, 256> added_by_first_byte;
    // Fills added_by_first_byte from `added`.
    void index_added_tokens() {
        for (uint32_t i = 0; i < added.size(); ++i)
            added_by_first_byte[static_cast<unsigned char>(added[i].content[0])].push_back(i);
        for (auto& candidates : added_by_first_byte) {
            std::stable_sort(candidates.begin(), candidates.end(),
                             [&](uint32_t a, uint32_t b) { return added[a].content.size() > added[b].content.size(); });
        }
    }

    std::vector<NormalizeStep> normalizers;  // applied in order

    std::vector<std::unique_ptr<tokens::SplitRegex>> regexes;  // owned; steps point into them
    const tokens::SplitRegex* add_regex(const std::string& hf_pattern) {
        regexes.push_back(std::make_unique<tokens::SplitRegex>(hf_pattern));
        return regexes.back().get();
    }
    std::vector<PreTokenizeStep> steps;

    // Byte-level: every byte has a token and words start as bytes.
    // Character-level: words start as code points, looked up in vocab_by_bytes.
    bool char_level = false;
    std::array<uint32_t, 256> byte_ids{};  // byte-level: token of each single byte
    // Character-level: the <0xXX> token of each byte (kNoToken where missing)
    // when the model sets byte_fallback, and the unknown token.
    bool byte_fallback = false;
    std::array<uint32_t, 256> fallback_ids{};
    uint32_t unk_id = kNoToken;
    bool fuse_unk = false;  // consecutive unknown tokens become one
    tokens::MergeTable merges;
    // Whole pre-token -> id (the token's bytes as they appear in the text):
    // consulted before merging when the model sets ignore_merges, and for
    // each code point of a character-level model.
    bool ignore_merges = false;
    tokens::StringIdTable vocab_by_bytes;
    bool has_word_table() const { return ignore_merges || char_level; }

    // Character-level: where a word may be cut before a U+2581 (the space
    // mark) without changing its tokens. A merge can only cross such a cut
    // if some merged token holds the code point before the cut followed by
    // U+2581; the code points that do (other than U+2581) are listed here.
    // Off with ignore_merges, whose whole-word lookup needs the whole word.
    bool cut_before_space_mark = false;
    std::vector<std::string> joined_before_space_mark;
    bool joins_space_mark(std::string_view code_point) const {
        return std::find(joined_before_space_mark.begin(), joined_before_space_mark.end(), code_point) !=
               joined_before_space_mark.end();
    }

    static constexpr uint32_t kNoToken = UINT32_MAX;

    size_t vocab_size = 0;

    // The spellings decode() needs, read from `path` on its first call (detokenize.cpp).
    struct Decoding;
    std::shared_ptr<Decoding> decoding;  // set by Tokenizer::load (new_decoding())
    static std::shared_ptr<Decoding> new_decoding();
};

}  // namespace glyph
