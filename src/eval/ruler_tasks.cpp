// RULER's synthetic tasks, generated the way its scripts/data/synthetic/*.py
// build them (templates and answer prefixes from its constants.py, task
// settings from its synthetic.yaml), with our own generator and word lists.
// Each item is fitted to the length as RULER fits it: the largest haystack
// whose input, answer prefix and tokens to generate stay within the budget.
#include "glyph/eval_generate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "eval/prng.h"
#include "glyph/data_path.h"
#include "eval/ruler_words.h"

namespace glyph::eval {

namespace {

enum class Kind { kNiah, kVariableTracking, kCommonWords, kFrequentWords, kQa };
enum class Haystack { kEssay, kNoise, kNeedle };
enum class Needle { kWords, kNumbers, kUuids };

struct TaskSpec {
    const char* name;
    Kind kind;
    int tokens_to_generate;  // constants.py, per task family
    Haystack haystack = Haystack::kEssay;
    Needle key = Needle::kWords, value = Needle::kNumbers;
    int keys = 1, values = 1, queries = 1;
};

// synthetic.yaml.
const std::array<TaskSpec, 13> kTasks = {{
    {"niah_single_1", Kind::kNiah, 128, Haystack::kNoise, Needle::kWords, Needle::kNumbers, 1, 1, 1},
    {"niah_single_2", Kind::kNiah, 128, Haystack::kEssay, Needle::kWords, Needle::kNumbers, 1, 1, 1},
    {"niah_single_3", Kind::kNiah, 128, Haystack::kEssay, Needle::kWords, Needle::kUuids, 1, 1, 1},
    {"niah_multikey_1", Kind::kNiah, 128, Haystack::kEssay, Needle::kWords, Needle::kNumbers, 4, 1, 1},
    {"niah_multikey_2", Kind::kNiah, 128, Haystack::kNeedle, Needle::kWords, Needle::kNumbers, 1, 1, 1},
    {"niah_multikey_3", Kind::kNiah, 128, Haystack::kNeedle, Needle::kUuids, Needle::kUuids, 1, 1, 1},
    {"niah_multivalue", Kind::kNiah, 128, Haystack::kEssay, Needle::kWords, Needle::kNumbers, 1, 4, 1},
    {"niah_multiquery", Kind::kNiah, 128, Haystack::kEssay, Needle::kWords, Needle::kNumbers, 4, 1, 4},
    {"vt", Kind::kVariableTracking, 30, Haystack::kNoise},
    {"cwe", Kind::kCommonWords, 120},
    {"fwe", Kind::kFrequentWords, 50},
    {"qa_1", Kind::kQa, 32},
    {"qa_2", Kind::kQa, 32},
}};

const TaskSpec* find_task(std::string_view name) {
    for (const auto& t : kTasks)
        if (name == t.name) return &t;
    return nullptr;
}

// RULER's noise haystack sentence.
constexpr std::string_view kNoise = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

const char* needle_type_name(Needle n) {
    switch (n) {
        case Needle::kWords: return "words";
        case Needle::kNumbers: return "numbers";
        case Needle::kUuids: return "uuids";
    }
    return "";
}

// RULER's DEPTHS: np.round(np.linspace(0, 100, 40)) (no value falls on a half).
const std::vector<int>& ruler_depths() {
    static const std::vector<int> depths = [] {
        std::vector<int> d;
        for (int i = 0; i < 40; ++i) d.push_back(int(std::lround(i * 100.0 / 39.0)));
        return d;
    }();
    return depths;
}

// ---- needle keys and values ----------------------------------------------------

class Draws {
public:
    explicit Draws(Prng& rng) : rng_(rng) {}

    std::string adjective_noun() { return rng_.pick(ruler_adjectives()) + "-" + rng_.pick(ruler_nouns()); }
    std::string number() { return std::to_string(rng_.between(1000000, 9999999)); }  // 7 digits
    // A version-4 UUID of 128 random bits, as uuid.UUID(int=..., version=4) writes it.
    std::string uuid() {
        uint64_t hi = rng_.next(), lo = rng_.next();
        hi = (hi & ~0xf000ull) | 0x4000ull;
        lo = (lo & ~(0xc000000000000000ull)) | 0x8000000000000000ull;
        char buf[40];
        std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
                      (unsigned long long)((hi >> 16) & 0xffff), (unsigned long long)(hi & 0xffff),
                      (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffull));
        return buf;
    }
    std::string of(Needle type) {
        switch (type) {
            case Needle::kWords: return adjective_noun();
            case Needle::kNumbers: return number();
            case Needle::kUuids: return uuid();
        }
        return {};
    }

private:
    Prng& rng_;
};

std::string needle_text(Needle value_type, const std::string& key, const std::string& value) {
    return std::string("One of the special magic ") + needle_type_name(value_type) + " for " + key + " is: " + value + ".";
}

// ---- drafts ----------------------------------------------------------------------

struct Draft {
    std::string input, answer_prefix;
    std::string context;  // the haystack inside `input`: what pages mode renders
    std::vector<std::string> outputs;
    std::vector<double> depth;
};

// The filler's words, reused in order and repeated as needed, then cut into
// sentences after . ! ? (and any closing quote or bracket) before a space.
struct Essay {
    std::vector<std::string_view> words;

    std::string text(size_t n) const {
        std::string out;
        for (size_t i = 0; i < n; ++i) {
            if (i) out += ' ';
            out += words[i % words.size()];
        }
        return out;
    }

    static std::vector<std::string_view> sentences(std::string_view text) {
        std::vector<std::string_view> out;
        size_t start = 0;
        for (size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (c != '.' && c != '!' && c != '?') continue;
            size_t end = i + 1;
            while (end < text.size() && std::string_view("\"')]").find(text[end]) != std::string_view::npos) ++end;
            if (end < text.size() && text[end] != ' ') continue;
            out.push_back(text.substr(start, end - start));
            start = end + 1;
            i = end;
        }
        if (start < text.size()) out.push_back(text.substr(start));
        return out;
    }
};

std::vector<double> needle_depths(const std::vector<double>& requested, size_t count, Prng& rng) {
    std::vector<double> depths;
    if (!requested.empty()) {
        for (size_t i = 0; i < count; ++i) depths.push_back(requested[i % requested.size()]);
    } else {
        for (size_t i : rng.sample(ruler_depths().size(), count)) depths.push_back(ruler_depths()[i]);
    }
    std::sort(depths.begin(), depths.end());
    return depths;
}

class Builder {
public:
    Builder(const TaskSpec& spec, const GenerateOptions& options, const Essay& essay)
        : spec_(spec), options_(options), essay_(essay) {}

    // The item of sample `sample` with `units` of haystack: the same
    // arguments always give the same draft.
    Draft build(size_t sample, size_t units) const {
        Prng rng(Prng::derive(options_.seed, spec_.name, sample));
        switch (spec_.kind) {
            case Kind::kNiah: return niah(rng, units);
            case Kind::kVariableTracking: return variable_tracking(rng, units);
            case Kind::kCommonWords: return common_words(rng, units);
            case Kind::kFrequentWords: return frequent_words(rng, units);
            case Kind::kQa: return qa(rng, sample, units);
        }
        return {};
    }

    // The fewest units an item can have.
    size_t min_units(size_t sample) const {
        switch (spec_.kind) {
            case Kind::kCommonWords: return 10;
            case Kind::kFrequentWords: return 64;
            case Kind::kQa: return options_.qa->questions[sample].docs.size();
            case Kind::kVariableTracking: return 5;  // the chain's statements go between distinct lines
            case Kind::kNiah: return spec_.haystack == Haystack::kEssay ? 1 : 4;
        }
        return 1;
    }

private:
    Draft niah(Prng& rng, size_t units) const {
        Draws draw(rng);
        const int key_count = std::max(spec_.keys, spec_.queries);
        std::vector<std::string> keys, needles;
        std::vector<std::vector<std::string>> values;
        std::unordered_set<std::string> used;
        for (int k = 0; k < key_count; ++k) {
            std::string key;
            do key = draw.of(spec_.key);
            while (!used.insert(key).second);
            keys.push_back(key);
            values.emplace_back();
            for (int v = 0; v < spec_.values; ++v) {
                values.back().push_back(draw.of(spec_.value));
                needles.push_back(needle_text(spec_.value, key, values.back().back()));
            }
        }
        rng.shuffle(needles);
        const std::vector<double> depths = needle_depths(options_.depths, needles.size(), rng);

        Draft d;
        std::string context;
        if (spec_.haystack == Haystack::kEssay) {
            const std::string text = essay_.text(units);
            const auto sents = Essay::sentences(text);
            size_t previous = 0;
            auto append = [&](std::string_view part) {
                if (part.empty()) return;
                if (!context.empty()) context += ' ';
                context += part;
            };
            for (size_t i = 0; i <= needles.size(); ++i) {
                const size_t at = i < needles.size() ? size_t(double(sents.size()) * (depths[i] / 100.0)) : sents.size();
                if (at > previous)
                    append(std::string_view(sents[previous].data(),
                                            size_t(sents[at - 1].data() + sents[at - 1].size() - sents[previous].data())));
                previous = std::max(previous, at);
                if (i < needles.size()) append(needles[i]);
            }
            d.depth = depths;
        } else {
            std::vector<std::string> lines;
            lines.reserve(units + needles.size());
            for (size_t i = 0; i < units; ++i) {
                if (spec_.haystack == Haystack::kNoise) {
                    lines.emplace_back(kNoise);
                    continue;
                }
                // Distractor needles never use a key the question asks about.
                std::string key;
                do key = draw.of(spec_.key);
                while (used.count(key));
                lines.push_back(needle_text(spec_.value, key, draw.of(spec_.value)));
            }
            std::vector<size_t> at;
            if (!options_.depths.empty())
                for (double depth : depths) at.push_back(std::min(units, size_t(double(units) * depth / 100.0)));
            else
                at = rng.sample(units, needles.size());
            std::sort(at.rbegin(), at.rend());
            for (size_t i = 0; i < needles.size(); ++i) lines.insert(lines.begin() + long(at[i]), needles[i]);
            for (auto it = at.rbegin(); it != at.rend(); ++it) d.depth.push_back(100.0 * double(*it) / double(units));
            for (size_t i = 0; i < lines.size(); ++i) {
                if (i) context += '\n';
                context += lines[i];
            }
        }

        const std::vector<size_t> asked = rng.sample(size_t(key_count), size_t(spec_.queries));
        std::string query;
        for (size_t i = 0; i < asked.size(); ++i) {
            if (i) query += i + 1 == asked.size() ? ", and " : ", ";
            query += keys[asked[i]];
            for (const auto& v : values[asked[i]]) d.outputs.push_back(v);
        }
        // RULER turns its plural template singular when one value is asked for.
        const bool one = spec_.queries * spec_.values == 1;
        std::string type = needle_type_name(spec_.value);
        if (one) type.pop_back();
        if (one) {
            d.input = "A special magic " + type + " is hidden within the following text. Make sure to memorize it. "
                      "I will quiz you about the " + type + " afterwards.\n" + context + "\nWhat is the special magic " +
                      type + " for " + query + " mentioned in the provided text?";
            d.answer_prefix = " The special magic " + type + " for " + query + " mentioned in the provided text is";
        } else {
            d.input = "Some special magic " + type + " are hidden within the following text. Make sure to memorize "
                      "it. I will quiz you about the " + type + " afterwards.\n" + context +
                      "\nWhat are all the special magic " + type + " for " + query + " mentioned in the provided text?";
            d.answer_prefix = " The special magic " + type + " for " + query + " mentioned in the provided text are";
        }
        d.context = std::move(context);
        return d;
    }

    Draft variable_tracking(Prng& rng, size_t units) const {
        constexpr int kHops = 4;  // synthetic.yaml: one chain of four hops
        std::vector<std::string> names;
        std::unordered_set<std::string> used;
        while (names.size() < kHops + 1) {
            std::string name;
            for (int i = 0; i < 5; ++i) name += char('A' + rng.below(26));
            if (used.insert(name).second) names.push_back(name);
        }
        const std::string value = std::to_string(rng.between(10000, 99998));
        std::vector<std::string> chain = {"VAR " + names[0] + " = " + value};
        for (int j = 0; j < kHops; ++j) chain.push_back("VAR " + names[j + 1] + " = VAR " + names[j] + " ");

        std::vector<std::string> lines(units, std::string(kNoise));
        std::vector<size_t> at = rng.sample(lines.size(), chain.size());
        std::sort(at.begin(), at.end());
        for (size_t j = 0; j < chain.size(); ++j) lines.insert(lines.begin() + long(at[j] + j), chain[j]);
        std::string context;
        for (size_t i = 0; i < lines.size(); ++i) {
            if (i) context += '\n';
            context += lines[i];
        }
        Draft d;
        d.input = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n" + context +
                  "\nQuestion: Find all variables that are assigned the value " + value + " in the text above.";
        d.answer_prefix = " Answer: According to the chain(s) of variable assignment in the text above, " +
                          std::to_string(kHops + 1) + " variables are assigned the value " + value + ", they are: ";
        d.outputs = names;
        d.context = std::move(context);
        return d;
    }

    Draft common_words(Prng& rng, size_t units) const {
        constexpr size_t kCommon = 10;
        std::vector<std::string> words;
        const auto& base = common_word_pool();
        if (units <= base.size()) {
            for (size_t i : rng.sample(base.size(), units)) words.push_back(base[i]);
        } else {
            // More words than the list holds: adjective+noun compounds, all distinct.
            std::unordered_set<std::string> used;
            while (words.size() < units) {
                std::string w = rng.pick(ruler_adjectives()) + rng.pick(ruler_nouns());
                if (used.insert(w).second) words.push_back(std::move(w));
            }
        }
        // cwe's settings (freq_cw 30, freq_ucw 3), or 6 and 1 below 4096 tokens as RULER does.
        const bool short_item = options_.length < 4096;
        const size_t common_repeats = short_item ? 6 : 30, rare_repeats = short_item ? 1 : 3;
        std::vector<const std::string*> list;
        for (size_t i = 0; i < words.size(); ++i)
            for (size_t r = 0; r < (i < kCommon ? common_repeats : rare_repeats); ++r) list.push_back(&words[i]);
        rng.shuffle(list);
        std::string context;
        for (size_t i = 0; i < list.size(); ++i) {
            if (i) context += ' ';
            context += std::to_string(i + 1) + ". " + *list[i];
        }
        Draft d;
        d.input = "Below is a numbered list of words. In these words, some appear more often than others. Memorize the "
                  "ones that appear most often.\n" + context +
                  "\nQuestion: What are the 10 most common words in the above list?";
        d.answer_prefix = " Answer: The top 10 words that appear most often in the list are:";
        d.outputs.assign(words.begin(), words.begin() + kCommon);
        d.context = std::move(context);
        return d;
    }

    static const std::vector<std::string>& common_word_pool() {
        static const std::vector<std::string> pool = [] {
            std::set<std::string> all(ruler_nouns().begin(), ruler_nouns().end());
            all.insert(ruler_adjectives().begin(), ruler_adjectives().end());
            all.insert(ruler_verbs().begin(), ruler_verbs().end());
            return std::vector<std::string>(all.begin(), all.end());
        }();
        return pool;
    }

    Draft frequent_words(Prng& rng, size_t units) const {
        // fwe: a vocabulary of max_seq_length / 50 coded words of six letters,
        // counts following a zeta distribution (alpha 2), the top one noise.
        const size_t vocab_size = std::max<size_t>(10, size_t((options_.length - spec_.tokens_to_generate) / 50));
        std::set<std::string> distinct;
        while (distinct.size() < vocab_size) {
            std::string w;
            for (int i = 0; i < 6; ++i) w += char('a' + rng.below(26));
            distinct.insert(w);
        }
        std::vector<std::string> vocab(distinct.begin(), distinct.end());
        rng.shuffle(vocab);
        vocab[0] = "...";
        constexpr double kZeta2 = 1.6449340668482264;  // pi^2 / 6
        std::vector<const std::string*> list;
        for (size_t k = 1; k <= vocab.size(); ++k) {
            const auto copies = size_t(double(units) * (1.0 / (double(k) * double(k))) / kZeta2);
            for (size_t c = 0; c < copies; ++c) list.push_back(&vocab[k - 1]);
        }
        rng.shuffle(list);
        std::string context;
        for (size_t i = 0; i < list.size(); ++i) {
            if (i) context += ' ';
            context += *list[i];
        }
        Draft d;
        d.input = "Read the following coded text and track the frequency of each coded word. Find the three most "
                  "frequently appeared coded words. " + context +
                  "\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most "
                  "frequently appeared words in the above coded text?";
        d.answer_prefix = " Answer: According to the coded text above, the three most frequently appeared words are:";
        d.outputs.assign(vocab.begin() + 1, vocab.begin() + 4);
        d.context = std::move(context);
        return d;
    }

    Draft qa(Prng& rng, size_t sample, size_t units) const {
        const QaSet& set = *options_.qa;
        const QaQuestion& q = set.questions[sample];
        std::vector<size_t> chosen = q.docs;
        const size_t total = set.docs.size();
        if (units < total) {
            const size_t wanted = units - q.docs.size();
            if (wanted > q.more_docs.size()) {
                chosen.insert(chosen.end(), q.more_docs.begin(), q.more_docs.end());
                std::vector<char> taken(total, 0);
                for (size_t i : chosen) taken[i] = 1;
                std::vector<size_t> others;
                for (size_t i = 0; i < total; ++i)
                    if (!taken[i]) others.push_back(i);
                for (size_t i : rng.sample(others.size(), std::min(others.size(), wanted - q.more_docs.size())))
                    chosen.push_back(others[i]);
            } else {
                for (size_t i : rng.sample(q.more_docs.size(), wanted)) chosen.push_back(q.more_docs[i]);
            }
        } else {
            chosen.clear();
            for (size_t i = 0; i < units; ++i) chosen.push_back(i % total);
        }
        rng.shuffle(chosen);
        std::string context;
        for (size_t i = 0; i < chosen.size(); ++i) {
            if (i) context += "\n\n";
            context += "Document " + std::to_string(i + 1) + ":\n" + set.docs[chosen[i]];
        }
        const std::string instruction =
            "Answer the question based on the given documents. Only give me the answer and do not output any other words.";
        Draft d;
        d.input = instruction + "\n\nThe following are given documents.\n\n" + context + "\n\n" + instruction +
                  "\n\nQuestion: " + q.query;
        d.answer_prefix = " Answer:";
        d.outputs = q.outputs;
        d.context = std::move(context);
        return d;
    }

    const TaskSpec& spec_;
    const GenerateOptions& options_;
    const Essay& essay_;
};

// ---- fitting to the length --------------------------------------------------------

class Fitter {
public:
    Fitter(const Builder& builder, const TaskSpec& spec, const GenerateOptions& options, const Tokenizer& tokenizer)
        : builder_(builder), spec_(spec), options_(options), tokenizer_(tokenizer) {}

    int64_t length(const Draft& d) const {
        return int64_t(tokenizer_.count(d.input + d.answer_prefix)) + spec_.tokens_to_generate;
    }

    // The most units whose item stays within the length, searched on one
    // sample as RULER does: interpolation on the (nearly linear) token count,
    // halving the bracket when interpolation keeps moving the same end.
    size_t search(size_t sample) const {
        const int64_t budget = options_.length;
        size_t lo = builder_.min_units(sample);
        int64_t t_lo = length(builder_.build(sample, lo));
        if (t_lo > budget)
            throw EvalError("--length " + std::to_string(budget) + " is too short for " + spec_.name + ": its smallest item takes " +
                            std::to_string(t_lo) + " tokens");
        size_t hi = 0;  // 0: no size known to be too long yet
        int64_t t_hi = 0;
        double per_unit = 0;
        {
            const size_t probe = lo + 64;
            const int64_t t = length(builder_.build(sample, probe));
            per_unit = std::max(1e-3, double(t - t_lo) / double(probe - lo));
            if (t <= budget) lo = probe, t_lo = t;
            else hi = probe, t_hi = t;
        }
        int same_side = 0;
        bool last_was_lo = false;
        while (hi == 0 || hi - lo > 1) {
            size_t probe;
            if (hi == 0) {
                probe = lo + std::max<size_t>(1, size_t(double(budget - t_lo) / per_unit * 1.02) + 1);
            } else if (same_side >= 2) {
                probe = lo + (hi - lo) / 2;
            } else {
                const double f = double(budget - t_lo) / double(std::max<int64_t>(1, t_hi - t_lo));
                probe = lo + size_t(f * double(hi - lo));
                probe = std::clamp(probe, lo + 1, hi - 1);
            }
            const int64_t t = length(builder_.build(sample, probe));
            const bool fits = t <= budget;
            same_side = (fits == last_was_lo) ? same_side + 1 : 1;
            last_was_lo = fits;
            if (fits) {
                if (probe > lo) per_unit = std::max(1e-3, double(t - t_lo) / double(probe - lo));
                lo = probe, t_lo = t;
            } else {
                hi = probe, t_hi = t;
            }
        }
        return lo;
    }

    // Sample `sample` at `units`, stepping down (as RULER does) while it is too long.
    std::pair<Draft, int64_t> fit(size_t sample, size_t units) const {
        const size_t floor = builder_.min_units(sample);
        const size_t step = std::max<size_t>(1, units / 200);
        for (;;) {
            Draft d = builder_.build(sample, units);
            const int64_t n = length(d);
            if (n <= options_.length || units <= floor) return {std::move(d), n};
            units = units > floor + step ? units - step : floor;
        }
    }

private:
    const Builder& builder_;
    const TaskSpec& spec_;
    const GenerateOptions& options_;
    const Tokenizer& tokenizer_;
};

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    size_t i = 0;
    auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    while (i < text.size()) {
        while (i < text.size() && space(text[i])) ++i;
        size_t j = i;
        while (j < text.size() && !space(text[j])) ++j;
        if (j > i) words.push_back(text.substr(i, j - i));
        i = j;
    }
    return words;
}

}  // namespace

const std::vector<std::string>& ruler_task_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& t : kTasks) n.push_back(t.name);
        return n;
    }();
    return names;
}

bool is_ruler_task(std::string_view name) { return find_task(name) != nullptr; }

bool ruler_task_needs_qa_file(std::string_view name) {
    const TaskSpec* t = find_task(name);
    return t && t->kind == Kind::kQa;
}

namespace {

// The essay filler glyph ships, a data file (glyph/data_path.h).
constexpr const char* kBundledHaystack = "samples/novel_excerpt.txt";

}  // namespace

std::string default_haystack_path() {
    const std::string found = find_data_file(kBundledHaystack);
    if (found.empty())
        throw EvalError(std::string("no haystack: ") + kBundledHaystack + " is in none of " + data_dirs_line() +
                        " (pass --haystack PATH or set GLYPH_DATA_DIR)");
    return found;
}

std::vector<GeneratedItem> generate_ruler_items(const GenerateOptions& options, const Tokenizer& tokenizer) {
    const TaskSpec* spec = find_task(options.task);
    if (!spec) {
        std::string allowed;
        for (const auto& n : ruler_task_names()) allowed += (allowed.empty() ? "" : ", ") + n;
        throw EvalError("unknown RULER task \"" + options.task + "\" (allowed: " + allowed + ")");
    }
    if (options.length <= 0) throw EvalError("--length must be a positive number of tokens");
    for (double d : options.depths)
        if (!(d >= 0 && d <= 100)) throw EvalError("needle depth " + std::to_string(d) + " is outside 0..100 (percent)");
    Essay essay;
    essay.words = split_words(options.haystack);
    if (spec->kind == Kind::kNiah && spec->haystack == Haystack::kEssay && essay.words.empty())
        throw EvalError("the haystack text holds no words (" + std::string(spec->name) + " needs an essay filler)");
    if (spec->kind == Kind::kQa) {
        const QaFormat wanted = spec->name == std::string_view("qa_1") ? QaFormat::kSquad : QaFormat::kHotpotQa;
        if (!options.qa || options.qa->format != wanted)
            throw EvalError(std::string(spec->name) + " needs --qa-file with " + qa_format_name(wanted) + " JSON (" +
                            (wanted == QaFormat::kSquad ? "dev-v2.0.json" : "hotpot_dev_distractor_v1.json") + ")");
        if (options.samples > options.qa->questions.size())
            throw EvalError("--samples " + std::to_string(options.samples) + " is more than the " +
                            std::to_string(options.qa->questions.size()) + " answerable questions of the " +
                            qa_format_name(wanted) + " file");
    }
    const Builder builder(*spec, options, essay);
    const Fitter fitter(builder, *spec, options, tokenizer);
    std::vector<GeneratedItem> items;
    if (options.samples == 0) return items;
    const size_t units = fitter.search(0);
    for (size_t s = 0; s < options.samples; ++s) {
        auto [draft, length] = fitter.fit(s, std::max(units, builder.min_units(s)));
        if (length > options.length)
            throw EvalError("--length " + std::to_string(options.length) + " is too short for " + spec->name +
                            " sample " + std::to_string(s) + ": its smallest item takes " + std::to_string(length) +
                            " tokens");
        GeneratedItem item;
        item.index = options.first_index + s;
        item.task = spec->name;
        item.input = std::move(draft.input);
        item.answer_prefix = std::move(draft.answer_prefix);
        item.context = std::move(draft.context);
        item.outputs = std::move(draft.outputs);
        item.depth = std::move(draft.depth);
        item.length = length;
        items.push_back(std::move(item));
    }
    return items;
}

std::string ruler_item_json(const GeneratedItem& item) {
    nlohmann::ordered_json j{{"index", item.index},   {"input", item.input},
                             {"outputs", item.outputs}, {"length", item.length},
                             {"answer_prefix", item.answer_prefix}, {"task", item.task},
                             {"context", item.context}};
    if (!item.depth.empty()) j["depth"] = item.depth;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace glyph::eval
