// What a loaded tokenizer.json becomes: immutable tables the encoder reads.
#pragma once

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

struct Tokenizer::Model {
    std::string path;

    // Longest-first candidates per first byte of their content.
    std::vector<AddedTokenRule> added;
    std::array<std::vector<uint32_t>, 256> added_by_first_byte;

    std::vector<const icu::Normalizer2*> normalizers;  // applied in order (NFC, NFKC, ...)

    std::vector<std::unique_ptr<tokens::SplitRegex>> regexes;  // owned; steps point into them
    std::vector<PreTokenizeStep> steps;

    std::array<uint32_t, 256> byte_ids{};  // token of each single byte
    tokens::MergeTable merges;
    // Whole pre-token -> id, consulted before merging when the model sets ignore_merges.
    bool ignore_merges = false;
    tokens::StringIdTable vocab_by_bytes;

    size_t vocab_size = 0;
};

}  // namespace glyph
