// Reading an advisor's reply: finding the JSON object in what a chat model
// wrote (bare, fenced, or with prose and thinking around it), then each
// proposal's config and rationale. Bounded in size, nesting and count.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/search_advisor.h"
#include "util/jsonl_files.h"
#include "util/utf8.h"

namespace glyph::search {
namespace {

using nlohmann::json;

constexpr size_t kMaxCandidates = 64;

// The end (one past the closing brace) of the object opening at `open`,
// strings and escapes respected; npos when it never closes.
size_t object_end(std::string_view s, size_t open) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = open; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}' && --depth == 0) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

// Where the JSON may be, most explicit first: the whole reply, each ```
// fence's body, then each outermost {...} span in the text.
std::vector<std::string_view> candidates(std::string_view reply) {
    std::vector<std::string_view> out{reply};
    for (size_t at = reply.find("```"); at != std::string_view::npos && out.size() < kMaxCandidates;) {
        const size_t body = reply.find('\n', at + 3);  // past the info string ("json")
        if (body == std::string_view::npos) break;
        const size_t close = reply.find("```", body + 1);
        if (close == std::string_view::npos) break;
        out.push_back(reply.substr(body + 1, close - body - 1));
        at = reply.find("```", close + 3);
    }
    // An unclosed '{' (prose, a cut-off reply) costs one scan; the scans are
    // counted so that a reply full of braces stays linear in its size.
    size_t scans = 0;
    for (size_t open = reply.find('{'); open != std::string_view::npos && scans++ < kMaxCandidates;) {
        const size_t end = object_end(reply, open);
        if (end == std::string_view::npos) {
            open = reply.find('{', open + 1);
            continue;
        }
        out.push_back(reply.substr(open, end - open));
        open = reply.find('{', end);
    }
    return out;
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string parse_message(const std::exception& e) {
    const std::string what = e.what();
    const size_t tag_end = what.rfind("] ", what.find(' '));
    return what.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos ? what.substr(tag_end + 2) : what;
}

std::optional<json> parse(std::string_view text, std::string& error) {
    try {
        return parse_json_bounded(std::string(text), kMaxAdviceDepth);
    } catch (const std::exception& e) {
        if (error.empty()) error = parse_message(e);
        return std::nullopt;
    }
}

// The proposals list of a parsed reply: {"proposals": [...]}, a single
// proposal object under "proposals", or a bare list.
std::optional<json> proposals_of(const json& j) {
    if (j.is_array()) return j;
    if (!j.is_object() || !j.contains("proposals")) return std::nullopt;
    const json& p = j["proposals"];
    if (p.is_array()) return p;
    if (p.is_object()) return json::array({p});
    return std::nullopt;
}

std::optional<std::string> text_of(const json& item, std::initializer_list<const char*> keys) {
    for (const char* k : keys)
        if (item.contains(k) && item[k].is_string()) return item[k].get<std::string>();
    return std::nullopt;
}

// One proposal, or nullopt when it has no usable config. Models write the
// config under "config", as a JSON string, or flat beside the rationale.
std::optional<Proposal> proposal_of(const json& item) {
    if (!item.is_object()) return std::nullopt;
    json config;
    if (item.contains("config")) {
        config = item["config"];
        if (config.is_string()) {
            std::string ignored;
            config = parse(config.get<std::string>(), ignored).value_or(json());
        }
    } else {
        config = item;
        for (const char* k : {"rationale", "reason", "why"}) config.erase(k);
    }
    if (!config.is_object() || config.empty()) return std::nullopt;
    Proposal p;
    p.config_json = config.dump();
    p.rationale = one_line(text_of(item, {"rationale", "reason", "why"}).value_or(""), kMaxRationaleChars);
    return p;
}

}  // namespace

AdvisorReply parse_advice(std::string_view reply) {
    AdvisorReply out;
    out.raw_reply = std::string(reply);
    auto fail = [&](const std::string& error) {
        out.failed = true;
        out.malformed = 1;
        out.error = one_line(error, 240);
        return out;
    };
    if (reply.size() > kMaxAdviceBytes)
        return fail("the advisor's reply is " + std::to_string(reply.size()) + " bytes, more than the " +
                    std::to_string(kMaxAdviceBytes) + " read");
    if (reply.find_first_not_of(" \t\r\n") == std::string_view::npos) return fail("the advisor's reply is empty");

    std::string parse_error;
    bool parsed_any = false;
    std::optional<json> list;
    for (std::string_view c : candidates(reply)) {
        const std::optional<json> j = parse(c, parse_error);
        if (!j) continue;
        parsed_any = true;
        if ((list = proposals_of(*j))) break;
    }
    if (!list) {
        if (parsed_any) return fail("the advisor's reply has JSON but no \"proposals\" list");
        return fail("the advisor's reply holds no valid JSON object (" + parse_error + "); it begins: " +
                    one_line(reply, 60));
    }
    size_t seen = 0;
    for (const json& item : *list) {
        if (++seen > size_t(kMaxProposals)) break;
        if (auto p = proposal_of(item)) out.proposals.push_back(std::move(*p));
        else ++out.malformed;
    }
    return out;
}

}  // namespace glyph::search
