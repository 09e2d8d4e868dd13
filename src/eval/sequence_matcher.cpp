// difflib's SequenceMatcher, matched count only (see sequence_matcher.h).
#include "eval/sequence_matcher.h"

#include <array>
#include <unordered_map>
#include <vector>

namespace glyph::eval {

namespace {

struct Match {
    size_t i = 0, j = 0, size = 0;
};

class Matcher {
public:
    Matcher(std::u32string_view a, std::u32string_view b, bool autojunk) : a_(a), b_(b) {
        for (size_t j = 0; j < b.size(); ++j) positions_[b[j]].push_back(j);
        // difflib drops elements of b seen more than 1% + 1 times from the
        // index once b has 200 elements; they can still join a match by the
        // extension step below, which only stops at "junk" (none here).
        if (autojunk && b.size() >= 200) {
            size_t limit = b.size() / 100 + 1;
            for (auto it = positions_.begin(); it != positions_.end();)
                it = it->second.size() > limit ? positions_.erase(it) : std::next(it);
        }
        run_length_.assign(b.size() + 1, 0);
        next_length_.assign(b.size() + 1, 0);
    }

    size_t matched() {
        size_t total = 0;
        std::vector<std::array<size_t, 4>> work{{0, a_.size(), 0, b_.size()}};
        while (!work.empty()) {
            auto [alo, ahi, blo, bhi] = work.back();
            work.pop_back();
            Match m = longest(alo, ahi, blo, bhi);
            if (m.size == 0) continue;
            total += m.size;
            if (alo < m.i && blo < m.j) work.push_back({alo, m.i, blo, m.j});
            if (m.i + m.size < ahi && m.j + m.size < bhi) work.push_back({m.i + m.size, ahi, m.j + m.size, bhi});
        }
        return total;
    }

private:
    // find_longest_match: earliest in a, then earliest in b, among the longest.
    Match longest(size_t alo, size_t ahi, size_t blo, size_t bhi) {
        Match best{alo, blo, 0};
        // run_length_[j + 1] = length of the match ending at a[i-1], b[j];
        // only the entries touched in the previous row are non-zero.
        std::vector<size_t> touched, next_touched;
        for (size_t i = alo; i < ahi; ++i) {
            next_touched.clear();
            auto found = positions_.find(a_[i]);
            if (found != positions_.end()) {
                for (size_t j : found->second) {
                    if (j < blo) continue;
                    if (j >= bhi) break;
                    size_t k = run_length_[j] + 1;
                    next_length_[j + 1] = k;
                    next_touched.push_back(j + 1);
                    if (k > best.size) best = {i + 1 - k, j + 1 - k, k};
                }
            }
            for (size_t t : touched) run_length_[t] = 0;
            for (size_t t : next_touched) run_length_[t] = next_length_[t];
            for (size_t t : next_touched) next_length_[t] = 0;
            touched.swap(next_touched);
        }
        for (size_t t : touched) run_length_[t] = 0;
        while (best.i > alo && best.j > blo && a_[best.i - 1] == b_[best.j - 1]) {
            --best.i;
            --best.j;
            ++best.size;
        }
        while (best.i + best.size < ahi && best.j + best.size < bhi && a_[best.i + best.size] == b_[best.j + best.size])
            ++best.size;
        return best;
    }

    std::u32string_view a_, b_;
    std::unordered_map<char32_t, std::vector<size_t>> positions_;
    std::vector<size_t> run_length_, next_length_;
};

}  // namespace

double sequence_ratio(std::u32string_view a, std::u32string_view b, bool autojunk) {
    size_t total = a.size() + b.size();
    if (total == 0) return 1.0;
    size_t matched = Matcher(a, b, autojunk).matched();
    return 2.0 * static_cast<double>(matched) / static_cast<double>(total);
}

}  // namespace glyph::eval
