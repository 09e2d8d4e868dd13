// The advisor's prompt: the bundled (or user's) prompt file with its
// placeholders filled, and the compact table of scored configs it shows.
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/data_path.h"
#include "glyph/search_advisor.h"

namespace glyph::search {
namespace {

const std::set<std::string>& known_placeholders() {
    static const std::set<std::string> names = {"space",  "constraints", "history",     "rows",
                                                "wanted", "generation",  "fitness_rule"};
    return names;
}

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

// Calls `on_text` for literal stretches and `on_name` for each {{name}}
// (lower-case letters and '_'); any other "{{" is literal text.
template <typename OnText, typename OnName>
void scan_placeholders(const std::string& t, OnText on_text, OnName on_name) {
    size_t i = 0;
    while (i < t.size()) {
        const size_t open = t.find("{{", i);
        if (open == std::string::npos) break;
        size_t end = open + 2;
        while (end < t.size() && is_name_char(t[end])) ++end;
        if (end == open + 2 || t.compare(end, 2, "}}") != 0) {
            on_text(std::string_view(t).substr(i, open + 2 - i));
            i = open + 2;
            continue;
        }
        on_text(std::string_view(t).substr(i, open - i));
        on_name(t.substr(open + 2, end - open - 2));
        i = end + 2;
    }
    on_text(std::string_view(t).substr(i));
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.5g", v);
    return buf;
}

std::string row_head(size_t rank, const ScoredConfig& c) {
    std::string head = "#";  // (appended piecewise: GCC 12's -Wrestrict misfires on "#" + std::string&&)
    head += std::to_string(rank);
    head += " score=" + number(c.score) + " compression=" + number(c.compression);
    head += c.feasible ? " feasible" : " infeasible";
    return head;
}

nlohmann::json as_object(const std::string& config_json) {
    nlohmann::json j = nlohmann::json::parse(config_json, nullptr, false);
    return j.is_object() ? j : nlohmann::json();
}

// The pairs where `row` differs from `best`; a key the row lacks shows
// as "(default)", glyph's default then applying.
std::string difference(const nlohmann::json& best, const nlohmann::json& row) {
    std::string out;
    auto pair = [&](const std::string& key, const std::string& value) {
        out += (out.empty() ? "" : " ") + key + "=" + value;
    };
    for (const auto& [key, value] : row.items())
        if (!best.contains(key) || best[key] != value) pair(key, value.dump());
    for (const auto& [key, value] : best.items())
        if (!row.contains(key)) pair(key, "(default)");
    return out.empty() ? "(same config as #1)" : out;
}

}  // namespace

std::string default_advisor_prompt_path() {
    const std::string path = find_data_file("share/search/advisor-prompt.md");
    if (path.empty())
        throw ConfigError("the advisor prompt share/search/advisor-prompt.md is in none of " + data_dirs_line() +
                          "; pass --advisor-prompt FILE");
    return path;
}

void check_prompt_template(const std::string& template_text, const std::string& where) {
    std::set<std::string> seen;
    std::string unknown;
    scan_placeholders(
        template_text, [](std::string_view) {},
        [&](const std::string& name) {
            if (!known_placeholders().count(name) && unknown.empty()) unknown = name;
            seen.insert(name);
        });
    std::string allowed;
    for (const auto& n : known_placeholders()) allowed += (allowed.empty() ? "{{" : ", {{") + n + "}}";
    if (!unknown.empty())
        throw ConfigError(where + ": unknown placeholder {{" + unknown + "}} (allowed: " + allowed + ")");
    for (const char* required : {"history", "wanted"})
        if (!seen.count(required))
            throw ConfigError(where + ": the prompt has no {{" + std::string(required) +
                              "}} placeholder (it needs {{history}} and {{wanted}}; allowed: " + allowed + ")");
}

std::string history_table(const std::vector<ScoredConfig>& history) {
    if (history.empty()) return "(nothing scored yet)";
    const nlohmann::json best = as_object(history.front().config_json);
    std::string table = row_head(1, history.front()) + " " +
                        (best.is_object() ? best.dump() : history.front().config_json) + "\n";
    for (size_t i = 1; i < history.size(); ++i) {
        const nlohmann::json row = as_object(history[i].config_json);
        table += row_head(i + 1, history[i]) + " " +
                 (best.is_object() && row.is_object() ? difference(best, row) : history[i].config_json) + "\n";
    }
    return table;
}

std::string fill_prompt(const std::string& template_text, const AdvisorRequest& r) {
    const std::map<std::string, std::string> values = {
        {"space", r.space_json},
        {"constraints", r.constraints.empty() ? "(none)" : r.constraints},
        {"history", history_table(r.history)},
        {"rows", std::to_string(r.history.size())},
        {"wanted", std::to_string(r.wanted)},
        {"generation", std::to_string(r.generation)},
        {"fitness_rule", r.fitness_rule},
    };
    std::string out;
    scan_placeholders(
        template_text, [&](std::string_view text) { out += text; },
        [&](const std::string& name) {
            const auto it = values.find(name);
            out += it == values.end() ? "{{" + name + "}}" : it->second;
        });
    return out;
}

}  // namespace glyph::search
