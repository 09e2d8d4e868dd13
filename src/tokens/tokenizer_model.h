// What a loaded tokenizer.json becomes: immutable tables the encoder reads.
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
};

// A Unicode normalization form, as tokenizer.json names it.
enum class NormalForm : uint8_t { NFC, NFD, NFKC, NFKD };

// ICU's normalizer for `form`; throws TokenizerError when ICU cannot provide it.
const icu::Normalizer2& icu_normalizer(NormalForm form);

struct NormalizeStep {
    NormalForm form;
    const icu::Normalizer2* normalizer;
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

    std::array<uint32_t, 256> byte_ids{};  // token of each single byte
    tokens::MergeTable merges;
    // Whole pre-token -> id, consulted before merging when the model sets ignore_merges.
    bool ignore_merges = false;
    tokens::StringIdTable vocab_by_bytes;

    size_t vocab_size = 0;
};

}  // namespace glyph
