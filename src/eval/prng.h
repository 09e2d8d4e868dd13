// A seeded generator whose every output is defined here (xoshiro256**,
// seeded through splitmix64), with our own ranges, shuffles and samples:
// the standard library's distributions are implementation-defined, and
// synthetic data must be the same bytes for a seed on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace glyph::eval {

class Prng {
public:
    explicit Prng(uint64_t seed) {
        for (auto& word : state_) word = splitmix(seed);
    }

    uint64_t next() {
        const uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, n) for n > 0: draws above the largest multiple of n are
    // redrawn, so no value is favoured.
    uint64_t below(uint64_t n) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        uint64_t x;
        do x = next();
        while (x >= limit);
        return x % n;
    }

    int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(below(uint64_t(hi - lo) + 1)); }

    template <class T>
    const T& pick(const std::vector<T>& items) {
        return items[below(items.size())];
    }

    // Fisher-Yates from the back.
    template <class T>
    void shuffle(std::vector<T>& items) {
        for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
    }

    // k distinct values of [0, population), in the order drawn; k <= population.
    std::vector<size_t> sample(size_t population, size_t k) {
        std::vector<size_t> out;
        out.reserve(k);
        if (k * 4 <= population) {
            std::unordered_set<size_t> seen;
            while (out.size() < k) {
                const size_t v = below(population);
                if (seen.insert(v).second) out.push_back(v);
            }
            return out;
        }
        std::vector<size_t> all(population);
        for (size_t i = 0; i < population; ++i) all[i] = i;
        for (size_t i = 0; i < k; ++i) {
            std::swap(all[i], all[i + below(population - i)]);
            out.push_back(all[i]);
        }
        return out;
    }

    // One stream per (seed, name, index): an item does not depend on how many
    // others are generated beside it.
    static uint64_t derive(uint64_t seed, std::string_view name, uint64_t index) {
        uint64_t h = 1469598103934665603ull;  // FNV-1a
        for (char c : name) h = (h ^ uint8_t(c)) * 1099511628211ull;
        uint64_t s = seed ^ splitmix(h);
        return splitmix(s) ^ (index * 0x9e3779b97f4a7c15ull);
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix(uint64_t& s) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    uint64_t state_[4];
};

}  // namespace glyph::eval
