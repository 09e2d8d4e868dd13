#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "glyph/config.h"
#include "glyph/config_json.h"
#include "glyph/serve.h"
#include "glyph/vision_tokens.h"
#include "raster/page_raster.h"
#include "serve/compress.h"
#include "serve/untrusted_json.h"

namespace glyph::serve {

namespace {

const nlohmann::json& require(const nlohmann::json& v, bool ok, const std::string& field, const char* expected) {
    if (!ok) throw ServeError("\"glyph\"." + field + " must be " + expected + ", got " + brief_json(v));
    return v;
}

void check_request_page_size(const RenderConfig& c) {
    const double mp = double(page_pixels(c.page_width, c.dpi)) * page_pixels(c.page_height, c.dpi) / 1e6;
    if (mp > kMaxRequestPageMegapixels)
        throw ServeError("\"glyph\".config: page-size and dpi give " + std::to_string(int(std::lround(mp))) +
                         " megapixels a page; requests may ask for at most " +
                         std::to_string(int(kMaxRequestPageMegapixels)));
}

}  // namespace

ProxyPolicy apply_policy_overrides(const ProxyPolicy& base, const nlohmann::json& overrides) {
    if (!overrides.is_object()) throw ServeError("\"glyph\" must be an object, got " + brief_json(overrides));
    ProxyPolicy p = base;
    for (const auto& [key, v] : overrides.items()) {
        if (key == "enabled") {
            p.enabled = require(v, v.is_boolean(), key, "true or false").get<bool>();
        } else if (key == "min_tokens") {
            require(v, v.is_number_integer() && v.get<long long>() >= 0, key, "an integer >= 0");
            p.min_tokens = v.get<long long>();
        } else if (key == "roles") {
            require(v, v.is_array() && !v.empty(), key, "a non-empty array of \"user\", \"system\"");
            p.roles.clear();
            for (const auto& r : v) {
                require(r, r.is_string() && (r == "user" || r == "system"), key,
                        "an array of \"user\" and \"system\" (only those may carry images)");
                p.roles.push_back(r.get<std::string>());
            }
        } else if (key == "keep_question") {
            p.keep_question = require(v, v.is_boolean(), key, "true or false").get<bool>();
        } else if (key == "question") {
            require(v, v.is_string() && !v.get_ref<const std::string&>().empty(), key,
                    "a non-empty string: the end of the last user message's text that stays text");
            p.question = v.get<std::string>();
        } else if (key == "question_separator") {
            require(v, v.is_string() && v.get_ref<const std::string&>().size() <= 256, key,
                    "a string of at most 256 bytes (\"\": none)");
            p.question_separator = v.get<std::string>();
        } else if (key == "preset") {
            auto names = preset_names();
            names.insert(names.begin(), "auto");
            std::string allowed;
            for (const auto& n : names) allowed += (allowed.empty() ? "\"" : ", \"") + n + "\"";
            require(v, v.is_string(), key, allowed.c_str());
            if (std::find(names.begin(), names.end(), v.get<std::string>()) == names.end())
                throw ServeError("\"glyph\".preset must be one of " + allowed + ", got " + brief_json(v));
            p.preset = v.get<std::string>();
            p.config = nlohmann::json::object();  // keys given for another preset do not carry over
        } else if (key == "config") {
            require(v, v.is_object(), key, "an object of Glyph config keys");
            for (const auto& [ck, cv] : v.items()) {
                if (ck == "font-path")
                    throw ServeError("\"glyph\".config may not set font-path (the server picks fonts)");
                p.config[ck] = cv;
            }
        } else if (key == "dpi") {
            require(v, v.is_number() && v.get<double>() >= 36 && v.get<double>() <= 300, key, "a number in 36..300");
            p.config["dpi"] = v;
        } else if (key == "profile") {
            require(v, v.is_string(), key, "a vision-token profile name");
            try {
                p.profile = find_profile(v.get<std::string>()).name;
            } catch (const VisionTokenError& e) {
                throw ServeError(std::string("\"glyph\".profile: ") + e.what());
            }
        } else {
            throw ServeError("unknown field \"glyph\"." + key +
                             "; allowed: enabled, min_tokens, roles, keep_question, question, question_separator, preset, config, "
                             "dpi, profile");
        }
    }
    // Rejected here, not halfway through a request.
    RenderConfig resolved;
    try {
        p.warnings.clear();
        resolved = apply_config(p.config, preset_for_text(p.preset, ""), ".", UnknownKeys::Reject,
                                [&p](const std::string& w) { p.warnings.push_back(w); });
        validate(resolved);
    } catch (const ConfigError& e) {
        throw ServeError(std::string("\"glyph\".config: ") + e.what());
    }
    check_request_page_size(resolved);
    return p;
}

}  // namespace glyph::serve
