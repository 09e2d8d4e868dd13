// Flags shared by the subcommands that render (render, stats, ask, ocr, serve):
// --preset / --config / --set / --dpi / --mode, turned into one RenderConfig.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

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
    RenderConfig resolve(std::string_view text) const;
    // What chose the config, for reports: "config my.json", "preset zh (auto)".
    std::string source(std::string_view text) const;
    // The folder relative font paths in --config resolve against.
    std::string base_dir() const;
};

}  // namespace glyph::cli
