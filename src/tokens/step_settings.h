// Settings that tokenizer.json's pre-tokenizers or normalizers share with its
// decoders, read in one place so that encoding and decoding accept the same
// files with the same messages: the Replace step (a literal {"String": ...}
// pattern; the Regex form is refused) and Metaspace's mark and prepend scheme.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tokens/tokenizer_model.h"
#include "tokens/utf8_scan.h"
#include "util/strings.h"

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

struct MetaspaceRule {
    std::string replacement;  // one code point, UTF-8
    PreTokenizeStep::Prepend prepend = PreTokenizeStep::Prepend::Always;
};

// Metaspace's settings as Hugging Face's tokenizers reads them, for the
// pre-tokenizer and the decoder alike: `prepend_scheme` defaults to always,
// and the older `add_prefix_space: false` means never (with a prepend_scheme
// other than never it is refused, as there). `str_rep` is not consulted.
// Returns what is wrong ("" when nothing), `where` leading the message.
inline std::string read_metaspace_rule(const nlohmann::json& step, const std::string& where, MetaspaceRule& rule) {
    const auto replacement = step.find("replacement");
    if (replacement == step.end() || !replacement->is_string() || replacement->get<std::string>().empty() ||
        tokens::utf8_sequence_length(replacement->get<std::string>(), 0) != replacement->get<std::string>().size())
        return where + ": \"replacement\" must be a string of one character";
    rule.replacement = replacement->get<std::string>();
    const auto scheme = step.find("prepend_scheme");
    std::string name;
    if (scheme != step.end() && !scheme->is_null()) {
        name = scheme->is_string() ? scheme->get<std::string>() : scheme->dump();
        if (name == "always") rule.prepend = PreTokenizeStep::Prepend::Always;
        else if (name == "first") rule.prepend = PreTokenizeStep::Prepend::First;
        else if (name == "never") rule.prepend = PreTokenizeStep::Prepend::Never;
        else return where + ": \"prepend_scheme\" " + name + " is not supported (supported: always, first, never)";
    }
    const auto prefix = step.find("add_prefix_space");
    if (prefix != step.end() && !prefix->is_null()) {
        if (!prefix->is_boolean()) return where + ": \"add_prefix_space\" must be true or false";
        if (!prefix->get<bool>() && !name.empty() && name != "never")
            return where + ": \"add_prefix_space\" false contradicts \"prepend_scheme\" " + name;
        if (!prefix->get<bool>()) rule.prepend = PreTokenizeStep::Prepend::Never;
    }
    return "";
}

}  // namespace glyph
