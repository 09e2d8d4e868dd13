#include "render_options.h"

#include <nlohmann/json.hpp>

namespace glyph::cli {

void RenderFlags::add_to(CLI::App& cmd, bool preset_required) {
    auto* p = cmd.add_option("--preset", preset, "Built-in config: en (DejaVu Sans) or zh (WenQuanYi Micro Hei)");
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
    if (!config_file.empty()) cfg = load_config_file(config_file);
    else if (!preset.empty()) cfg = glyph::preset(preset);
    else if (!fallback_preset.empty()) cfg = glyph::preset(fallback_preset);
    else throw ConfigError("no config given: use --preset en|zh or --config FILE");
    nlohmann::json overrides = nlohmann::json::object();
    for (const std::string& kv : sets) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw ConfigError("--set expects KEY=VALUE, got \"" + kv + "\"");
        std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
        nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
        overrides[key] = v.is_discarded() ? nlohmann::json(value) : v;
    }
    if (dpi != 0) overrides["dpi"] = dpi;
    if (!mode.empty()) overrides["layout-mode"] = mode;
    return apply_config(overrides, cfg, ".");
}

}  // namespace glyph::cli
