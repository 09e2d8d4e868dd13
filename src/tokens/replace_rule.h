// tokenizer.json's "Replace" step, which normalizers and decoders share: the
// one form glyph supports is a literal {"String": ...} pattern and a string
// content (the Regex form is refused).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace glyph {

struct ReplaceRule {
    std::string pattern;
    std::string content;
};

// Reads `step` into `rule`; returns what is wrong with it ("" when nothing),
// with `where` ("Replace decoder") leading the message.
inline std::string read_replace_rule(const nlohmann::json& step, const std::string& where, ReplaceRule& rule) {
    const auto pattern = step.find("pattern");
    const auto content = step.find("content");
    if (pattern == step.end() || !pattern->is_object() || !pattern->contains("String") ||
        !(*pattern)["String"].is_string() || (*pattern)["String"].get<std::string>().empty())
        return where + ": only a non-empty {\"String\": ...} pattern is supported";
    if (content == step.end() || !content->is_string()) return where + " has no string \"content\"";
    rule.pattern = (*pattern)["String"].get<std::string>();
    rule.content = content->get<std::string>();
    return "";
}

}  // namespace glyph
