// Glyph's evaluation protocol (its evaluation/{longbench,mrcr,ruler}/scripts):
// what each benchmark item sends, with which sampling, and how a reply
// becomes a prediction. docs/eval.md lists each point and each deviation.
#include <fstream>
#include <sstream>

#include "glyph/eval_run.h"
#include "python_text.h"
#include "util/jsonl_files.h"
#include "util/strings.h"

namespace glyph::eval {

namespace {

constexpr size_t kMaxPromptFileBytes = 16u << 20;

std::string py_strip(const std::string& s) { return py::encode(py::strip(py::decode(s))); }

std::string base_dataset(const std::string& dataset) {
    return dataset.size() > 2 && dataset.compare(dataset.size() - 2, 2, "_e") == 0 ? dataset.substr(0, dataset.size() - 2)
                                                                                   : dataset;
}

const std::string& template_for(const PromptOptions& options, const std::string& dataset) {
    const auto it = options.templates.find(dataset);
    if (it == options.templates.end())
        throw EvalError("the prompt file has no template for LongBench dataset \"" + dataset +
                        "\" (--prompts: LongBench's dataset2prompt.json for --send text, Glyph's "
                        "dataset2vlmprompt.json for pages)");
    return it->second;
}

vlm::Message user_text(std::string text) { return {"user", {vlm::ContentPart::text(std::move(text))}}; }

// The fields every benchmark's prompt starts with; `row` is its position
// among the data file's items.
Prompt prompt_for(const std::string& data, const std::string& id, size_t row, std::string group, int64_t length) {
    Prompt p;
    p.data = data;
    p.id = id;
    p.row = row;
    p.group = std::move(group);
    p.length = length;
    return p;
}

std::string role_label(const std::string& role) {
    if (role == "user") return "User";
    if (role == "assistant") return "Assistant";
    if (role == "system") return "System";
    return role;
}

}  // namespace

const char* send_mode_name(SendMode mode) { return mode == SendMode::kPages ? "pages" : "text"; }

const char* const kGlyphNewlineMarker = "<font color=\"#FF0000\"> \\n </font>";

const std::set<std::string>& glyph_newline_datasets() {
    static const std::set<std::string> names = {"passage_retrieval_en", "hotpotqa", "narrativeqa", "qmsum",
                                                "gov_report",           "vcsum",    "triviaqa",    "multi_news",
                                                "dureader",             "qasper",   "samsum",      "trec"};
    return names;
}

std::map<std::string, std::string> load_prompt_templates(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EvalError("cannot read prompt file " + path);
    std::string text;
    text.resize(kMaxPromptFileBytes + 1);
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(size_t(in.gcount()));
    if (text.size() > kMaxPromptFileBytes)
        throw EvalError("prompt file " + path + " is larger than " + std::to_string(kMaxPromptFileBytes >> 20) + " MiB");
    nlohmann::json j;
    try {
        j = parse_json_bounded(text, 8);
    } catch (const std::exception& e) {
        throw EvalError("prompt file " + path + " is not JSON: " + std::string(e.what()).substr(0, 160));
    }
    if (!j.is_object()) throw EvalError("prompt file " + path + " is not a JSON object of dataset -> template");
    std::map<std::string, std::string> templates;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it.value().is_string())
            throw EvalError("prompt file " + path + ": the template of \"" + it.key() + "\" is not a string");
        templates[it.key()] = it.value().get<std::string>();
    }
    return templates;
}

std::string truncate_middle(const std::string& prompt, const Tokenizer& tokenizer, int64_t max_tokens) {
    const std::vector<uint32_t> ids = tokenizer.encode(prompt);
    if (max_tokens <= 0 || int64_t(ids.size()) <= max_tokens) return prompt;
    const size_t half = size_t(max_tokens / 2);
    return tokenizer.decode({ids.begin(), ids.begin() + half}) + tokenizer.decode({ids.end() - half, ids.end()});
}

std::vector<Prompt> longbench_prompts(const std::vector<LongBenchItem>& items, const std::string& data,
                                      const PromptOptions& options) {
    std::vector<Prompt> prompts;
    for (const LongBenchItem& item : items) {
        Prompt p = prompt_for(data, item.id, prompts.size(), base_dataset(item.dataset), item.length);
        const std::string& tmpl = template_for(options, p.group);
        // post_api_longbench.py strips input and context, fills the template
        // with str.replace and strips the result.
        const std::string input = py_strip(item.input), context = py_strip(item.context);
        if (options.send == SendMode::kPages) {
            p.context = context;
            p.newline_marker = options.newline_datasets.count(p.group) > 0;
            p.question = py_strip(replace_all(tmpl, "{input}", input));
        } else {
            std::string prompt = py_strip(replace_all(replace_all(tmpl, "{context}", context), "{input}", input));
            if (options.max_prompt_tokens > 0 && options.tokenizer)
                prompt = truncate_middle(prompt, *options.tokenizer, options.max_prompt_tokens);
            p.text_messages.push_back(user_text(std::move(prompt)));
        }
        prompts.push_back(std::move(p));
    }
    return prompts;
}

std::vector<Prompt> mrcr_prompts(const std::vector<MrcrItem>& items, const std::string& data,
                                 const PromptOptions& options) {
    std::vector<Prompt> prompts;
    for (const MrcrItem& item : items) {
        if (item.messages.empty())
            throw EvalError(data + ": MRCR item " + item.id + " has no \"prompt\" messages to send");
        Prompt p = prompt_for(data, item.id, prompts.size(), "mrcr", item.n_chars);
        if (options.send == SendMode::kText) {
            for (const MrcrMessage& m : item.messages) p.text_messages.push_back({m.role, {vlm::ContentPart::text(m.content)}});
        } else {
            size_t last_user = item.messages.size();
            for (size_t i = item.messages.size(); i-- > 0;)
                if (item.messages[i].role == "user") {
                    last_user = i;
                    break;
                }
            if (last_user == item.messages.size())
                throw EvalError(data + ": MRCR item " + item.id + " has no user message to ask");
            std::string history;
            for (size_t i = 0; i < item.messages.size(); ++i) {
                if (i == last_user) continue;
                if (!history.empty()) history += "\n";
                history += role_label(item.messages[i].role) + ": " + item.messages[i].content;
            }
            p.context = std::move(history);
            // post_api_mrcr.py sends "\n" + question after the images.
            p.question = "\n" + item.messages[last_user].content;
        }
        prompts.push_back(std::move(p));
    }
    return prompts;
}

std::vector<Prompt> ruler_prompts(const std::vector<RulerItem>& items, const std::string& data,
                                  const PromptOptions& options) {
    std::vector<Prompt> prompts;
    for (const RulerItem& item : items) {
        Prompt p = prompt_for(data, item.id, prompts.size(), item.task, item.length);
        if (options.send == SendMode::kText) {
            p.text_messages.push_back(user_text(item.input));
        } else {
            std::string before, after;
            const size_t at = item.context.empty() ? std::string::npos : item.input.find(item.context);
            if (at != std::string::npos) {
                p.context = item.context;
                before = item.input.substr(0, at);
                after = item.input.substr(at + item.context.size());
            } else {
                const size_t first = item.input.find('\n'), last = item.input.rfind('\n');
                if (first == std::string::npos || first == last) {
                    p.context = item.input;  // no instruction and question lines to keep as text
                } else {
                    before = item.input.substr(0, first);
                    p.context = item.input.substr(first + 1, last - first - 1);
                    after = item.input.substr(last + 1);
                }
            }
            const std::string b = py_strip(before), a = py_strip(after);
            p.question = b.empty() ? a : a.empty() ? b : b + "\n" + a;
        }
        prompts.push_back(std::move(p));
    }
    return prompts;
}

bool is_glm_model(const std::string& model) {
    std::string m;
    for (char c : model) m += char(std::tolower(static_cast<unsigned char>(c)));
    return m.find("glm") != std::string::npos || m.find("glyph") != std::string::npos;
}

vlm::SamplingParams glyph_sampling(Bench bench, bool glm_stops) {
    vlm::SamplingParams s;
    s.max_tokens = 8192;
    s.repetition_penalty = 1.1;
    switch (bench) {
        case Bench::kLongBench:
            s.temperature = 0.0001;
            s.top_p = 1.0;
            s.top_k = 1;
            break;
        case Bench::kMrcr:
            s.temperature = 0.0001;
            s.top_p = 1.0;
            s.top_k = 50;
            break;
        case Bench::kRuler:
            s.temperature = 0.0;
            s.top_k = 50;
            break;
    }
    if (glm_stops) {
        s.stop_token_ids = {151329, 151348, 151336};
        s.skip_special_tokens = false;
        s.include_stop_str_in_output = true;
    }
    return s;
}

std::string clean_reply(const std::string& reply, ReplyCleanup cleanup) {
    if (cleanup == ReplyCleanup::kGlyph) {
        // clear_pred.py: re.sub(r"<think>.*?</think>\s*", ""), re.sub(r"<\|[^|]+\|>", ""),
        // re.sub(r"\s+", " "), strip().
        std::string s;
        for (size_t pos = 0;;) {
            const size_t open = reply.find("<think>", pos);
            const size_t close = open == std::string::npos ? std::string::npos : reply.find("</think>", open + 7);
            if (close == std::string::npos) {
                s.append(reply, pos);
                break;
            }
            s.append(reply, pos, open - pos);
            pos = close + 8;
            const std::u32string tail = py::decode(std::string_view(reply).substr(pos));
            size_t skip = 0;
            while (skip < tail.size() && py::is_space(tail[skip])) ++skip;
            pos += py::encode(std::u32string_view(tail).substr(0, skip)).size();
        }
        std::string untagged;
        for (size_t i = 0; i < s.size();) {
            if (s.compare(i, 2, "<|") == 0) {
                const size_t bar = s.find_first_of("|", i + 2);
                if (bar != std::string::npos && bar > i + 2 && bar + 1 < s.size() && s[bar + 1] == '>') {
                    i = bar + 2;
                    continue;
                }
            }
            untagged += s[i++];
        }
        const std::u32string text = py::decode(untagged);
        std::u32string collapsed;
        for (size_t i = 0; i < text.size();) {
            if (py::is_space(text[i])) {
                while (i < text.size() && py::is_space(text[i])) ++i;
                collapsed += U' ';
            } else {
                collapsed += text[i++];
            }
        }
        return py::encode(py::strip(collapsed));
    }
    std::string s = reply;
    if (const size_t think = s.rfind("</think>"); think != std::string::npos) s = s.substr(think + 8);
    for (bool cut = true; cut;) {
        cut = false;
        s = py_strip(s);
        for (const char* stop : {"<|user|>", "<|endoftext|>", "<|observation|>"}) {
            const std::string t = stop;
            if (s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0) {
                s.resize(s.size() - t.size());
                cut = true;
            }
        }
    }
    return s;
}

}  // namespace glyph::eval
