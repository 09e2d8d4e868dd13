// Byte string -> token id, as a flat open-addressing table that owns its keys.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace glyph::tokens {

uint64_t hash_bytes(std::string_view s);

class StringIdTable {
public:
    explicit StringIdTable(size_t expected = 0);

    // A later insert of the same key replaces the id (JSON: the last duplicate wins).
    void insert_or_assign(std::string_view key, uint32_t id);

    const uint32_t* find(std::string_view key) const { return find(key, hash_bytes(key)); }
    const uint32_t* find(std::string_view key, uint64_t hash) const {
        const Slot& s = slots_[slot_of(key, hash)];
        return s.key_len == kEmpty ? nullptr : &s.id;
    }

    size_t size() const { return used_; }

private:
    static constexpr uint32_t kEmpty = UINT32_MAX;
    struct Slot {
        uint64_t hash = 0;
        uint32_t key_at = 0, key_len = kEmpty;
        uint32_t id = 0;
    };
    // The slot holding `key`, or the empty slot where it would go.
    size_t slot_of(std::string_view key, uint64_t hash) const {
        for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.key_len == kEmpty) return i;
            if (s.hash == hash && s.key_len == key.size() && std::memcmp(keys_.data() + s.key_at, key.data(), key.size()) == 0)
                return i;
        }
    }
    void grow();
    void place(const Slot& slot);

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t used_ = 0;
    std::string keys_;
};

}  // namespace glyph::tokens
