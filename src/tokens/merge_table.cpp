#include "tokens/merge_table.h"

#include <algorithm>
#include <bit>

namespace glyph::tokens {

MergeTable::MergeTable(size_t expected) {
    // Load factor at most 5/8: short linear probes, and a table small enough
    // (4 MiB for Qwen's 151K merges) that more of it stays in cache.
    owned_.assign(std::bit_ceil(std::max<size_t>(16, expected * 8 / 5)), Entry{});
    entries_ = owned_.data();
    set_capacity(owned_.size());
}

void MergeTable::set_capacity(size_t capacity) {
    capacity_ = capacity;
    mask_ = capacity - 1;
    shift_ = unsigned(64 - std::countr_zero(capacity));
}

std::span<const std::byte> MergeTable::bytes() const {
    return {reinterpret_cast<const std::byte*>(entries_), capacity_ * sizeof(Entry)};
}

std::optional<MergeTable> MergeTable::view(std::span<const std::byte> slots, size_t size, uint32_t id_limit) {
    const size_t capacity = slots.size() / sizeof(Entry);
    if (slots.size() % sizeof(Entry) != 0 || capacity < 16 || !std::has_single_bit(capacity) ||
        reinterpret_cast<uintptr_t>(slots.data()) % alignof(Entry) != 0 || size * 8 > capacity * 5)
        return std::nullopt;
    const auto* entries = reinterpret_cast<const Entry*>(slots.data());
    // Every lookup must end at an empty slot and every id must index the vocabulary.
    size_t used = 0;
    for (size_t i = 0; i < capacity; ++i) {
        const Entry& e = entries[i];
        if (e.key == kEmpty) continue;
        if (uint32_t(e.key >> 32) >= id_limit || uint32_t(e.key) >= id_limit || e.merge.merged >= id_limit)
            return std::nullopt;
        ++used;
    }
    if (used != size) return std::nullopt;
    MergeTable table(0);
    table.owned_.clear();
    table.owned_.shrink_to_fit();
    table.entries_ = entries;
    table.set_capacity(capacity);
    table.size_ = size;
    return table;
}

void MergeTable::insert(uint32_t left, uint32_t right, Merge merge) {
    if ((size_ + 1) * 8 > capacity_ * 5) grow();
    const uint64_t key = pack(left, right);
    for (size_t slot = hash(key);; slot = (slot + 1) & mask_) {
        Entry& e = owned_[slot];
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
    MergeTable bigger(capacity_);
    for (size_t i = 0; i < capacity_; ++i) {
        const Entry& e = entries_[i];
        if (e.key != kEmpty) bigger.insert(uint32_t(e.key >> 32), uint32_t(e.key), e.merge);
    }
    *this = std::move(bigger);
}

}  // namespace glyph::tokens
