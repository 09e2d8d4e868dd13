// Flags shared by the subcommands that render (render, stats, ask, ocr, serve):
// --preset / --config / --set / --dpi / --mode, turned into one RenderConfig.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "glyph/config.h"

namespace glyph::cli {

struct RenderFlags {
    std::string preset;
    std::string config_file;
    std::vector<std::string> sets;  // key=value, value parsed as JSON when it can be
    double dpi = 0;                 // 0: keep the config's
    std::string mode;               // "", "reference" or "clean"

    void add_to(CLI::App& cmd, bool preset_required = true);
    // The config these flags describe. With neither --preset nor --config,
    // `fallback_preset` is used (empty: error).
    RenderConfig resolve(const std::string& fallback_preset = "") const;
};

}  // namespace glyph::cli
