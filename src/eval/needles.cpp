// Needle-in-a-haystack documents (RULER's "niah" task shape) and the lenient
// needle lookup the OCR test server answers from.
#include "glyph/needles.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <stdexcept>

namespace glyph {

namespace {

// Plain dictionary words: the filler must stay legible to OCR, and carry no
// digits, so that a number on a page can only come from a needle.
const std::vector<std::string> kAdjectives = {
    "quiet", "narrow", "ancient", "bright", "heavy", "gentle", "distant", "hollow", "silver", "patient",
    "crooked", "golden", "restless", "humble", "broad", "weathered", "careful", "sudden", "pale", "steady",
    "crowded", "lonely", "stubborn", "modest", "curious", "faded", "sturdy", "tender", "rough", "simple"};
const std::vector<std::string> kNouns = {
    "river", "lantern", "village", "harbor", "letter", "garden", "bridge", "window", "market", "orchard",
    "engine", "valley", "teacher", "island", "ledger", "kitchen", "forest", "station", "mirror", "meadow",
    "library", "captain", "workshop", "chapel", "compass", "courtyard", "basket", "carriage", "hillside", "tower"};
const std::vector<std::string> kVerbs = {
    "crossed", "followed", "watched", "carried", "repaired", "described", "remembered", "painted", "measured",
    "visited", "guarded", "opened", "praised", "studied", "gathered", "ignored", "welcomed", "counted"};
const std::vector<std::string> kAdverbs = {"slowly", "quietly", "eagerly", "rarely", "gladly", "calmly",
                                           "warily", "boldly", "softly", "seldom"};
const std::vector<std::string> kPrepositions = {"beyond", "beside", "behind", "across", "toward", "beneath",
                                                "around", "near"};
const std::vector<std::string> kNames = {"Marta", "Elias", "Ruth", "Tomas", "Agnes", "Felix", "Nora", "Simon",
                                         "Clara", "Oskar", "Helen", "Julian"};
const std::vector<std::string> kTimes = {"morning", "evening", "winter", "spring", "autumn", "summer",
                                         "afternoon", "night"};
// Needle keys: colour-animal pairs, kept apart from the filler vocabulary.
const std::vector<std::string> kKeyFirst = {
    "amber", "cobalt", "crimson", "ivory", "jade", "scarlet", "violet", "olive", "copper", "indigo",
    "coral", "ochre", "teal", "maroon", "saffron", "azure", "umber", "lilac", "bronze", "russet"};
const std::vector<std::string> kKeySecond = {
    "falcon", "otter", "badger", "heron", "lynx", "beetle", "salmon", "walrus", "magpie", "bison",
    "gecko", "raven", "marten", "ferret", "pelican", "weasel", "condor", "jackal", "puffin", "tapir"};

struct Writer {
    std::mt19937_64 rng;
    const std::string& pick(const std::vector<std::string>& words) {
        return words[std::uniform_int_distribution<size_t>(0, words.size() - 1)(rng)];
    }
    int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

    std::string sentence() {
        std::string s;
        switch (between(0, 5)) {
            case 0:
                s = "the " + pick(kAdjectives) + " " + pick(kNouns) + " " + pick(kVerbs) + " " + pick(kPrepositions) +
                    " the " + pick(kAdjectives) + " " + pick(kNouns) + ".";
                break;
            case 1:
                s = pick(kNames) + " " + pick(kVerbs) + " the " + pick(kNouns) + " because the " + pick(kNouns) +
                    " was " + pick(kAdjectives) + ".";
                break;
            case 2:
                s = "in the " + pick(kTimes) + ", the " + pick(kNouns) + " near the " + pick(kNouns) + " was " +
                    pick(kAdverbs) + " " + pick(kVerbs) + " by " + pick(kNames) + ".";
                break;
            case 3:
                s = "nobody " + pick(kVerbs) + " the " + pick(kAdjectives) + " " + pick(kNouns) + " until " +
                    pick(kNames) + " " + pick(kAdverbs) + " " + pick(kVerbs) + " it.";
                break;
            case 4:
                s = pick(kNames) + " and " + pick(kNames) + " " + pick(kVerbs) + " the " + pick(kNouns) + " " +
                    pick(kPrepositions) + " the " + pick(kNouns) + ", and the " + pick(kNouns) + " seemed " +
                    pick(kAdjectives) + ".";
                break;
            default:
                s = "it was a " + pick(kAdjectives) + " " + pick(kTimes) + " in the " + pick(kNouns) + ".";
                break;
        }
        s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
        return s;
    }
};

std::string lowercase_word(std::string_view w) {
    std::string out;
    for (char c : w) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    // Punctuation OCR attaches to a word's ends is not part of it.
    auto edge = [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); };
    while (!out.empty() && edge(out.back())) out.pop_back();
    size_t start = 0;
    while (start < out.size() && edge(out[start])) ++start;
    return out.substr(start);
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool near(std::string_view word, std::string_view target) { return edit_distance(word, target) <= 1; }

// Digits with the letters OCR mistakes them for; nullopt when the word is not a number.
std::optional<std::string> repaired_number(std::string_view word) {
    std::string digits;
    size_t letters = 0;
    for (char c : word) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            digits.push_back(c);
            continue;
        }
        char d = 0;
        switch (c) {
            case 'o': case 'O': case 'D': d = '0'; break;
            case 'l': case 'I': case 'i': case '|': case '!': d = '1'; break;
            case 'S': case 's': d = '5'; break;
            case 'B': d = '8'; break;
            case 'Z': case 'z': d = '2'; break;
            case 'g': case 'q': d = '9'; break;
            case ',': case '.': case ';': case ':': continue;
            default: return std::nullopt;
        }
        digits.push_back(d);
        ++letters;
    }
    if (digits.size() < 3 || letters * 3 > digits.size()) return std::nullopt;
    return digits;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        if (j > i) words.emplace_back(text.substr(i, j - i));
        i = j;
    }
    return words;
}

}  // namespace

std::string needle_sentence(const Needle& needle) {
    return "The special magic number for " + needle.key + " is " + needle.value + ".";
}

std::string needle_question(std::string_view key) {
    return "What is the special magic number for " + std::string(key) + "?";
}

std::optional<std::string> needle_key(std::string_view question) {
    const std::string marker = "magic number for ";
    std::string lower(question);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const size_t at = lower.find(marker);
    if (at == std::string::npos) return std::nullopt;
    size_t begin = at + marker.size(), end = begin;
    while (end < question.size() && !std::isspace(static_cast<unsigned char>(question[end])) && question[end] != '?')
        ++end;
    std::string key = lowercase_word(question.substr(begin, end - begin));
    if (key.empty()) return std::nullopt;
    return key;
}

std::optional<std::string> find_needle_value(std::string_view text, std::string_view key_in) {
    const std::string key = lowercase_word(key_in);
    const std::vector<std::string> raw = split_words(text);
    std::vector<std::string> words;
    words.reserve(raw.size());
    for (const auto& w : raw) words.push_back(lowercase_word(w));
    const size_t tolerance = std::max<size_t>(1, key.size() / 5);
    std::optional<std::string> best;
    size_t best_distance = tolerance + 1;
    for (size_t i = 0; i + 4 < words.size(); ++i) {
        if (!near(words[i], "magic") || !near(words[i + 1], "number") || edit_distance(words[i + 2], "for") > 1)
            continue;
        // OCR may split a hyphenated key in two words.
        for (size_t parts : {size_t(1), size_t(2)}) {
            if (i + 3 + parts >= words.size()) break;
            std::string candidate = words[i + 3];
            if (parts == 2) candidate += words[i + 4];
            const size_t d = std::min(edit_distance(candidate, key),
                                      parts == 2 ? edit_distance(words[i + 3] + "-" + words[i + 4], key) : SIZE_MAX);
            if (d >= best_distance) continue;
            // The value follows "is"; allow OCR to have mangled or dropped it.
            for (size_t k = i + 3 + parts; k < std::min(words.size(), i + 6 + parts); ++k) {
                if (auto number = repaired_number(raw[k])) {
                    best = *number;
                    best_distance = d;
                    break;
                }
            }
        }
    }
    return best;
}

NeedleDocument make_needle_document(const NeedleOptions& options, const Tokenizer& tokenizer) {
    if (options.target_tokens <= 0) throw std::invalid_argument("needle document length must be positive");
    if (options.needles < 1 || options.needles > int(kKeyFirst.size() * kKeySecond.size()))
        throw std::invalid_argument("needle count must be between 1 and " +
                                    std::to_string(kKeyFirst.size() * kKeySecond.size()));
    std::vector<double> depths = options.depths;
    if (depths.empty())
        for (int i = 0; i < options.needles; ++i) depths.push_back((i + 0.5) / options.needles);
    if (int(depths.size()) != options.needles)
        throw std::invalid_argument("needle depths: " + std::to_string(depths.size()) + " given for " +
                                    std::to_string(options.needles) + " needles");
    for (double d : depths)
        if (!(d >= 0 && d <= 1)) throw std::invalid_argument("needle depth " + std::to_string(d) + " is outside [0, 1]");

    Writer w{std::mt19937_64(options.seed)};
    std::vector<Needle> needles;
    std::set<std::string> used;
    for (int i = 0; i < options.needles; ++i) {
        Needle n;
        do n.key = w.pick(kKeyFirst) + "-" + w.pick(kKeySecond);
        while (!used.insert(n.key).second);
        n.value = std::to_string(w.between(1000000, 9999999));
        n.depth = depths[i];
        needles.push_back(n);
    }
    int64_t needle_tokens = 0;
    for (const auto& n : needles) {
        std::string spaced = needle_sentence(n);
        spaced.insert(spaced.begin(), ' ');
        needle_tokens += int64_t(tokenizer.count(spaced));
    }

    // Paragraphs of filler until the budget is met, counted paragraph by
    // paragraph (BPE counts are additive across the "\n\n" boundaries here).
    std::vector<std::vector<std::string>> paragraphs;
    int64_t tokens = needle_tokens;
    while (tokens < options.target_tokens) {
        std::vector<std::string> p;
        const int sentences = w.between(4, 9);
        std::string joined;
        for (int s = 0; s < sentences; ++s) {
            p.push_back(w.sentence());
            if (s) joined += ' ';
            joined += p.back();
        }
        tokens += int64_t(tokenizer.count(joined + "\n\n"));
        paragraphs.push_back(std::move(p));
    }
    // Each needle goes between two sentences of the paragraph at its depth.
    std::vector<std::vector<std::pair<size_t, size_t>>> slots(paragraphs.size());
    for (size_t i = 0; i < needles.size(); ++i) {
        const size_t p = std::min(paragraphs.size() - 1, size_t(needles[i].depth * double(paragraphs.size())));
        slots[p].push_back({paragraphs[p].size() / 2, i});
    }
    NeedleDocument doc;
    for (size_t p = 0; p < paragraphs.size(); ++p) {
        if (p) doc.text += "\n\n";
        for (size_t s = 0; s <= paragraphs[p].size(); ++s) {
            for (const auto& [slot, index] : slots[p]) {
                if (slot != s) continue;
                if (s) doc.text += " ";
                needles[index].offset = doc.text.size();
                doc.text += needle_sentence(needles[index]);
                if (s < paragraphs[p].size()) doc.text += " ";
            }
            if (s == paragraphs[p].size()) break;
            if (s && doc.text.back() != ' ') doc.text += " ";
            doc.text += paragraphs[p][s];
        }
    }
    doc.text += "\n";
    doc.needles = std::move(needles);
    doc.tokens = int64_t(tokenizer.count(doc.text));
    return doc;
}

}  // namespace glyph
