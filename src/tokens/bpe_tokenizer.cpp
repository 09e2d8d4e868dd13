// Encoding: added-token split, normalization, pre-tokenizer split and BPE
// merges, with a per-call cache of words already merged.
#include <algorithm>
#include <climits>
#include <cstring>

#include "tokens/string_table.h"
#include "tokens/tokenizer_model.h"
#include "tokens/utf8_scan.h"
#include "util/normalize.h"

namespace glyph {
namespace {

// Words seen earlier in this call and their ids. Text repeats words heavily,
// so most words skip merging altogether.
class WordCache {
public:
    static constexpr size_t kMaxWord = 256;  // longer words rarely repeat

    WordCache() : slots_(1024) {}

    // Returns {ids, count} or {nullptr, 0}.
    std::pair<const uint32_t*, size_t> find(std::string_view word, uint64_t hash) const {
        for (size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            const Slot& s = slots_[i];
            if (s.key_len == 0) return {nullptr, 0};
            if (s.hash == hash && s.key_len == word.size() && std::memcmp(keys_.data() + s.key_at, word.data(), word.size()) == 0)
                return {ids_.data() + s.ids_at, s.ids_len};
        }
    }

    void insert(std::string_view word, uint64_t hash, const uint32_t* ids, size_t count) {
        // Offsets are 32-bit: past that much distinct text the cache just stops growing.
        if (keys_.size() + word.size() > UINT32_MAX || ids_.size() + count > UINT32_MAX) return;
        if ((used_ + 1) * 2 > slots_.size()) grow();
        Slot slot{hash, uint32_t(keys_.size()), uint32_t(word.size()), uint32_t(ids_.size()), uint32_t(count)};
        keys_.append(word);
        ids_.insert(ids_.end(), ids, ids + count);
        place(slot);
        ++used_;
    }

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t key_at = 0, key_len = 0;  // key_len 0 marks an empty slot (words are never empty)
        uint32_t ids_at = 0, ids_len = 0;
    };

    void place(const Slot& slot) {
        size_t i = slot.hash & (slots_.size() - 1);
        while (slots_[i].key_len != 0) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = slot;
    }

    void grow() {
        std::vector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        for (const Slot& s : old)
            if (s.key_len != 0) place(s);
    }

    std::vector<Slot> slots_;
    size_t used_ = 0;
    std::string keys_;
    std::vector<uint32_t> ids_;
};

// Merges one word: repeatedly the lowest-ranked adjacent pair, leftmost
// first on ties, exactly the order the reference's priority queue yields.
// Byte-level words start as byte tokens, character-level words as the
// tokens of their code points.
class WordMerger {
public:
    void merge(const Tokenizer::Model& model, std::string_view word, std::vector<uint32_t>& out) {
        const size_t n = model.char_level ? start_code_points(model, word) : start_bytes(model, word);
        heap_.clear();
        for (size_t i = 0; i + 1 < n; ++i) model.merges.prefetch(symbols_[i].id, symbols_[i + 1].id);
        for (size_t i = 0; i + 1 < n; ++i) consider(model, int32_t(i));
        while (!heap_.empty()) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            const Candidate c = heap_.back();
            heap_.pop_back();
            const auto pos = int32_t(c.order & 0xFFFFFFFFu);
            Symbol& left = symbols_[size_t(pos)];
            // Stale if either side has merged since this pair was queued.
            if (left.id != c.left || left.next < 0 || symbols_[size_t(left.next)].id != c.right) continue;
            Symbol& right = symbols_[size_t(left.next)];
            left.id = c.merged;
            left.next = right.next;
            right.id = kDead;
            if (left.next >= 0) symbols_[size_t(left.next)].prev = pos;
            if (left.prev >= 0 && left.next >= 0) {
                model.merges.prefetch(symbols_[size_t(left.prev)].id, left.id);
                model.merges.prefetch(left.id, symbols_[size_t(left.next)].id);
            }
            if (left.prev >= 0) consider(model, left.prev);
            if (left.next >= 0) consider(model, pos);
        }
        for (int32_t i = 0; i >= 0; i = symbols_[size_t(i)].next) {
            const uint32_t id = symbols_[size_t(i)].id;
            if (id != kUnknown) out.push_back(id);
            else spell_unknown(model, word.substr(starts_[size_t(i)], starts_[size_t(i) + 1] - starts_[size_t(i)]), out);
        }
    }

private:
    static constexpr uint32_t kDead = UINT32_MAX;
    // A code point outside the vocabulary: in no merge (unlike kDead, a pair
    // of two never packs to the merge table's empty key).
    static constexpr uint32_t kUnknown = UINT32_MAX - 1;

    size_t start_bytes(const Tokenizer::Model& model, std::string_view word) {
        const size_t n = word.size();
        symbols_.resize(n);
        for (size_t i = 0; i < n; ++i)
            symbols_[i] = {model.byte_ids[static_cast<unsigned char>(word[i])], int32_t(i) - 1,
                           i + 1 < n ? int32_t(i + 1) : -1};
        return n;
    }

    size_t start_code_points(const Tokenizer::Model& model, std::string_view word) {
        symbols_.clear();
        starts_.clear();
        for (size_t at = 0; at < word.size();) {
            const size_t len = std::max<size_t>(1, tokens::utf8_sequence_length(word, at));
            const uint32_t* id = model.vocab_by_bytes.find(word.substr(at, len));
            const auto i = int32_t(symbols_.size());
            symbols_.push_back({id ? *id : kUnknown, i - 1, i + 1});
            starts_.push_back(at);
            at += len;
        }
        starts_.push_back(word.size());
        symbols_.back().next = -1;
        return symbols_.size();
    }

    // As the reference: the code point's UTF-8 bytes as <0xXX> tokens when
    // the model has all of them, else the unknown token (none if it has none).
    static void spell_unknown(const Tokenizer::Model& model, std::string_view code_point, std::vector<uint32_t>& out) {
        bool spelled = model.byte_fallback;
        for (char c : code_point) spelled = spelled && model.fallback_ids[static_cast<unsigned char>(c)] != Tokenizer::Model::kNoToken;
        if (spelled) {
            for (char c : code_point) out.push_back(model.fallback_ids[static_cast<unsigned char>(c)]);
        } else if (model.unk_id != Tokenizer::Model::kNoToken) {
            out.push_back(model.unk_id);
        }
    }
    struct Symbol {
        uint32_t id;
        int32_t prev, next;
    };
    struct Candidate {
        uint64_t order;  // rank << 32 | position of the left symbol
        uint32_t left, right, merged;
    };
    static bool later(const Candidate& a, const Candidate& b) { return a.order > b.order; }

    void consider(const Tokenizer::Model& model, int32_t pos) {
        const Symbol& left = symbols_[size_t(pos)];
        const uint32_t right = symbols_[size_t(left.next)].id;
        if (const tokens::MergeTable::Merge* m = model.merges.find(left.id, right)) {
            heap_.push_back({(uint64_t(m->rank) << 32) | uint32_t(pos), left.id, right, m->merged});
            std::push_heap(heap_.begin(), heap_.end(), later);
        }
    }

    std::vector<Symbol> symbols_;
    std::vector<size_t> starts_;  // character-level: byte offset of each first symbol, then the word's end
    std::vector<Candidate> heap_;
};

// ECMAScript's WhiteSpace and LineTerminator set: what String.trim removes.
bool is_js_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

char32_t decode_at(std::string_view s, size_t i, size_t len) {
    const auto b = [&](size_t k) { return char32_t(static_cast<unsigned char>(s[i + k])); };
    switch (len) {
        case 1: return b(0);
        case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
        case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
        default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    }
}

std::string_view trim_js_space_start(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const size_t len = tokens::utf8_sequence_length(s, i);
        if (!is_js_space(decode_at(s, i, len))) break;
        i += len;
    }
    return s.substr(i);
}

std::string_view trim_js_space_end(std::string_view s) {
    size_t end = s.size();
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        if (!is_js_space(decode_at(s, start, end - start))) break;
        end = start;
    }
    return s.substr(0, end);
}

class Encoder {
public:
    // `known`: words merged by an earlier count of this model, read only.
    Encoder(const Tokenizer::Model& model, std::vector<uint32_t>& out, const std::atomic<bool>* cancel,
            const WordCache* known = nullptr)
        : model_(model), out_(out), cancel_(cancel), known_(known) {}

    WordCache take_words() { return std::move(cache_); }

    // `text` is valid UTF-8.
    void encode(std::string_view text) {
        if (model_.added.empty()) {
            encode_section(text, true);
            return;
        }
        struct Segment {
            std::string_view text;
            const AddedTokenRule* added;
        };
        std::vector<Segment> segments;
        size_t start = 0;
        for (size_t i = 0; i < text.size();) {
            const AddedTokenRule* hit = nullptr;
            for (uint32_t index : model_.added_by_first_byte[static_cast<unsigned char>(text[i])]) {
                const std::string& content = model_.added[index].content;
                if (text.compare(i, content.size(), content) == 0) {
                    hit = &model_.added[index];
                    break;
                }
            }
            if (!hit) {
                ++i;
                continue;
            }
            if (i > start) segments.push_back({text.substr(start, i - start), nullptr});
            segments.push_back({text.substr(i, hit->content.size()), hit});
            i += hit->content.size();
            start = i;
        }
        if (start < text.size()) segments.push_back({text.substr(start), nullptr});

        for (size_t k = 0; k < segments.size(); ++k) {
            const AddedTokenRule* added = segments[k].added;
            if (!added) continue;
            if (added->lstrip && k > 0 && !segments[k - 1].added)
                segments[k - 1].text = trim_js_space_end(segments[k - 1].text);
            if (added->rstrip && k + 1 < segments.size() && !segments[k + 1].added)
                segments[k + 1].text = trim_js_space_start(segments[k + 1].text);
        }
        for (const Segment& s : segments) {
            if (s.added) out_.push_back(s.added->id);
            else encode_section(s.text, s.text.data() == text.data());
        }
    }

private:
    // `at_start`: the section begins the text (Metaspace's prepend_scheme "first").
    void encode_section(std::string_view section, bool at_start) {
        if (section.empty()) return;
        throw_if_cancelled(cancel_);
        std::string normalized;
        if (!model_.normalizers.empty() && section.size() > size_t(INT32_MAX))
            throw TokenizerError("cannot normalize a text stretch over 2 GiB without added tokens in it; split the text");
        for (const NormalizeStep& step : model_.normalizers) {
            std::string result;
            if (!apply(step, section, result)) continue;
            normalized = std::move(result);
            section = normalized;
        }
        if (section.empty()) return;
        const size_t first = out_.size();
        split(section, 0, at_start);
        if (model_.fuse_unk && model_.unk_id != Tokenizer::Model::kNoToken) fuse_unknowns(first);
    }

    // Writes the normalized text to `result` and returns true, or returns
    // false when the step leaves `text` as it is.
    static bool apply(const NormalizeStep& step, std::string_view text, std::string& result) {
        switch (step.kind) {
            case NormalizeStep::Kind::Unicode: {
                UErrorCode status = U_ZERO_ERROR;
                const bool changed = normalize_utf8(*step.normalizer, text, result, status);
                if (U_FAILURE(status)) throw TokenizerError(std::string("Unicode normalization failed: ") + u_errorName(status));
                return changed;
            }
            case NormalizeStep::Kind::Replace: {
                size_t at = text.find(step.pattern);
                if (at == std::string_view::npos) return false;
                result.reserve(text.size() + text.size() / 4);
                size_t from = 0;
                for (; at != std::string_view::npos; at = text.find(step.pattern, from)) {
                    result.append(text.substr(from, at - from)).append(step.content);
                    from = at + step.pattern.size();
                }
                result.append(text.substr(from));
                return true;
            }
            case NormalizeStep::Kind::Prepend:
                if (step.content.empty()) return false;
                result.reserve(step.content.size() + text.size());
                result.append(step.content).append(text);
                return true;
        }
        return false;
    }

    // The reference's fuse_unk: a run of unknown tokens in one stretch of text is one token.
    void fuse_unknowns(size_t first) {
        size_t kept = first;
        for (size_t i = first; i < out_.size(); ++i) {
            if (out_[i] == model_.unk_id && kept > first && out_[kept - 1] == model_.unk_id) continue;
            out_[kept++] = out_[i];
        }
        out_.resize(kept);
    }

    // `at_start`: the piece begins the text, as Hugging Face's offsets tell it.
    void split(std::string_view piece, size_t step_index, bool at_start) {
        if (step_index == model_.steps.size()) {
            encode_word(piece);
            return;
        }
        const PreTokenizeStep& step = model_.steps[step_index];
        if (step.metaspace) {
            split_metaspace(step, piece, step_index, at_start);
        } else if (step.add_prefix_space && piece.front() != ' ') {
            std::string prefixed = " ";
            prefixed.append(piece);
            split_with(step, prefixed, step_index, at_start);
        } else {
            split_with(step, piece, step_index, at_start);
        }
    }

    void split_with(const PreTokenizeStep& step, std::string_view piece, size_t step_index, bool at_start) {
        if (!step.regex) {
            split(piece, step_index + 1, at_start);
            return;
        }
        step.regex->split(piece, step.keep_gaps, scratch_, [&](std::string_view part) {
            split(part, step_index + 1, at_start && part.data() == piece.data());
        });
    }

    // Hugging Face's Metaspace: spaces become the mark, the mark goes in
    // front when the scheme asks and the piece does not start with one, and
    // with `split` every mark starts a new piece (MergedWithNext).
    void split_metaspace(const PreTokenizeStep& step, std::string_view piece, size_t step_index, bool at_start) {
        if (piece.empty()) return;
        const std::string_view mark = step.replacement;
        const bool wants_mark = step.prepend == PreTokenizeStep::Prepend::Always ||
                                (step.prepend == PreTokenizeStep::Prepend::First && at_start);
        std::string marked;
        marked.reserve(piece.size() + piece.size() / 4 + mark.size());
        if (wants_mark && piece.front() != ' ' && !piece.starts_with(mark)) marked.append(mark);
        for (size_t from = 0;;) {
            const size_t space = piece.find(' ', from);
            marked.append(piece.substr(from, space - from));
            if (space == std::string_view::npos) break;
            marked.append(mark);
            from = space + 1;
        }
        const std::string_view text = marked;
        if (!step.split_at_replacement) {
            split(text, step_index + 1, at_start);
            return;
        }
        size_t start = 0;
        for (size_t at = text.find(mark, 1); at != std::string_view::npos; at = text.find(mark, at + mark.size())) {
            split(text.substr(start, at - start), step_index + 1, at_start && start == 0);
            start = at;
        }
        split(text.substr(start), step_index + 1, at_start && start == 0);
    }

    void encode_word(std::string_view word) {
        if (!model_.cut_before_space_mark) {
            encode_piece(word);
            return;
        }
        // One normalized stretch is often a single word here (Llama 2 has no
        // pre-tokenizer): cut it where no merge can cross, so the pieces hit the cache.
        constexpr std::string_view kMark = "\xE2\x96\x81";
        size_t start = 0;
        for (size_t at = word.find(kMark, 1); at != std::string_view::npos; at = word.find(kMark, at + kMark.size())) {
            size_t before = at - 1;
            while (before > 0 && (static_cast<unsigned char>(word[before]) & 0xC0) == 0x80) --before;
            const std::string_view code_point = word.substr(before, at - before);
            if (code_point == kMark || model_.joins_space_mark(code_point)) continue;
            encode_piece(word.substr(start, at - start));
            start = at;
        }
        encode_piece(word.substr(start));
    }

    void encode_piece(std::string_view word) {
        unchecked_bytes_ += word.size();
        if (unchecked_bytes_ >= kCancelCheckBytes) {
            throw_if_cancelled(cancel_);
            unchecked_bytes_ = 0;
        }
        if (word.size() == 1 && !model_.char_level) {
            out_.push_back(model_.byte_ids[static_cast<unsigned char>(word[0])]);
            return;
        }
        if (model_.ignore_merges) {
            if (const uint32_t* id = model_.vocab_by_bytes.find(word)) {
                out_.push_back(*id);
                return;
            }
        }
        if (word.size() > WordCache::kMaxWord) {
            merger_.merge(model_, word, out_);
            return;
        }
        const uint64_t hash = tokens::hash_bytes(word);
        if (known_) {
            if (auto [ids, count] = known_->find(word, hash); ids) {
                out_.insert(out_.end(), ids, ids + count);
                return;
            }
        }
        if (auto [ids, count] = cache_.find(word, hash); ids) {
            out_.insert(out_.end(), ids, ids + count);
            return;
        }
        const size_t before = out_.size();
        merger_.merge(model_, word, out_);
        cache_.insert(word, hash, out_.data() + before, out_.size() - before);
    }

    // How much text is encoded between looks at the stop flag.
    static constexpr size_t kCancelCheckBytes = 64 * 1024;

    const Tokenizer::Model& model_;
    std::vector<uint32_t>& out_;
    const std::atomic<bool>* cancel_;
    size_t unchecked_bytes_ = 0;
    tokens::MatchScratch scratch_;
    const WordCache* known_;
    WordCache cache_;
    WordMerger merger_;
};

}  // namespace

const icu::Normalizer2& icu_normalizer(NormalForm form) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* normalizer = nullptr;
    switch (form) {
        case NormalForm::NFC: normalizer = icu::Normalizer2::getNFCInstance(status); break;
        case NormalForm::NFD: normalizer = icu::Normalizer2::getNFDInstance(status); break;
        case NormalForm::NFKC: normalizer = icu::Normalizer2::getNFKCInstance(status); break;
        case NormalForm::NFKD: normalizer = icu::Normalizer2::getNFKDInstance(status); break;
    }
    if (U_FAILURE(status) || !normalizer)
        throw TokenizerError(std::string("ICU cannot provide a Unicode normalizer: ") + u_errorName(status));
    return *normalizer;
}

namespace {

// `utf8` when it is valid, else its repaired copy, kept in `repaired`.
std::string_view valid_utf8(std::string_view utf8, std::string& repaired) {
    if (tokens::valid_utf8_prefix(utf8, 0) == utf8.size()) return utf8;
    repaired = repair_utf8(utf8);
    return repaired;
}

}  // namespace

namespace {

// The ids of `utf8` (repaired first when it is not valid); the words merged
// on the way go to `kept` when given.
std::vector<uint32_t> encode_text(const Tokenizer::Model& model, std::string_view utf8,
                                  const std::atomic<bool>* cancel, WordCache* kept = nullptr) {
    std::string repaired;
    utf8 = valid_utf8(utf8, repaired);
    std::vector<uint32_t> ids;
    ids.reserve(utf8.size() / 4 + 16);
    Encoder encoder(model, ids, cancel);
    encoder.encode(utf8);
    if (kept) *kept = encoder.take_words();
    return ids;
}

}  // namespace

std::vector<uint32_t> Tokenizer::encode(std::string_view utf8, const std::atomic<bool>* cancel) const {
    return encode_text(*model_, utf8, cancel);
}

size_t Tokenizer::count(std::string_view utf8, const std::atomic<bool>* cancel) const {
    return encode(utf8, cancel).size();
}

// The model is held, not just pointed to, so that a memo that outlives its
// tokenizer can never be mistaken for another one's loaded at the same address.
struct Tokenizer::WordMemo::Words {
    std::shared_ptr<const Tokenizer::Model> model;
    WordCache cache;
};

Tokenizer::WordMemo::WordMemo() = default;
Tokenizer::WordMemo::~WordMemo() = default;
Tokenizer::WordMemo::WordMemo(WordMemo&&) noexcept = default;
Tokenizer::WordMemo& Tokenizer::WordMemo::operator=(WordMemo&&) noexcept = default;

size_t Tokenizer::count(std::string_view utf8, WordMemo& keep, const std::atomic<bool>* cancel) const {
    auto words = std::make_unique<WordMemo::Words>();
    words->model = model_;
    const size_t n = encode_text(*model_, utf8, cancel, &words->cache).size();
    keep.words_ = std::move(words);
    return n;
}

namespace {

std::vector<size_t> count_each_with(const Tokenizer::Model& model, const std::vector<std::string_view>& texts,
                                    const WordCache* known, const std::atomic<bool>* cancel) {
    std::vector<size_t> counts;
    counts.reserve(texts.size());
    std::vector<uint32_t> ids;
    // One encoder for all: its cache of merged words carries from text to
    // text, so the pages of a document cost little more than one pass over it.
    Encoder encoder(model, ids, cancel, known);
    std::string repaired;
    for (std::string_view utf8 : texts) {
        ids.clear();
        encoder.encode(valid_utf8(utf8, repaired));
        counts.push_back(ids.size());
    }
    return counts;
}

}  // namespace

std::vector<size_t> Tokenizer::count_each(const std::vector<std::string_view>& texts,
                                          const std::atomic<bool>* cancel) const {
    return count_each_with(*model_, texts, nullptr, cancel);
}

std::vector<size_t> Tokenizer::count_each(const std::vector<std::string_view>& texts, const WordMemo& known,
                                          const std::atomic<bool>* cancel) const {
    const bool mine = known.words_ && known.words_->model == model_;
    return count_each_with(*model_, texts, mine ? &known.words_->cache : nullptr, cancel);
}

}  // namespace glyph
