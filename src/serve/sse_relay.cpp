#include "serve/sse_relay.h"

#include "glyph/serve.h"
#include "serve/untrusted_json.h"

namespace glyph::serve {

namespace {

// End of the first event in `s` whose blank line starts at or after `from`
// (just past that blank line), or npos.
size_t event_end(std::string_view s, size_t from) {
    for (size_t i = from; i + 1 < s.size(); ++i) {
        if (s[i] != '\n') continue;
        if (s[i + 1] == '\n') return i + 2;
        if (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') return i + 3;
    }
    return std::string_view::npos;
}

}  // namespace

std::string SseRelay::feed(std::string_view bytes) {
    // Only the new bytes (and the two before them, where a blank line may have
    // started) are searched: an event arriving in many small pieces costs linear time.
    size_t from = pending_.size() >= 2 ? pending_.size() - 2 : 0;
    pending_.append(bytes);
    std::string out;
    size_t start = 0;
    for (;;) {
        const size_t end = event_end(pending_, from);
        if (end == std::string_view::npos) break;
        out += event(std::string_view(pending_).substr(start, end - start));
        start = from = end;
    }
    pending_.erase(0, start);
    return out;
}

std::string SseRelay::finish() {
    std::string rest;
    rest.swap(pending_);
    return rest;
}

std::string SseRelay::event(std::string_view raw) {
    if (glyph_usage_.is_null()) return std::string(raw);
    if (final_usage_chunk_ && !usage_sent_ && raw.rfind("data: [DONE]", 0) == 0) {
        usage_sent_ = true;
        const nlohmann::json chunk = {
            {"object", "chat.completion.chunk"}, {"choices", nlohmann::json::array()}, {"usage", {{"glyph", glyph_usage_}}}};
        return "data: " + chunk.dump() + "\n\n" + std::string(raw);
    }
    // Only an event with a single data line that carries a usage object is
    // rewritten; its other lines (event:, id:) stay as they were, and ordered
    // JSON keeps the upstream's key order.
    if (raw.find("\"usage\"") == std::string_view::npos) return std::string(raw);
    const size_t data_line = raw.rfind("data:", 0) == 0 ? 0 : raw.find("\ndata:");
    if (data_line == std::string_view::npos) return std::string(raw);
    const size_t data_start = data_line == 0 ? 0 : data_line + 1;
    const size_t nl = raw.find('\n', data_start);
    if (raw.find("\ndata:", nl) != std::string_view::npos) return std::string(raw);
    std::string_view data = raw.substr(data_start + 5, nl - data_start - 5);
    if (!data.empty() && data.front() == ' ') data.remove_prefix(1);
    if (!data.empty() && data.back() == '\r') data.remove_suffix(1);
    nlohmann::ordered_json j;
    try {
        j = parse_untrusted_ordered_json(data);
    } catch (const ServeError&) {
        return std::string(raw);  // too deep to rewrite safely: relayed as it came
    }
    if (j.is_discarded() || !j.is_object()) return std::string(raw);
    nlohmann::ordered_json* holder = &j;
    if (!j.contains("usage") && j.contains("response") && j["response"].is_object()) holder = &j["response"];
    if (!holder->contains("usage") || !(*holder)["usage"].is_object()) return std::string(raw);
    (*holder)["usage"]["glyph"] = glyph_usage_;
    usage_sent_ = true;
    std::string out(raw.substr(0, data_start));
    out += "data: " + j.dump() + "\n";
    const size_t rest = nl + 1;
    if (rest < raw.size()) out += raw.substr(rest);  // the lines after it and the blank line
    return out;
}

std::string add_glyph_usage(const std::string& body, const nlohmann::json& glyph_usage) {
    nlohmann::ordered_json j;
    try {
        j = parse_untrusted_ordered_json(body);
    } catch (const ServeError&) {
        return body;
    }
    if (j.is_discarded() || !j.is_object()) return body;
    if (!j.contains("usage") || !j["usage"].is_object()) j["usage"] = nlohmann::ordered_json::object();
    j["usage"]["glyph"] = glyph_usage;
    return j.dump();
}

}  // namespace glyph::serve
