// Byte string -> token id, as a flat open-addressing table. A table either
// owns its slots and keys (built at load) or views them in a compiled
// tokenizer image.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glyph::tokens {

uint64_t hash_bytes(std::string_view s);

class StringIdTable {
public:
    explicit StringIdTable(size_t expected = 0);
    // Moved vectors keep their buffers, so views stay valid; copies would not.
    StringIdTable(StringIdTable&&) = default;
    StringIdTable& operator=(StringIdTable&&) = default;
    StringIdTable(const StringIdTable&) = delete;
    StringIdTable& operator=(const StringIdTable&) = delete;

    // A later insert of the same key replaces the id (JSON: the last duplicate wins).
    void insert_or_assign(std::string_view key, uint32_t id);

    const uint32_t* find(std::string_view key) const { return find(key, hash_bytes(key)); }
    const uint32_t* find(std::string_view key, uint64_t hash) const {
        const Slot& s = slots_[slot_of(key, hash)];
        return s.key_len == kEmpty ? nullptr : &s.id;
    }

    size_t size() const { return used_; }

    // The slots and the key bytes, for a compiled image; view() reads them back.
    std::span<const std::byte> slot_bytes() const;
    std::string_view key_bytes() const { return keys_; }
    // A table over stored slots and keys (which must outlive it), or nullopt
    // when they are not a well-formed table of `size` keys with ids below `id_limit`.
    static std::optional<StringIdTable> view(std::span<const std::byte> slots, std::string_view keys, size_t size,
                                             uint32_t id_limit);

private:
    static constexpr uint32_t kEmpty = UINT32_MAX;
    struct Slot {
        uint64_t hash = 0;
        uint32_t key_at = 0, key_len = kEmpty;
        uint32_t id = 0;
        uint32_t unused = 0;  // explicit, so a stored image has no indeterminate padding bytes
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

    std::vector<Slot> owned_slots_;  // both empty for a view
    std::vector<char> owned_keys_;  // not a std::string: a short string's bytes move with the object
    const Slot* slots_ = nullptr;
    size_t capacity_ = 0;
    size_t mask_ = 0;
    size_t used_ = 0;
    std::string_view keys_;
};

}  // namespace glyph::tokens
