#include "tokens/string_table.h"

#include <algorithm>
#include <bit>

namespace glyph::tokens {

uint64_t hash_bytes(std::string_view s) {
    constexpr uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xC2B2AE3D27D4EB4Full;
    uint64_t h = s.size() * k1;
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ (w * k2)) * k1;
        h ^= h >> 29;
    }
    if (n > 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, n);
        h = (h ^ (w * k2)) * k1;
    }
    h ^= h >> 32;
    h *= k2;
    return h ^ (h >> 29);
}

StringIdTable::StringIdTable(size_t expected) {
    owned_slots_.assign(std::bit_ceil(std::max<size_t>(16, expected * 2)), Slot{});
    slots_ = owned_slots_.data();
    capacity_ = owned_slots_.size();
    mask_ = capacity_ - 1;
}

void StringIdTable::insert_or_assign(std::string_view key, uint32_t id) {
    const uint64_t hash = hash_bytes(key);
    size_t i = slot_of(key, hash);
    if (owned_slots_[i].key_len != kEmpty) {
        owned_slots_[i].id = id;
        return;
    }
    if ((used_ + 1) * 2 > capacity_) {
        grow();
        i = slot_of(key, hash);
    }
    owned_slots_[i] = {hash, uint32_t(owned_keys_.size()), uint32_t(key.size()), id};
    owned_keys_.insert(owned_keys_.end(), key.begin(), key.end());
    keys_ = {owned_keys_.data(), owned_keys_.size()};  // the insert may have moved the buffer
    ++used_;
}

void StringIdTable::place(const Slot& slot) {
    size_t i = slot.hash & mask_;
    while (owned_slots_[i].key_len != kEmpty) i = (i + 1) & mask_;
    owned_slots_[i] = slot;
}

void StringIdTable::grow() {
    std::vector<Slot> old(capacity_ * 2);
    old.swap(owned_slots_);
    slots_ = owned_slots_.data();
    capacity_ = owned_slots_.size();
    mask_ = capacity_ - 1;
    for (const Slot& s : old)
        if (s.key_len != kEmpty) place(s);
}

std::span<const std::byte> StringIdTable::slot_bytes() const {
    return {reinterpret_cast<const std::byte*>(slots_), capacity_ * sizeof(Slot)};
}

std::optional<StringIdTable> StringIdTable::view(std::span<const std::byte> slots, std::string_view keys, size_t size,
                                                 uint32_t id_limit) {
    const size_t capacity = slots.size() / sizeof(Slot);
    if (slots.size() % sizeof(Slot) != 0 || capacity < 16 || !std::has_single_bit(capacity) ||
        reinterpret_cast<uintptr_t>(slots.data()) % alignof(Slot) != 0 || size * 2 > capacity)
        return std::nullopt;
    const auto* stored = reinterpret_cast<const Slot*>(slots.data());
    // Every lookup must end at an empty slot and read key bytes inside the image.
    size_t used = 0;
    for (size_t i = 0; i < capacity; ++i) {
        const Slot& s = stored[i];
        if (s.key_len == kEmpty) continue;
        if (s.key_at > keys.size() || s.key_len > keys.size() - s.key_at || s.id >= id_limit) return std::nullopt;
        ++used;
    }
    if (used != size) return std::nullopt;
    StringIdTable table(0);
    table.owned_slots_.clear();
    table.owned_slots_.shrink_to_fit();
    table.slots_ = stored;
    table.capacity_ = capacity;
    table.mask_ = capacity - 1;
    table.used_ = size;
    table.keys_ = keys;
    return table;
}

}  // namespace glyph::tokens
