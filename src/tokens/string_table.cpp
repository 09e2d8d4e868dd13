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
    const size_t capacity = std::bit_ceil(std::max<size_t>(16, expected * 2));
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
}

void StringIdTable::insert_or_assign(std::string_view key, uint32_t id) {
    const uint64_t hash = hash_bytes(key);
    size_t i = slot_of(key, hash);
    if (slots_[i].key_len != kEmpty) {
        slots_[i].id = id;
        return;
    }
    if ((used_ + 1) * 2 > slots_.size()) {
        grow();
        i = slot_of(key, hash);
    }
    slots_[i] = {hash, uint32_t(keys_.size()), uint32_t(key.size()), id};
    keys_.append(key);
    ++used_;
}

void StringIdTable::place(const Slot& slot) {
    size_t i = slot.hash & mask_;
    while (slots_[i].key_len != kEmpty) i = (i + 1) & mask_;
    slots_[i] = slot;
}

void StringIdTable::grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
        if (s.key_len != kEmpty) place(s);
}

}  // namespace glyph::tokens
