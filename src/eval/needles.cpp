// Needle-in-a-haystack documents (RULER's "niah" task shape) and the lenient
// needle lookup the OCR test server answers from.
#include "glyph/needles.h"

#include "eval/prng.h"

#include <algorithm>
#include <cctype>
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
    eval::Prng rng;
    const std::string& pick(const std::vector<std::string>& words) { return rng.pick(words); }
    int between(int lo, int hi) { return int(rng.between(lo, hi)); }

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

namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A UUID as OCR may have read it, with digit look-alikes put back; nullopt
// when too few hex digits survive for it to be one.
std::optional<std::string> repaired_uuid(std::string_view word) {
    std::string out;
    size_t hex = 0;
    for (char c : lowercase(word)) {
        switch (c) {
            case 'o': c = '0'; break;
            case 'l': case 'i': case '|': case '!': c = '1'; break;
            case 's': c = '5'; break;
            case 'g': case 'q': c = '9'; break;
            case 'z': c = '2'; break;
            default: break;
        }
        if (std::isxdigit(static_cast<unsigned char>(c))) ++hex, out.push_back(c);
        else if (c == '-') out.push_back(c);
        else if (c == '.' || c == ',' || c == ';' || c == ':') continue;
        else return std::nullopt;
    }
    if (hex < 28) return std::nullopt;
    return out;
}

// The value a needle states after its key ("is: VALUE." or "is VALUE."),
// starting at word `k`; nullopt when none of the next words is one.
std::optional<std::string> value_after(const std::vector<std::string>& raw, size_t k, NeedleKind kind) {
    for (size_t end = std::min(raw.size(), k + 3); k < end; ++k) {
        const std::string word = lowercase_word(raw[k]);
        if (word.empty() || edit_distance(word, "is") == 0) continue;
        // A value the line broke at a hyphen arrives in two words.
        std::string joined = raw[k];
        if (k + 1 < raw.size() && !joined.empty() && joined.back() == '-') joined += raw[k + 1];
        switch (kind) {
            case NeedleKind::kNumber:
                if (auto number = repaired_number(raw[k])) return number;
                break;
            case NeedleKind::kUuid:
                if (auto uuid = repaired_uuid(joined)) return uuid;
                break;
            case NeedleKind::kWord: {
                std::string w = lowercase_word(joined);
                if (!w.empty() && std::isalpha(static_cast<unsigned char>(w[0]))) return w;
                break;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

const char* needle_kind_name(NeedleKind kind) {
    switch (kind) {
        case NeedleKind::kNumber: return "number";
        case NeedleKind::kWord: return "word";
        case NeedleKind::kUuid: return "uuid";
    }
    return "";
}

std::optional<NeedleQuestion> parse_needle_question(std::string_view question) {
    const std::string lower = lowercase(question);
    // The question is the last one asked: a prompt may quote needles before it
    // and an answer prefix after it.
    size_t from = lower.rfind("what ");
    if (from == std::string::npos) from = 0;
    const size_t magic = lower.find("magic ", from);
    if (magic == std::string::npos) return std::nullopt;
    size_t at = magic + 6;
    NeedleQuestion q;
    bool known = false;
    for (NeedleKind kind : {NeedleKind::kNumber, NeedleKind::kWord, NeedleKind::kUuid}) {
        const std::string name = needle_kind_name(kind);
        if (lower.compare(at, name.size(), name) != 0) continue;
        q.kind = kind;
        at += name.size();
        if (at < lower.size() && lower[at] == 's') ++at;
        known = true;
        break;
    }
    if (!known || lower.compare(at, 5, " for ") != 0) return std::nullopt;
    at += 5;
    size_t end = lower.find_first_of("?\n", at);
    end = std::min(end, lower.find(" mentioned", at));
    if (end == std::string::npos) end = lower.size();
    q.all_values = lower.compare(from, 13, "what are all ") == 0;
    // "a", "a, and b", "a, b, and c".
    std::string keys = lower.substr(at, end - at);
    for (size_t i = 0; i <= keys.size();) {
        size_t comma = keys.find(',', i);
        if (comma == std::string::npos) comma = keys.size();
        std::string key = lowercase_word(keys.substr(i, comma - i));
        if (key.rfind("and ", 0) == 0) key = lowercase_word(key.substr(4));
        if (!key.empty()) q.keys.push_back(key);
        i = comma + 1;
    }
    if (q.keys.empty()) return std::nullopt;
    return q;
}

std::vector<std::string> find_needle_values(std::string_view text, std::string_view key_in, NeedleKind kind,
                                            bool all_values) {
    const std::string key = lowercase_word(key_in);
    const std::vector<std::string> raw = split_words(text);
    std::vector<std::string> words;
    words.reserve(raw.size());
    for (const auto& w : raw) words.push_back(lowercase_word(w));
    const size_t tolerance = std::max<size_t>(1, key.size() / 5);
    const std::string kind_name = needle_kind_name(kind);
    struct Match {
        size_t distance;
        std::string value;
    };
    std::vector<Match> matches;
    for (size_t i = 0; i + 4 < words.size(); ++i) {
        if (!near(words[i], "magic") || edit_distance(words[i + 1].substr(0, kind_name.size() + 1), kind_name) > 1 ||
            edit_distance(words[i + 2], "for") > 1)
            continue;
        // OCR may split a key in two or three words (a hyphen at a line end).
        std::optional<Match> best;
        for (size_t parts = 1; parts <= 3 && i + 3 + parts < words.size(); ++parts) {
            std::string glued = words[i + 3], hyphened = words[i + 3];
            for (size_t p = 1; p < parts; ++p) {
                glued += words[i + 3 + p];
                hyphened += "-" + words[i + 3 + p];
            }
            const size_t d = std::min(edit_distance(glued, key), edit_distance(hyphened, key));
            if (d > tolerance || (best && d >= best->distance)) continue;
            if (auto value = value_after(raw, i + 3 + parts, kind)) best = Match{d, *value};
        }
        if (best) matches.push_back(std::move(*best));
    }
    std::vector<std::string> values;
    if (matches.empty()) return values;
    if (!all_values) {
        const auto best = std::min_element(matches.begin(), matches.end(),
                                           [](const Match& a, const Match& b) { return a.distance < b.distance; });
        values.push_back(best->value);
        return values;
    }
    for (const auto& m : matches)
        if (std::find(values.begin(), values.end(), m.value) == values.end()) values.push_back(m.value);
    return values;
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

    Writer w{eval::Prng(options.seed)};
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
