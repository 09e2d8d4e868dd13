// Needle-in-a-haystack documents: seeded filler prose holding "The special
// magic number for KEY is VALUE." sentences at chosen depths; and reading
// needle questions and values back (RULER's phrasing too), OCR-tolerant.
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

enum class NeedleKind { kNumber, kWord, kUuid };
const char* needle_kind_name(NeedleKind kind);  // "number" | "word" | "uuid"

// A question asking for special magic values, in RULER's phrasing ("What is
// the special magic uuid for KEY mentioned in the provided text?", "What are
// all the special magic numbers for A, B, and C mentioned ...?") or ours
// ("What is the special magic number for KEY?"). The last question in the
// text is the one read, so a whole prompt can be given.
struct NeedleQuestion {
    std::vector<std::string> keys;  // lowercased, in the order asked
    NeedleKind kind = NeedleKind::kNumber;
    bool all_values = false;  // "What are all the ...": every value of each key
};
std::optional<NeedleQuestion> parse_needle_question(std::string_view question);

// The values stated for `key` ("... magic numbers for KEY is: VALUE." or
// "... magic number for KEY is VALUE.") in a text that may carry reading
// errors (OCR): words are matched with a small edit distance and digit
// look-alikes are repaired. The closest needle's value, or with all_values
// every value found for the key, in text order. Empty when none is found.
std::vector<std::string> find_needle_values(std::string_view text, std::string_view key, NeedleKind kind,
                                            bool all_values);

}  // namespace glyph
