// The question sets of RULER's qa tasks, read as its qa.py reads them:
// SQuAD v2 (answerable questions, the other paragraphs of the article as
// preferred distractors) and HotpotQA (each question's ten paragraphs).
// Bounded: the file's size and nesting are capped, every field is checked.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "glyph/eval_generate.h"

namespace glyph::eval {

namespace {

using nlohmann::json;

constexpr uintmax_t kMaxQaFileBytes = uintmax_t(1) << 30;
constexpr int kMaxQaDepth = 32;

struct QaReader {
    std::string path;

    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw EvalError("--qa-file " + path + ": " + where + " " + what);
    }
    const json& member(const json& object, const char* key, const std::string& where) const {
        if (!object.is_object()) fail(where, "is not a JSON object");
        auto it = object.find(key);
        if (it == object.end()) fail(where, std::string("has no \"") + key + "\"");
        return *it;
    }
    const json& array(const json& object, const char* key, const std::string& where) const {
        const json& v = member(object, key, where);
        if (!v.is_array()) fail(where + "." + key, "is not an array");
        return v;
    }
    std::string text(const json& v, const std::string& where) const {
        if (!v.is_string()) fail(where, "is not a string");
        return v.get<std::string>();
    }
};

// Distinct texts, sorted by code point as Python sorts str (UTF-8 bytes
// compare in the same order), and the index of each.
struct DocTable {
    std::map<std::string, size_t> index;
    std::vector<std::string> finish() {
        std::vector<std::string> docs;
        docs.reserve(index.size());
        size_t i = 0;
        for (auto& [doc, id] : index) {
            id = i++;
            docs.push_back(doc);
        }
        return docs;
    }
};

json parse_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw EvalError("cannot read --qa-file " + path + " (not a file)");
    if (std::filesystem::file_size(path, ec) > kMaxQaFileBytes)
        throw EvalError("--qa-file " + path + " is larger than 1 GiB");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EvalError("cannot read --qa-file " + path);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json::parser_callback_t bounded = [&](int depth, json::parse_event_t, json&) {
        if (depth > kMaxQaDepth)
            throw EvalError("--qa-file " + path + " is nested deeper than " + std::to_string(kMaxQaDepth) + " levels");
        return true;
    };
    try {
        return json::parse(body, bounded);
    } catch (const json::parse_error& e) {
        throw EvalError("--qa-file " + path + " is not valid JSON (" + std::string(e.what()).substr(0, 160) + ")");
    }
}

QaSet read_squad(const json& root, const QaReader& r) {
    const json& articles = r.array(root, "data", "the top level");
    DocTable table;
    // Paragraph texts first: questions refer to them by their sorted index.
    for (size_t a = 0; a < articles.size(); ++a) {
        const std::string wa = "data[" + std::to_string(a) + "]";
        const json& paragraphs = r.array(articles[a], "paragraphs", wa);
        for (size_t p = 0; p < paragraphs.size(); ++p)
            table.index.emplace(r.text(r.member(paragraphs[p], "context", wa + ".paragraphs[" + std::to_string(p) + "]"),
                                       wa + ".paragraphs[" + std::to_string(p) + "].context"),
                                0);
    }
    QaSet set;
    set.format = QaFormat::kSquad;
    set.docs = table.finish();
    for (size_t a = 0; a < articles.size(); ++a) {
        const json& paragraphs = articles[a]["paragraphs"];
        std::vector<size_t> article_docs;
        for (const auto& p : paragraphs) article_docs.push_back(table.index.at(p["context"].get<std::string>()));
        for (size_t p = 0; p < paragraphs.size(); ++p) {
            const std::string wp = "data[" + std::to_string(a) + "].paragraphs[" + std::to_string(p) + "]";
            const size_t doc = article_docs[p];
            const json& qas = r.array(paragraphs[p], "qas", wp);
            for (size_t q = 0; q < qas.size(); ++q) {
                const std::string wq = wp + ".qas[" + std::to_string(q) + "]";
                // SQuAD v1.1 has no is_impossible: every question is answerable.
                if (qas[q].is_object() && qas[q].contains("is_impossible")) {
                    const json& impossible = qas[q]["is_impossible"];
                    if (!impossible.is_boolean()) r.fail(wq + ".is_impossible", "is not true or false");
                    if (impossible.get<bool>()) continue;
                }
                QaQuestion question;
                question.query = r.text(r.member(qas[q], "question", wq), wq + ".question");
                const json& answers = r.array(qas[q], "answers", wq);
                for (size_t k = 0; k < answers.size(); ++k)
                    question.outputs.push_back(r.text(r.member(answers[k], "text", wq + ".answers[" + std::to_string(k) + "]"),
                                                      wq + ".answers[" + std::to_string(k) + "].text"));
                if (question.outputs.empty()) r.fail(wq, "is answerable but has no answers");
                question.docs = {doc};
                for (size_t other : article_docs)
                    if (other != doc) question.more_docs.push_back(other);
                set.questions.push_back(std::move(question));
            }
        }
    }
    return set;
}

QaSet read_hotpotqa(const json& root, const QaReader& r) {
    DocTable table;
    std::vector<std::vector<std::string>> item_docs(root.size());
    for (size_t i = 0; i < root.size(); ++i) {
        const std::string wi = "item " + std::to_string(i);
        const json& context = r.array(root[i], "context", wi);
        for (size_t c = 0; c < context.size(); ++c) {
            const std::string wc = wi + ".context[" + std::to_string(c) + "]";
            const json& pair = context[c];
            if (!pair.is_array() || pair.size() != 2 || !pair[1].is_array()) r.fail(wc, "is not [title, [sentences]]");
            std::string doc = r.text(pair[0], wc + "[0]") + "\n";
            for (size_t s = 0; s < pair[1].size(); ++s) doc += r.text(pair[1][s], wc + "[1][" + std::to_string(s) + "]");
            table.index.emplace(doc, 0);
            item_docs[i].push_back(std::move(doc));
        }
    }
    QaSet set;
    set.format = QaFormat::kHotpotQa;
    set.docs = table.finish();
    for (size_t i = 0; i < root.size(); ++i) {
        const std::string wi = "item " + std::to_string(i);
        QaQuestion question;
        question.query = r.text(r.member(root[i], "question", wi), wi + ".question");
        question.outputs = {r.text(r.member(root[i], "answer", wi), wi + ".answer")};
        for (const auto& doc : item_docs[i]) question.docs.push_back(table.index.at(doc));
        if (question.docs.empty()) r.fail(wi + ".context", "is empty");
        set.questions.push_back(std::move(question));
    }
    return set;
}

}  // namespace

const char* qa_format_name(QaFormat format) { return format == QaFormat::kSquad ? "SQuAD v2" : "HotpotQA"; }

QaSet read_qa_file(const std::string& path) {
    const json root = parse_file(path);
    const QaReader reader{path};
    QaSet set;
    if (root.is_object() && root.contains("data")) set = read_squad(root, reader);
    else if (root.is_array()) set = read_hotpotqa(root, reader);
    else
        throw EvalError("--qa-file " + path +
                        " is neither SQuAD v2 JSON (an object with \"data\") nor HotpotQA JSON (an array of questions)");
    if (set.questions.empty()) throw EvalError("--qa-file " + path + " holds no answerable question");
    return set;
}

}  // namespace glyph::eval
