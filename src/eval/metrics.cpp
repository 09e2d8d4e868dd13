// LongBench, MRCR and RULER metrics, each equal to the Python original it
// names (LongBench metrics.py with rouge 1.0.1, jieba and fuzzywuzzy's
// difflib path; openai/mrcr's grader; RULER's string_match_all/part).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "eval/python_text.h"
#include "eval/sequence_matcher.h"
#include "glyph/eval.h"

namespace glyph::eval {

namespace {

using U32 = std::u32string;

bool is_ascii_punctuation(char32_t c) {  // string.punctuation
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// LongBench's Chinese punctuation list (normalize_zh_answer), '.' included.
const std::u32string& zh_punctuation() {
    static const U32 set = py::decode(
        "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】"
        "〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.");
    return set;
}

// normalize_answer: lower, drop ASCII punctuation, drop the words a/an/the
// (re's \b(a|an|the)\b: a whole run of word characters), collapse spaces.
std::vector<U32> english_words(std::string_view text) {
    U32 lowered = py::lower(py::decode(text));
    U32 kept;
    kept.reserve(lowered.size());
    for (char32_t c : lowered)
        if (!is_ascii_punctuation(c)) kept.push_back(c);
    U32 out;
    out.reserve(kept.size());
    size_t i = 0;
    while (i < kept.size()) {
        if (!py::is_word(kept[i])) {
            out.push_back(kept[i++]);
            continue;
        }
        size_t start = i;
        while (i < kept.size() && py::is_word(kept[i])) ++i;
        std::u32string_view word(kept.data() + start, i - start);
        if (word == U"a" || word == U"an" || word == U"the") out.push_back(U' ');
        else out.append(word);
    }
    return py::split_whitespace(out);
}

// normalize_zh_answer: lower, drop ASCII and Chinese punctuation and all whitespace.
U32 normalize_zh(std::u32string_view text) {
    U32 out;
    for (char32_t c : py::lower(text))
        if (!is_ascii_punctuation(c) && zh_punctuation().find(c) == U32::npos && !py::is_space(c)) out.push_back(c);
    return out;
}

// f1_score over two token lists (Counter intersection).
double token_f1(const std::vector<U32>& pred, const std::vector<U32>& gold) {
    std::map<U32, long> gold_counts;
    for (const auto& t : gold) ++gold_counts[t];
    long same = 0;
    for (const auto& t : pred) {
        auto it = gold_counts.find(t);
        if (it != gold_counts.end() && it->second > 0) {
            --it->second;
            ++same;
        }
    }
    if (same == 0) return 0;
    double p = static_cast<double>(same) / static_cast<double>(pred.size());
    double r = static_cast<double>(same) / static_cast<double>(gold.size());
    return 2 * p * r / (p + r);
}

std::vector<U32> zh_tokens(std::string_view text, const Jieba& jieba) {
    std::vector<U32> out;
    for (const auto& word : jieba.cut(py::decode(text))) {
        U32 t = normalize_zh(word);
        if (!t.empty()) out.push_back(std::move(t));
    }
    return out;
}

// A table this size (words of one reference sentence x words of one
// predicted sentence) is far beyond any summary; refusing it bounds memory.
constexpr size_t kMaxLcsCells = 50'000'000;

// The words of the one LCS rouge 1.0.1 picks when it walks back its table.
void add_lcs_words(const std::vector<U32>& ref, const std::vector<U32>& hyp, std::set<U32>& out) {
    size_t n = ref.size(), m = hyp.size();
    if ((n + 1) * (m + 1) > kMaxLcsCells)
        throw EvalError("a sentence pair is too long for ROUGE-L (" + std::to_string(n) + " x " + std::to_string(m) +
                        " words; at most " + std::to_string(kMaxLcsCells) + " table cells)");
    std::vector<uint32_t> t((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return t[i * (m + 1) + j]; };
    for (size_t i = 1; i <= n; ++i)
        for (size_t j = 1; j <= m; ++j)
            at(i, j) = ref[i - 1] == hyp[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    size_t i = n, j = m;
    while (i > 0 && j > 0) {
        if (ref[i - 1] == hyp[j - 1]) {
            out.insert(ref[i - 1]);
            --i;
            --j;
        } else if (at(i - 1, j) > at(i, j - 1)) {
            --i;
        } else {
            --j;
        }
    }
}

// rouge 1.0.1's sentences: split on every '.', empty pieces dropped, spaces collapsed.
std::vector<std::vector<U32>> rouge_sentences(std::u32string_view text) {
    std::vector<std::vector<U32>> out;
    for (const auto& piece : py::split(text, U".")) {
        if (piece.empty()) continue;
        out.push_back(py::split(py::join(py::split_whitespace(piece), U" "), U" "));
    }
    return out;
}

double rouge_l(std::u32string_view pred, std::u32string_view gold) {
    auto hyp = rouge_sentences(pred);
    auto ref = rouge_sentences(gold);
    if (hyp.empty() || ref.empty()) return 0.0;
    std::set<U32> ref_words, hyp_words, lcs_words;
    for (const auto& s : ref) ref_words.insert(s.begin(), s.end());
    for (const auto& s : hyp) hyp_words.insert(s.begin(), s.end());
    for (const auto& r : ref)
        for (const auto& h : hyp) add_lcs_words(r, h, lcs_words);
    double llcs = static_cast<double>(lcs_words.size());
    double r_lcs = llcs / static_cast<double>(ref_words.size());
    double p_lcs = llcs / static_cast<double>(hyp_words.size());
    return 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8));
}

U32 jieba_joined(std::string_view text, const Jieba& jieba) { return py::join(jieba.cut(py::decode(text)), U" "); }

// Share of the numbers (runs of decimal digits) in `pred` equal to `target`.
double share_equal(std::string_view pred, std::u32string_view target) {
    U32 text = py::decode(pred);
    size_t numbers = 0, equal = 0, i = 0;
    while (i < text.size()) {
        if (!py::is_decimal(text[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < text.size() && py::is_decimal(text[i])) ++i;
        ++numbers;
        if (std::u32string_view(text.data() + start, i - start) == target) ++equal;
    }
    return numbers == 0 ? 0.0 : static_cast<double>(equal) / static_cast<double>(numbers);
}

// re.findall(LABEL + r"(\d+)", gold)[0]
U32 first_label_number(std::string_view gold, std::u32string_view label) {
    U32 text = py::decode(gold);
    for (size_t at = text.find(label); at != U32::npos; at = text.find(label, at + 1)) {
        size_t i = at + label.size(), start = i;
        while (i < text.size() && py::is_decimal(text[i])) ++i;
        if (i > start) return text.substr(start, i - start);
    }
    throw EvalError("the answer \"" + std::string(gold.substr(0, 80)) + "\" names no " + py::encode(label) +
                    "N (retrieval answers do)");
}

// str.lstrip("\n").split("\n")
std::vector<std::string_view> lines_after_leading_newlines(std::string_view text) {
    size_t b = text.find_first_not_of('\n');
    text = b == std::string_view::npos ? std::string_view() : text.substr(b);
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) break;
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    out.push_back(text.substr(start));
    return out;
}

enum class Metric { kQaF1, kQaF1Zh, kRouge, kRougeZh, kClassification, kRetrieval, kRetrievalZh, kCount, kCodeSim };

const std::vector<std::pair<std::string, Metric>>& metric_map() {
    static const std::vector<std::pair<std::string, Metric>> map = {
        {"narrativeqa", Metric::kQaF1},         {"qasper", Metric::kQaF1},
        {"multifieldqa_en", Metric::kQaF1},     {"multifieldqa_zh", Metric::kQaF1Zh},
        {"hotpotqa", Metric::kQaF1},            {"2wikimqa", Metric::kQaF1},
        {"musique", Metric::kQaF1},             {"dureader", Metric::kRougeZh},
        {"gov_report", Metric::kRouge},         {"qmsum", Metric::kRouge},
        {"multi_news", Metric::kRouge},         {"vcsum", Metric::kRougeZh},
        {"trec", Metric::kClassification},      {"triviaqa", Metric::kQaF1},
        {"samsum", Metric::kRouge},             {"lsht", Metric::kClassification},
        {"passage_retrieval_en", Metric::kRetrieval}, {"passage_count", Metric::kCount},
        {"passage_retrieval_zh", Metric::kRetrievalZh}, {"lcc", Metric::kCodeSim},
        {"repobench-p", Metric::kCodeSim},
    };
    return map;
}

const Metric* find_metric(std::string_view dataset) {
    for (const auto& [name, metric] : metric_map())
        if (name == dataset) return &metric;
    return nullptr;
}

bool first_line_only(std::string_view dataset) {
    return dataset == "trec" || dataset == "triviaqa" || dataset == "samsum" || dataset == "lsht";
}

const Jieba& need(const Jieba* jieba) {
    if (!jieba) throw EvalError("a Chinese metric needs jieba's dictionary, and none was loaded");
    return *jieba;
}

}  // namespace

double qa_f1_score(std::string_view pred, std::string_view gold) {
    return token_f1(english_words(pred), english_words(gold));
}

double qa_f1_zh_score(std::string_view pred, std::string_view gold, const Jieba& jieba) {
    return token_f1(zh_tokens(pred, jieba), zh_tokens(gold, jieba));
}

double rouge_score(std::string_view pred, std::string_view gold) { return rouge_l(py::decode(pred), py::decode(gold)); }

double rouge_zh_score(std::string_view pred, std::string_view gold, const Jieba& jieba) {
    return rouge_l(jieba_joined(pred, jieba), jieba_joined(gold, jieba));
}

double classification_score(std::string_view pred, std::string_view gold, const std::vector<std::string>& all_classes) {
    std::vector<std::string> found;
    for (const auto& c : all_classes)
        if (pred.find(c) != std::string_view::npos) found.push_back(c);
    // LongBench removes from the list it is iterating over: the element after
    // a removed one is skipped, and remove() drops the first equal element.
    for (size_t i = 0; i < found.size(); ++i) {
        std::string c = found[i];
        if (gold.find(c) != std::string_view::npos && c != gold) found.erase(std::find(found.begin(), found.end(), c));
    }
    bool hit = std::find(found.begin(), found.end(), gold) != found.end();
    return hit ? 1.0 / static_cast<double>(found.size()) : 0.0;
}

double retrieval_score(std::string_view pred, std::string_view gold) {
    return share_equal(pred, first_label_number(gold, U"Paragraph "));
}

double retrieval_zh_score(std::string_view pred, std::string_view gold) {
    return share_equal(pred, first_label_number(gold, U"段落"));
}

double count_score(std::string_view pred, std::string_view gold) { return share_equal(pred, py::decode(gold)); }

double difflib_ratio(std::string_view a, std::string_view b) { return sequence_ratio(py::decode(a), py::decode(b)); }

int fuzz_ratio(std::string_view a, std::string_view b) {
    if (a == b) return 100;
    if (a.empty() || b.empty()) return 0;
    return static_cast<int>(py::round_half_even(100 * difflib_ratio(a, b)));
}

double code_sim_score(std::string_view pred, std::string_view gold) {
    std::string_view line;
    for (auto l : lines_after_leading_newlines(pred)) {
        if (l.find('`') == std::string_view::npos && l.find('#') == std::string_view::npos &&
            l.find("//") == std::string_view::npos) {
            line = l;
            break;
        }
    }
    return fuzz_ratio(line, gold) / 100.0;
}

bool is_longbench_dataset(std::string_view dataset) { return find_metric(dataset) != nullptr; }

std::vector<std::string> longbench_datasets() {
    std::vector<std::string> out;
    for (const auto& entry : metric_map()) out.push_back(entry.first);
    return out;
}

bool longbench_needs_jieba(std::string_view dataset) {
    const Metric* m = find_metric(dataset);
    return m && (*m == Metric::kQaF1Zh || *m == Metric::kRougeZh);
}

double longbench_item_score(std::string_view dataset, std::string_view pred, const std::vector<std::string>& answers,
                            const std::vector<std::string>& all_classes, const Jieba* jieba) {
    const Metric* metric = find_metric(dataset);
    if (!metric) throw EvalError("unknown LongBench dataset \"" + std::string(dataset) + "\"");
    if (first_line_only(dataset)) pred = lines_after_leading_newlines(pred).front();
    double best = 0.0;
    for (const auto& gold : answers) {
        double s = 0;
        switch (*metric) {
            case Metric::kQaF1: s = qa_f1_score(pred, gold); break;
            case Metric::kQaF1Zh: s = qa_f1_zh_score(pred, gold, need(jieba)); break;
            case Metric::kRouge: s = rouge_score(pred, gold); break;
            case Metric::kRougeZh: s = rouge_zh_score(pred, gold, need(jieba)); break;
            case Metric::kClassification: s = classification_score(pred, gold, all_classes); break;
            case Metric::kRetrieval: s = retrieval_score(pred, gold); break;
            case Metric::kRetrievalZh: s = retrieval_zh_score(pred, gold); break;
            case Metric::kCount: s = count_score(pred, gold); break;
            case Metric::kCodeSim: s = code_sim_score(pred, gold); break;
        }
        if (s > best) best = s;
    }
    return best;
}

const char* longbench_length_bucket(int64_t length) {
    return length < 4000 ? "0-4k" : length < 8000 ? "4-8k" : "8k+";
}

double mrcr_grade(std::string_view reply, std::string_view answer, std::string_view random_prefix) {
    size_t think = reply.rfind("</think>");
    if (think != std::string_view::npos) reply = reply.substr(think + 8);
    U32 response(py::strip(py::decode(reply)));
    U32 prefix = py::decode(random_prefix);
    if (response.compare(0, prefix.size(), prefix) != 0) return 0.0;
    U32 gold = py::decode(answer);
    if (gold.compare(0, prefix.size(), prefix) == 0) gold.erase(0, prefix.size());
    response.erase(0, prefix.size());
    return sequence_ratio(response, gold);
}

double ruler_item_score(std::string_view task, std::string_view pred, const std::vector<std::string>& outputs) {
    U32 text = py::decode(pred);
    for (char32_t& c : text)
        if (c < 0x20) c = U'\n';
    U32 p = py::lower(py::strip(text));
    auto found = [&](const std::string& ref) { return p.find(py::lower(py::decode(ref))) != U32::npos ? 1.0 : 0.0; };
    if (task.substr(0, 2) == "qa") {
        double best = 0.0;
        for (const auto& ref : outputs) best = std::max(best, found(ref));
        return best;
    }
    double sum = 0;
    for (const auto& ref : outputs) sum += found(ref);
    return sum / static_cast<double>(outputs.size());
}

double mean_percent(const std::vector<double>& scores) {
    double sum = 0;  // Python 3.11's sum(): plain left-to-right addition
    for (double s : scores) sum += s;
    return py::round_to(100 * sum / static_cast<double>(scores.size()), 2);
}

}  // namespace glyph::eval
