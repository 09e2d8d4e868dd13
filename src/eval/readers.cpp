// Readers for the benchmarks' JSONL files: one item per line, each line
// bounded in size and nesting, a bad line reported with its number.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "glyph/eval.h"

namespace glyph::eval {

namespace {

using nlohmann::json;

struct LineError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

json parse_bounded(std::string_view text, const ReadLimits& limits, const std::string& what) {
    json::parser_callback_t check_depth = [&](int depth, json::parse_event_t, json&) {
        if (depth > limits.max_depth)
            throw LineError(what + " is nested deeper than " + std::to_string(limits.max_depth) + " levels");
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), check_depth);
    } catch (const json::parse_error& e) {
        throw LineError(what + " is not valid JSON (" + std::string(e.what()).substr(0, 160) + ")");
    }
}

bool blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

// Calls `row(text, line_number, row_number)` for every non-blank line;
// row numbers count the non-blank lines from 0, as the benchmarks' own
// scripts do when a file carries no ids.
template <class Item>
Rows<Item> read_rows(const std::string& path, const ReadLimits& limits,
                     const std::function<Item(const json&, size_t row)>& make) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EvalError("cannot read " + path + " (a JSONL file, one item per line)");
    Rows<Item> rows;
    std::string line;
    size_t line_number = 0, row = 0;
    bool too_long = false;
    char chunk[1 << 16];
    auto finish = [&] {
        ++line_number;
        if (too_long) {
            rows.failures.push_back({line_number, "line is longer than " + std::to_string(limits.max_line_bytes) + " bytes"});
            ++row;
        } else if (!blank(line)) {
            try {
                json value = parse_bounded(line, limits, "the line");
                if (!value.is_object()) throw LineError("the line is not a JSON object");
                rows.items.push_back(make(value, row));
            } catch (const LineError& e) {
                rows.failures.push_back({line_number, e.what()});
            } catch (const json::exception& e) {
                rows.failures.push_back({line_number, std::string("unexpected value: ") + e.what()});
            }
            ++row;
        }
        line.clear();
        too_long = false;
    };
    while (in.read(chunk, sizeof chunk), in.gcount() > 0) {
        std::string_view data(chunk, static_cast<size_t>(in.gcount()));
        for (;;) {
            size_t nl = data.find('\n');
            std::string_view part = data.substr(0, nl);
            if (!too_long) {
                if (line.size() + part.size() > limits.max_line_bytes) {
                    too_long = true;
                    line.clear();
                } else {
                    line.append(part);
                }
            }
            if (nl == std::string_view::npos) break;
            finish();
            data.remove_prefix(nl + 1);
        }
    }
    if (!line.empty() || too_long) finish();
    return rows;
}

const json* field(const json& row, const FieldMap& fields, const std::string& canonical) {
    auto it = row.find(fields.column(canonical));
    return it == row.end() || it->is_null() ? nullptr : &*it;
}

std::string column_label(const FieldMap& fields, const std::string& canonical) {
    const std::string& name = fields.column(canonical);
    return name == canonical ? "\"" + name + "\"" : "\"" + name + "\" (" + canonical + ")";
}

std::string text_field(const json& row, const FieldMap& fields, const std::string& canonical, bool required) {
    const json* v = field(row, fields, canonical);
    if (!v) {
        if (required) throw LineError("missing field " + column_label(fields, canonical));
        return "";
    }
    if (!v->is_string()) throw LineError("field " + column_label(fields, canonical) + " is not a string");
    return v->get<std::string>();
}

int64_t integer_field(const json& row, const FieldMap& fields, const std::string& canonical) {
    const json* v = field(row, fields, canonical);
    if (!v) return 0;
    if (!v->is_number_integer()) throw LineError("field " + column_label(fields, canonical) + " is not an integer");
    return v->get<int64_t>();
}

std::vector<std::string> text_list(const json& row, const FieldMap& fields, const std::string& canonical,
                                   bool required) {
    const json* v = field(row, fields, canonical);
    if (!v) {
        if (required) throw LineError("missing field " + column_label(fields, canonical));
        return {};
    }
    if (!v->is_array()) throw LineError("field " + column_label(fields, canonical) + " is not a list of strings");
    std::vector<std::string> out;
    for (const auto& x : *v) {
        if (!x.is_string()) throw LineError("field " + column_label(fields, canonical) + " is not a list of strings");
        out.push_back(x.get<std::string>());
    }
    return out;
}

// An id as the benchmarks write it (a string or an integer); the row number without one.
std::optional<std::string> id_field(const json& row, const FieldMap& fields, const std::string& canonical) {
    const json* v = field(row, fields, canonical);
    if (!v) return std::nullopt;
    if (v->is_string()) return v->get<std::string>();
    if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
    throw LineError("field " + column_label(fields, canonical) + " is not a string or an integer");
}

std::string resolve_longbench_dataset(const std::string& name) {
    if (is_longbench_dataset(name)) return name;
    if (name.size() > 2 && name.ends_with("_e") && is_longbench_dataset(name.substr(0, name.size() - 2)))
        return name.substr(0, name.size() - 2);
    std::string known;
    for (const auto& d : longbench_datasets()) known += (known.empty() ? "" : ", ") + d;
    throw LineError("unknown LongBench dataset \"" + name + "\" (known: " + known + ")");
}

}  // namespace

std::optional<Bench> parse_bench(std::string_view name) {
    if (name == "longbench") return Bench::kLongBench;
    if (name == "mrcr") return Bench::kMrcr;
    if (name == "ruler") return Bench::kRuler;
    return std::nullopt;
}

const char* bench_name(Bench bench) {
    switch (bench) {
        case Bench::kLongBench: return "longbench";
        case Bench::kMrcr: return "mrcr";
        case Bench::kRuler: return "ruler";
    }
    return "";
}

const char* id_column(Bench bench) {
    switch (bench) {
        case Bench::kLongBench: return "_id";
        case Bench::kMrcr: return "id";
        case Bench::kRuler: return "index";
    }
    return "id";
}

const std::string& FieldMap::column(const std::string& canonical) const {
    auto it = renamed.find(canonical);
    return it == renamed.end() ? canonical : it->second;
}

std::string longbench_dataset_from_path(const std::string& path) {
    return std::filesystem::path(path).stem().string();
}

std::string ruler_task_from_path(const std::string& path) {
    std::filesystem::path p(path);
    std::string stem = p.stem().string();
    if ((stem == "validation" || stem == "test" || stem == "data") && p.has_parent_path())
        return p.parent_path().filename().string();
    return stem;
}

Rows<LongBenchItem> read_longbench(const std::string& path, const FieldMap& fields, const std::string& dataset_fallback,
                                   const ReadLimits& limits) {
    return read_rows<LongBenchItem>(path, limits, [&](const json& row, size_t n) {
        LongBenchItem item;
        item.id = id_field(row, fields, "_id").value_or(std::to_string(n));
        item.input = text_field(row, fields, "input", false);
        item.context = text_field(row, fields, "context", false);
        item.answers = text_list(row, fields, "answers", true);
        item.all_classes = text_list(row, fields, "all_classes", false);
        item.length = integer_field(row, fields, "length");
        item.language = text_field(row, fields, "language", false);
        std::string dataset = text_field(row, fields, "dataset", dataset_fallback.empty());
        item.dataset = resolve_longbench_dataset(dataset.empty() ? dataset_fallback : dataset);
        return item;
    });
}

Rows<MrcrItem> read_mrcr(const std::string& path, const FieldMap& fields, const ReadLimits& limits) {
    return read_rows<MrcrItem>(path, limits, [&](const json& row, size_t n) {
        MrcrItem item;
        item.id = id_field(row, fields, "id").value_or(std::to_string(n));
        item.answer = text_field(row, fields, "answer", true);
        item.random_prefix = text_field(row, fields, "random_string_to_prepend", true);
        item.n_needles = integer_field(row, fields, "n_needles");
        item.n_chars = integer_field(row, fields, "n_chars");
        std::string prompt = text_field(row, fields, "prompt", false);
        if (!prompt.empty()) {
            json chat = parse_bounded(prompt, limits, "field " + column_label(fields, "prompt"));
            if (!chat.is_array()) throw LineError("field " + column_label(fields, "prompt") + " is not a JSON list of messages");
            for (const auto& m : chat) {
                if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
                    !m["content"].is_string())
                    throw LineError("field " + column_label(fields, "prompt") +
                                    " holds a message without a string role and content");
                item.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
            }
        }
        return item;
    });
}

Rows<RulerItem> read_ruler(const std::string& path, const FieldMap& fields, const std::string& task_fallback,
                           const ReadLimits& limits) {
    return read_rows<RulerItem>(path, limits, [&](const json& row, size_t n) {
        RulerItem item;
        item.id = id_field(row, fields, "index").value_or(std::to_string(n));
        item.input = text_field(row, fields, "input", false);
        item.context = text_field(row, fields, "context", false);
        item.outputs = text_list(row, fields, "outputs", true);
        if (item.outputs.empty()) throw LineError("field " + column_label(fields, "outputs") + " is empty");
        item.length = integer_field(row, fields, "length");
        item.task = text_field(row, fields, "task", task_fallback.empty());
        if (item.task.empty()) item.task = task_fallback;
        return item;
    });
}

Rows<Prediction> read_predictions(const std::string& path, const FieldMap& fields, const std::string& id_column,
                                  const ReadLimits& limits) {
    auto rows = read_rows<Prediction>(path, limits, [&](const json& row, size_t n) {
        Prediction p;
        p.id = id_field(row, fields, id_column);
        p.pred = text_field(row, fields, "pred", true);
        p.row = n;
        return p;
    });
    return rows;
}

}  // namespace glyph::eval
