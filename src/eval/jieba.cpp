// jieba's precise mode in C++: the same blocks, prefix-dictionary DAG,
// maximum-probability route and HMM (B/M/E/S Viterbi) for runs of single
// characters the dictionary does not know, with jieba's tie-breaking, so the
// words are jieba's words. The data is python3-jieba's, read at run time.
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "eval/python_text.h"
#include "glyph/eval.h"

namespace glyph::eval {

namespace {

constexpr double kMinFloat = -3.14e100;  // finalseg's MIN_FLOAT for unseen events
constexpr size_t kMaxTableBytes = 64u << 20;

// The HMM states in jieba's iteration order "BMES".
enum State { kB = 0, kM = 1, kE = 2, kS = 3 };
constexpr char kStateName[4] = {'B', 'M', 'E', 'S'};

int state_index(char32_t c) {
    switch (c) {
        case U'B': return kB;
        case U'M': return kM;
        case U'E': return kE;
        case U'S': return kS;
        default: return -1;
    }
}

std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EvalError("cannot read jieba's " + path + " (install python3-jieba, or set GLYPH_JIEBA_DIR)");
    std::ostringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    if (text.size() > kMaxTableBytes) throw EvalError(path + " is larger than jieba's tables can be");
    return text;
}

// Reads the `P={...}` literal of finalseg's prob_*.py: nested dicts of
// quoted keys (with \uXXXX escapes) and float values, two levels at most.
class PyTableParser {
public:
    PyTableParser(std::string text, std::string path) : text_(std::move(text)), path_(std::move(path)) {}

    // A plain struct, not std::pair: pair's traits need Value complete while
    // Value is still being defined, which clang refuses.
    struct Entry;
    struct Value {
        double number = 0;
        std::vector<Entry> entries;
        bool is_dict = false;
    };
    struct Entry {
        std::u32string key;
        Value value;
    };

    Value parse() {
        size_t at = text_.find("P=");
        if (at == std::string::npos) at = text_.find("P =");
        if (at == std::string::npos) fail("no P = {...} table");
        pos_ = text_.find('=', at) + 1;
        return value(0);
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw EvalError("jieba table " + path_ + ": " + what + " at byte " + std::to_string(pos_));
    }
    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    Value value(int depth) {
        if (depth > 2) fail("nested too deep");
        skip_space();
        Value v;
        if (pos_ < text_.size() && text_[pos_] == '{') {
            v.is_dict = true;
            ++pos_;
            for (;;) {
                skip_space();
                if (pos_ < text_.size() && text_[pos_] == '}') {
                    ++pos_;
                    return v;
                }
                std::u32string key = string_literal();
                skip_space();
                if (pos_ >= text_.size() || text_[pos_] != ':') fail("expected ':'");
                ++pos_;
                v.entries.push_back(Entry{std::move(key), value(depth + 1)});
                skip_space();
                if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
                else if (pos_ >= text_.size() || text_[pos_] != '}') fail("expected ',' or '}'");
            }
        }
        const char* start = text_.c_str() + pos_;
        char* end = nullptr;
        v.number = std::strtod(start, &end);
        if (end == start) fail("expected a number");
        pos_ += static_cast<size_t>(end - start);
        return v;
    }
    std::u32string string_literal() {
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted key");
        char quote = text_[pos_++];
        std::string raw;
        std::u32string out;
        auto flush = [&] {
            out += py::decode(raw);
            raw.clear();
        };
        while (pos_ < text_.size() && text_[pos_] != quote) {
            char c = text_[pos_++];
            if (c != '\\') {
                raw.push_back(c);
                continue;
            }
            if (pos_ >= text_.size()) fail("unfinished escape");
            char e = text_[pos_++];
            int digits = e == 'u' ? 4 : e == 'U' ? 8 : e == 'x' ? 2 : 0;
            if (digits == 0) {
                raw.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
                continue;
            }
            if (pos_ + digits > text_.size()) fail("short escape");
            flush();
            out.push_back(static_cast<char32_t>(std::stoul(text_.substr(pos_, digits), nullptr, 16)));
            pos_ += digits;
        }
        if (pos_ >= text_.size()) fail("unterminated string");
        ++pos_;
        flush();
        return out;
    }

    std::string text_, path_;
    size_t pos_ = 0;
};

PyTableParser::Value load_table(const std::string& path) { return PyTableParser(read_whole(path), path).parse(); }

bool is_han(char32_t c) { return c >= 0x4E00 && c <= 0x9FD5; }

// re_han_default: the characters jieba segments with its dictionary.
bool is_dictionary_char(char32_t c) {
    return is_han(c) || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9') ||
           c == U'+' || c == U'#' || c == U'&' || c == U'.' || c == U'_' || c == U'%' || c == U'-';
}

bool is_ascii_alnum(char32_t c) {
    return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
}

}  // namespace

struct Jieba::Tables {
    std::unordered_map<std::u32string, long long> freq;  // words and (with 0) their prefixes
    double log_total = 0;
    double start[4] = {kMinFloat, kMinFloat, kMinFloat, kMinFloat};
    double trans[4][4];
    std::unordered_map<char32_t, double> emit[4];

    long long frequency(const std::u32string& w) const {
        auto it = freq.find(w);
        return it == freq.end() ? 0 : it->second;
    }

    void load_dictionary(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw EvalError("cannot read jieba's dictionary " + path + " (install python3-jieba, or set GLYPH_JIEBA_DIR)");
        long long total = 0;
        std::string line;
        size_t number = 0;
        while (std::getline(in, line)) {
            ++number;
            size_t b = line.find_first_not_of(" \t\r\n\v\f"), e = line.find_last_not_of(" \t\r\n\v\f");
            std::string_view s = b == std::string::npos ? std::string_view() : std::string_view(line).substr(b, e - b + 1);
            size_t sp = s.find(' ');
            std::string_view count = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
            count = count.substr(0, count.find(' '));
            char* end = nullptr;
            std::string count_text(count);
            long long f = std::strtoll(count_text.c_str(), &end, 10);
            if (count_text.empty() || *end != '\0')
                throw EvalError("invalid jieba dictionary entry in " + path + " at line " + std::to_string(number));
            std::u32string word = py::decode(s.substr(0, sp));
            freq[word] = f;
            total += f;
            for (size_t n = 1; n < word.size(); ++n) freq.try_emplace(word.substr(0, n), 0);
        }
        if (total <= 0) throw EvalError("jieba's dictionary " + path + " holds no words");
        log_total = std::log(static_cast<double>(total));
    }

    void load_hmm(const std::string& dir) {
        for (auto& row : trans)
            for (double& p : row) p = kMinFloat;
        auto start_table = load_table(dir + "/finalseg/prob_start.py");
        for (const auto& [key, v] : start_table.entries)
            if (key.size() == 1 && state_index(key[0]) >= 0) start[state_index(key[0])] = v.number;
        auto trans_table = load_table(dir + "/finalseg/prob_trans.py");
        for (const auto& [from, row] : trans_table.entries)
            for (const auto& [to, v] : row.entries)
                if (from.size() == 1 && to.size() == 1 && state_index(from[0]) >= 0 && state_index(to[0]) >= 0)
                    trans[state_index(from[0])][state_index(to[0])] = v.number;
        auto emit_table = load_table(dir + "/finalseg/prob_emit.py");
        for (const auto& [state, row] : emit_table.entries) {
            if (state.size() != 1 || state_index(state[0]) < 0) continue;
            for (const auto& [ch, v] : row.entries)
                if (ch.size() == 1) emit[state_index(state[0])][ch[0]] = v.number;
        }
        if (emit[kB].empty() || emit[kS].empty()) throw EvalError("jieba's HMM emission table in " + dir + " is empty");
    }

    // finalseg's viterbi over a run of Han characters, then its B..E / S cut.
    void hmm_cut(std::u32string_view run, std::vector<std::u32string>& out) const {
        static constexpr int kPrev[4][2] = {{kE, kS}, {kM, kB}, {kB, kM}, {kS, kE}};  // PrevStatus B, M, E, S
        size_t n = run.size();
        std::vector<std::array<double, 4>> v(n);
        std::vector<std::array<int, 4>> back(n);
        auto emit_p = [&](int y, char32_t c) {
            auto it = emit[y].find(c);
            return it == emit[y].end() ? kMinFloat : it->second;
        };
        for (int y = 0; y < 4; ++y) v[0][y] = start[y] + emit_p(y, run[0]);
        for (size_t t = 1; t < n; ++t) {
            for (int y = 0; y < 4; ++y) {
                double em = emit_p(y, run[t]);
                int best = -1;
                double best_p = 0;
                for (int y0 : kPrev[y]) {
                    double p = v[t - 1][y0] + trans[y0][y] + em;
                    // Python's max over (prob, state) tuples: ties go to the later state name.
                    if (best < 0 || p > best_p || (p == best_p && kStateName[y0] > kStateName[best])) {
                        best = y0;
                        best_p = p;
                    }
                }
                v[t][y] = best_p;
                back[t][y] = best;
            }
        }
        int state = v[n - 1][kS] >= v[n - 1][kE] ? kS : kE;
        std::vector<int> path(n);
        for (size_t t = n; t-- > 0;) {
            path[t] = state;
            if (t > 0) state = back[t][state];
        }
        size_t begin = 0, next = 0;
        for (size_t i = 0; i < n; ++i) {
            if (path[i] == kB) {
                begin = i;
            } else if (path[i] == kE) {
                out.emplace_back(run.substr(begin, i + 1 - begin));
                next = i + 1;
            } else if (path[i] == kS) {
                out.emplace_back(run.substr(i, 1));
                next = i + 1;
            }
        }
        if (next < n) out.emplace_back(run.substr(next));
    }

    // finalseg.cut: Han runs through the HMM; the rest split around
    // re_skip's matches ([a-zA-Z0-9]+(?:\.\d+)?%?), both sides kept.
    void finalseg_cut(std::u32string_view text, std::vector<std::u32string>& out) const {
        size_t i = 0;
        while (i < text.size()) {
            size_t start = i;
            if (is_han(text[i])) {
                while (i < text.size() && is_han(text[i])) ++i;
                hmm_cut(text.substr(start, i - start), out);
                continue;
            }
            while (i < text.size() && !is_han(text[i])) ++i;
            std::u32string_view block = text.substr(start, i - start);
            size_t j = 0, gap = 0;
            while (j < block.size()) {
                if (!is_ascii_alnum(block[j])) {
                    ++j;
                    continue;
                }
                if (j > gap) out.emplace_back(block.substr(gap, j - gap));
                size_t m = j;
                while (m < block.size() && is_ascii_alnum(block[m])) ++m;
                if (m + 1 < block.size() && block[m] == U'.' && block[m + 1] >= U'0' && block[m + 1] <= U'9') {
                    m += 2;
                    while (m < block.size() && block[m] >= U'0' && block[m] <= U'9') ++m;
                }
                if (m < block.size() && block[m] == U'%') ++m;
                out.emplace_back(block.substr(j, m - j));
                j = gap = m;
            }
            if (block.size() > gap) out.emplace_back(block.substr(gap));
        }
    }

    void flush_singles(std::u32string& buf, std::vector<std::u32string>& out) const {
        if (buf.empty()) return;
        if (buf.size() == 1) {
            out.push_back(buf);
        } else if (frequency(buf) == 0) {
            finalseg_cut(buf, out);
        } else {
            for (char32_t c : buf) out.emplace_back(1, c);
        }
        buf.clear();
    }

    // __cut_DAG: the dictionary route; runs of single characters go to the HMM.
    void dag_cut(std::u32string_view s, std::vector<std::u32string>& out) const {
        size_t n = s.size();
        std::vector<std::vector<size_t>> dag(n);
        for (size_t k = 0; k < n; ++k) {
            std::u32string frag(1, s[k]);
            for (size_t i = k; i < n;) {
                auto it = freq.find(frag);
                if (it == freq.end()) break;
                if (it->second) dag[k].push_back(i);
                ++i;
                if (i < n) frag.push_back(s[i]);
            }
            if (dag[k].empty()) dag[k].push_back(k);
        }
        std::vector<double> route_p(n + 1, 0.0);
        std::vector<size_t> route_end(n + 1, 0);
        for (size_t idx = n; idx-- > 0;) {
            bool first = true;
            for (size_t x : dag[idx]) {
                long long f = frequency(std::u32string(s.substr(idx, x + 1 - idx)));
                double p = std::log(static_cast<double>(f ? f : 1)) - log_total + route_p[x + 1];
                // max over (prob, end) tuples: ties go to the longer word.
                if (first || p > route_p[idx] || (p == route_p[idx] && x > route_end[idx])) {
                    route_p[idx] = p;
                    route_end[idx] = x;
                    first = false;
                }
            }
        }
        std::u32string buf;
        for (size_t x = 0; x < n;) {
            size_t y = route_end[x] + 1;
            if (y - x == 1) {
                buf.push_back(s[x]);
            } else {
                flush_singles(buf, out);
                out.emplace_back(s.substr(x, y - x));
            }
            x = y;
        }
        flush_singles(buf, out);
    }
};

std::string Jieba::default_dir() {
    const char* env = std::getenv("GLYPH_JIEBA_DIR");
    return env && *env ? env : "/usr/lib/python3/dist-packages/jieba";
}

std::unique_ptr<Jieba> Jieba::load(const std::string& dir) {
    auto tables = std::make_unique<Tables>();
    tables->load_dictionary(dir + "/dict.txt");
    tables->load_hmm(dir);
    return std::unique_ptr<Jieba>(new Jieba(std::move(tables)));
}

Jieba::Jieba(std::unique_ptr<Tables> tables) : tables_(std::move(tables)) {}
Jieba::~Jieba() = default;

std::vector<std::u32string> Jieba::cut(std::u32string_view text) const {
    std::vector<std::u32string> out;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        if (is_dictionary_char(text[i])) {
            while (i < text.size() && is_dictionary_char(text[i])) ++i;
            tables_->dag_cut(text.substr(start, i - start), out);
            continue;
        }
        // Outside the dictionary's characters every character is a word of
        // its own, except "\r\n", which re_skip keeps together.
        if (text[i] == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') {
            out.emplace_back(U"\r\n");
            i += 2;
        } else {
            out.emplace_back(1, text[i++]);
        }
    }
    return out;
}

std::vector<std::string> Jieba::cut(std::string_view text) const {
    std::vector<std::string> out;
    for (const auto& w : cut(py::decode(text))) out.push_back(py::encode(w));
    return out;
}

}  // namespace glyph::eval
