#include "render_options.h"

#include <cstdio>

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

void RenderFlags::add_to(CLI::App& cmd, bool preset_required) {
    auto* p = cmd.add_option("--preset", preset,
                             "Built-in config: en (DejaVu Sans), zh (WenQuanYi Micro Hei) or code "
                             "(DejaVu Sans Mono, tabs kept as indentation)");
    auto* c = cmd.add_option("--config", config_file, "Glyph config JSON file (hyphenated keys, see docs/render.md)");
    p->excludes(c);
    (void)preset_required;
    cmd.add_option("--set", sets, "Override one config key, e.g. --set dpi=96 --set alignment=JUSTIFY")
        ->type_name("KEY=VALUE");
    cmd.add_option("--dpi", dpi, "Raster resolution (shorthand for --set dpi=N)");
    cmd.add_option("--mode", mode, "Layout mode: reference (default, identical to Glyph's pipeline) or clean")
        ->check(CLI::IsMember({"reference", "clean"}));
}

RenderConfig RenderFlags::resolve(const std::string& fallback_preset) const {
    RenderConfig cfg;
    if (!config_file.empty()) cfg = load_config_file(config_file, print_config_warning);
    else if (!preset.empty()) cfg = glyph::preset(preset);
    else if (!fallback_preset.empty()) cfg = glyph::preset(fallback_preset);
    else throw ConfigError("no config given: use --preset en|zh|code or --config FILE");
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
