#include "glyph/config_json.h"
#include "render_options.h"

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace glyph::cli {

void print_config_warning(const std::string& line) { std::fprintf(stderr, "glyph: warning: %s\n", line.c_str()); }

std::pair<std::string, nlohmann::json> parse_set(const std::string& item) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError("--set expects KEY=VALUE, got \"" + item + "\"");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (!is_config_key(key)) throw ConfigError("--set: " + unknown_key_message(key));
    nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
    return {key, v.is_discarded() ? nlohmann::json(value) : v};
}

void RenderFlags::add_to(CLI::App& cmd) {
    std::string names = "auto";
    for (const std::string& n : preset_names()) names += ", " + n;
    auto* p = cmd.add_option("--preset", preset,
                             "Built-in config: " + names +
                                 " (auto, the default: zh when CJK letters are the majority of the text's letters, "
                                 "else en)")
                  ->capture_default_str();
    auto* c = cmd.add_option("--config", config_file, "Glyph config JSON file (hyphenated keys, see docs/render.md)");
    c->excludes(p);
    cmd.add_option("--set", sets, "Override one config key, e.g. --set dpi=96 --set alignment=JUSTIFY")
        ->type_name("KEY=VALUE");
    cmd.add_option("--dpi", dpi, "Raster resolution (shorthand for --set dpi=N)");
    cmd.add_option("--mode", mode, "Layout mode: reference (default, identical to Glyph's pipeline) or clean")
        ->check(CLI::IsMember({"reference", "clean"}));
}

std::string RenderFlags::source(std::string_view text) const {
    if (!config_file.empty()) return "config " + config_file;
    if (preset == "auto") return "preset " + auto_preset_name(text) + " (auto)";
    return "preset " + preset;
}

std::string RenderFlags::base_dir() const {
    return config_file.empty() ? std::string(".") : std::filesystem::absolute(config_file).parent_path().string();
}

RenderConfig RenderFlags::resolve(std::string_view text) const { return resolve(text, nlohmann::json::object()); }

RenderConfig RenderFlags::resolve(std::string_view text, const nlohmann::json& defaults) const {
    RenderConfig cfg =
        config_file.empty() ? preset_for_text(preset, text) : load_config_file(config_file, print_config_warning);
    if (!defaults.empty()) cfg = apply_config(defaults, cfg, ".", UnknownKeys::Reject, print_config_warning);
    nlohmann::json overrides = nlohmann::json::object();
    for (const std::string& item : sets) {
        auto [key, value] = parse_set(item);
        overrides[key] = std::move(value);
    }
    if (dpi != 0) overrides["dpi"] = dpi;
    if (!mode.empty()) overrides["layout-mode"] = mode;
    return apply_config(overrides, cfg, ".", UnknownKeys::Reject, print_config_warning);
}

}  // namespace glyph::cli
