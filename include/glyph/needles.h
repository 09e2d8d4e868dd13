// RULER-style needle-in-a-haystack documents: seeded filler prose holding
// "The special magic number for KEY is VALUE." sentences at chosen depths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/tokenizer.h"

namespace glyph {

struct Needle {
    std::string key;    // e.g. "amber-falcon"
    std::string value;  // a 7-digit number, as RULER uses
    double depth = 0;   // where it sits, 0 = start, 1 = end
    size_t offset = 0;  // byte offset of its sentence in the document
};

struct NeedleDocument {
    std::string text;
    std::vector<Needle> needles;
    int64_t tokens = 0;  // the whole text, counted with the tokenizer given
};

struct NeedleOptions {
    int64_t target_tokens = 4000;  // the document reaches at least this many tokens
    int needles = 1;
    std::vector<double> depths;    // one per needle in [0, 1]; empty: spread evenly
    uint64_t seed = 1;             // same seed, same document
};

// Throws std::invalid_argument for a non-positive length, no needles, or
// depths that do not match the needle count or fall outside [0, 1].
NeedleDocument make_needle_document(const NeedleOptions& options, const Tokenizer& tokenizer);

std::string needle_sentence(const Needle& needle);

// "What is the special magic number for KEY?"
std::string needle_question(std::string_view key);

// The KEY of a question asking for a special magic number; nullopt otherwise.
std::optional<std::string> needle_key(std::string_view question);

// The value stated for `key` in a text that may carry reading errors (OCR):
// words are matched with a small edit distance and digit look-alikes are
// repaired. nullopt when no needle sentence for the key is found.
std::optional<std::string> find_needle_value(std::string_view text, std::string_view key);

}  // namespace glyph
