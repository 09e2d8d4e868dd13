#include "serve/untrusted_json.h"

#include "glyph/serve.h"

namespace glyph::serve {

namespace {

struct TooDeep {};

template <class Json>
Json parse_bounded(std::string_view text) {
    // The callback sees the depth of each container as it opens; the parser
    // itself keeps its own stack on the heap, so stopping here bounds everything.
    auto callback = [](int depth, typename Json::parse_event_t event, Json&) {
        if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
            depth >= kMaxJsonDepth)
            throw TooDeep{};
        return true;
    };
    try {
        return Json::parse(text.begin(), text.end(), callback, false);
    } catch (const TooDeep&) {
        throw ServeError("JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                         " levels of arrays/objects; at most " + std::to_string(kMaxJsonDepth) + " are allowed");
    }
}

}  // namespace

nlohmann::json parse_untrusted_json(std::string_view text) { return parse_bounded<nlohmann::json>(text); }

nlohmann::ordered_json parse_untrusted_ordered_json(std::string_view text) {
    return parse_bounded<nlohmann::ordered_json>(text);
}

std::string brief_json(const nlohmann::json& value) {
    if (value.is_array()) return "an array of " + std::to_string(value.size());
    if (value.is_object()) return "an object";
    constexpr size_t kMax = 80;
    std::string s = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() <= kMax) return s;
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    s.resize(cut);
    return s + "...";
}

}  // namespace glyph::serve
