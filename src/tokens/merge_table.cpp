#include "tokens/merge_table.h"

#include <algorithm>
#include <bit>

namespace glyph::tokens {

MergeTable::MergeTable(size_t expected) {
    // Load factor at most 5/8: short linear probes, and a table small enough
    // (4 MiB for Qwen's 151K merges) that more of it stays in cache.
    const size_t capacity = std::bit_ceil(std::max<size_t>(16, expected * 8 / 5));
    entries_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    shift_ = unsigned(64 - std::countr_zero(capacity));
}

void MergeTable::insert(uint32_t left, uint32_t right, Merge merge) {
    if ((size_ + 1) * 8 > entries_.size() * 5) grow();
    const uint64_t key = pack(left, right);
    for (size_t slot = hash(key);; slot = (slot + 1) & mask_) {
        Entry& e = entries_[slot];
        if (e.key == key) {
            e.merge = merge;
            return;
        }
        if (e.key == kEmpty) {
            e.key = key;
            e.merge = merge;
            ++size_;
            return;
        }
    }
}

void MergeTable::grow() {
    MergeTable bigger(entries_.size());
    for (const Entry& e : entries_) {
        if (e.key != kEmpty) bigger.insert(uint32_t(e.key >> 32), uint32_t(e.key), e.merge);
    }
    *this = std::move(bigger);
}

}  // namespace glyph::tokens
