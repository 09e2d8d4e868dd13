// The BPE merge list as a flat hash table: (left id, right id) -> (rank, merged id).
// A table either owns its slots (built at load from tokenizer.json) or views
// slots stored in a compiled tokenizer image, used in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace glyph::tokens {

class MergeTable {
public:
    struct Merge {
        uint32_t rank;
        uint32_t merged;
    };

    explicit MergeTable(size_t expected = 0);
    // A moved vector keeps its buffer, so a moved table's view stays valid; a copy would not.
    MergeTable(MergeTable&&) = default;
    MergeTable& operator=(MergeTable&&) = default;
    MergeTable(const MergeTable&) = delete;
    MergeTable& operator=(const MergeTable&) = delete;

    // The slots as bytes, for a compiled image; view() reads them back.
    std::span<const std::byte> bytes() const;
    // A table over stored slots (which must outlive it), or nullopt when they
    // are not a well-formed table of `size` merges over ids below `id_limit`.
    static std::optional<MergeTable> view(std::span<const std::byte> slots, size_t size, uint32_t id_limit);

    // A later insert of the same pair replaces the earlier rank, as the
    // reference's Map construction does for duplicated merge lines.
    void insert(uint32_t left, uint32_t right, Merge merge);

    const Merge* find(uint32_t left, uint32_t right) const {
        const uint64_t key = pack(left, right);
        for (size_t slot = hash(key);; slot = (slot + 1) & mask_) {
            const Entry& e = entries_[slot];
            if (e.key == key) return &e.merge;
            if (e.key == kEmpty) return nullptr;
        }
    }

    // Starts loading the pair's slot: merging issues independent lookups
    // whose cache misses then overlap instead of queueing one after another.
    void prefetch(uint32_t left, uint32_t right) const { __builtin_prefetch(&entries_[hash(pack(left, right))]); }

    size_t size() const { return size_; }

private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};
    struct Entry {
        uint64_t key = kEmpty;
        Merge merge{};
    };
    static uint64_t pack(uint32_t left, uint32_t right) { return (uint64_t(left) << 32) | right; }
    size_t hash(uint64_t key) const { return size_t((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_; }
    void set_capacity(size_t capacity);
    void grow();

    std::vector<Entry> owned_;  // empty for a view
    const Entry* entries_ = nullptr;
    size_t capacity_ = 0;
    size_t mask_ = 0;
    unsigned shift_ = 0;
    size_t size_ = 0;
};

}  // namespace glyph::tokens
