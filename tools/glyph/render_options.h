// Flags shared by the subcommands that render (render, stats, ask, ocr, serve):
// --preset / --config / --set / --dpi / --mode, turned into one RenderConfig.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "glyph/config.h"

namespace glyph::cli {

struct RenderFlags {
    std::string preset = "auto";
    std::string config_file;
    std::vector<std::string> sets;  // key=value, value parsed as JSON when it can be
    double dpi = 0;                 // 0: keep the config's
    std::string mode;               // "", "reference" or "clean"

    void add_to(CLI::App& cmd);
    // The config these flags describe for `text`: --config, else the preset
    // (auto picks en or zh from the text), then --set/--dpi/--mode on top.
    // Unknown keys in --set are errors; in --config, warnings on stderr.
    RenderConfig resolve(std::string_view text) const;
    // The same with `defaults` (config keys) applied between the preset or
    // --config and the flags: a subcommand's own defaults, which the user's
    // --set still overrides (eval's evaluation-renderer keys).
    RenderConfig resolve(std::string_view text, const nlohmann::json& defaults) const;
    // What chose the config, for reports: "config my.json", "preset zh (auto)".
    std::string source(std::string_view text) const;
    // The folder relative font paths in --config resolve against.
    std::string base_dir() const;
};

// The CLI's config warnings: one "glyph: warning: ..." line on stderr each.
void print_config_warning(const std::string& line);

// --set KEY=VALUE as a key and a JSON value (a value that is not JSON is a
// string). Throws ConfigError on a malformed item or an unknown key.
std::pair<std::string, nlohmann::json> parse_set(const std::string& item);

}  // namespace glyph::cli
